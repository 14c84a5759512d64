"""Checking credentials, in one place for every way to log in.

Since chapter 16 the users table holds bcrypt hashes (app/core/passwords.py):
a password is checked by verifying it against the stored hash.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.passwords import DUMMY_HASH, password_matches
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
