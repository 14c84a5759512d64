"""Checking credentials, in one place for every way to log in.

Since chapter 16 the users table holds bcrypt hashes (app/core/passwords.py):
a password is checked by verifying it against the stored hash. Since chapter 18
every login goes through login_checked, which asks the throttle first
(app/core/throttle.py).
"""

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import TooManyRequestsError
from app.core.passwords import DUMMY_HASH, password_matches
from app.core.throttle import LoginThrottle, login_throttle
from app.models import User
from app.repositories.users import UserRepository


async def authenticate(db: AsyncSession, email: str, password: str) -> User | None:
    """The user with this email and password; None, whichever of the two was wrong.

    Both failures cost one bcrypt verify: an unknown email answers no faster than a
    wrong password, so nobody can time which emails have an account.
    """
    user = await UserRepository(db).by_email(email)
    if user is None:
        await password_matches(password, DUMMY_HASH)  # as slow as a wrong password
        return None
    if not await password_matches(password, user.password):
        return None
    return user


async def login_checked(
    db: AsyncSession,
    email: str,
    password: str,
    client: str,
    throttle: LoginThrottle = login_throttle,
) -> User | None:
    """authenticate, unless this account or this client failed too often lately.

    `client` is the caller's address (request.client.host). Raises TooManyRequestsError
    (429, with Retry-After in whole seconds) before any password is checked; else the user,
    or None for a wrong email or password, as authenticate.
    """
    wait = throttle.attempt(email, client)
    if wait:
        raise TooManyRequestsError(
            "Too many failed logins: wait before trying again",
            headers={"Retry-After": str(wait)},
        )
    user = await authenticate(db, email, password)
    if user is not None:
        throttle.succeeded(email, client)
    return user


def client_address(request: Request) -> str:
    """The caller's address, as the server saw it: the throttle's per-client key.

    Behind a proxy every request comes from the proxy's address: run uvicorn with
    --proxy-headers --forwarded-allow-ips=<the proxy's address>, and it reads the client's
    from X-Forwarded-For, from that proxy only. Never read X-Forwarded-For here yourself:
    any client can send one, with a new address at every guess. (uvicorn trusts it from
    127.0.0.1 and ::1 by default, FORWARDED_ALLOW_IPS: without a local proxy, say so.)
    """
    return request.client.host if request.client else "unknown"
