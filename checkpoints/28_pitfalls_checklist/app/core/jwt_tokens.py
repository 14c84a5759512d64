"""Access tokens as signed JWTs (python-jose): any worker can check one, none has to keep it.

A JWT is three base64url parts, header.claims.signature. The claims are readable
by anyone (never put a secret in them); the signature, an HMAC-SHA256 of the
first two parts with settings.SECRET_KEY, proves that this app issued them and
that nobody changed them since. Since chapter 17 a token also carries its
scopes (the `scope` claim, space-separated, as RFC 8693 and RFC 9068 spell it).
"""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# python-jose ships no type hints (and no stubs package is pinned): mypy is told so here.
from jose import JWTError, jwt  # type: ignore[import-untyped]

from app.core.config import settings
from app.core.scopes import USER_SCOPES

# Our tokens are about 250 characters: anything much longer is not ours, not worth decoding.
TOKEN_MAX_LENGTH = 1024


@dataclass(frozen=True)
class TokenData:
    """What a valid token says: whose it is, and what it may be used for."""

    user_id: int
    scopes: frozenset[str]


def create_access_token(
    user_id: int, scopes: Iterable[str] = USER_SCOPES, *, now: datetime | None = None
) -> str:
    """A JWT for the user: sub (the id, as text), iat, exp, jti, and scope (the granted scopes)."""
    issued = now or datetime.now(UTC)  # aware UTC: never datetime.utcnow()
    claims = {
        "sub": str(user_id),
        "iat": issued,
        "exp": issued + timedelta(seconds=settings.ACCESS_TOKEN_SECONDS),
        # A random id: two logins in the same second get two different tokens.
        "jti": secrets.token_urlsafe(8),
        "scope": " ".join(scopes),
    }
    return str(
        jwt.encode(claims, settings.SECRET_KEY.get_secret_value(), algorithm=settings.JWT_ALGORITHM)
    )


def read_access_token(token: str) -> TokenData | None:
    """The user id and scopes of a valid token; None for anything else (expired, forged...)."""
    if len(token) > TOKEN_MAX_LENGTH:
        return None
    try:
        # algorithms names the one algorithm we sign with: a token whose header says
        # "none" or "HS512" is refused, whatever its signature. jose checks exp when a
        # token has one; require_exp refuses a token without one (it would never expire).
        claims = jwt.decode(
            token,
            settings.SECRET_KEY.get_secret_value(),
            algorithms=[settings.JWT_ALGORITHM],
            options={"require_exp": True},
        )
    except JWTError:
        return None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.isdecimal() or len(subject) > 10:
        return None
    # A token of chapter 16 has no scope claim: it may do nothing that needs a scope.
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        return None
    return TokenData(user_id=int(subject), scopes=frozenset(scope.split()))


def decode_access_token(token: str) -> int | None:
    """The user id of a valid token; None for anything else (chapter 16's function, kept)."""
    data = read_access_token(token)
    return data.user_id if data is not None else None
