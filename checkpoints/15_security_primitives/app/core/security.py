"""Checking credentials, in one place for every way to log in.

Passwords are stored as given until chapter 16 hashes them; then only this
module changes.
"""

import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User
from app.repositories.users import UserRepository


async def authenticate(db: AsyncSession, email: str, password: str) -> User | None:
    """The user with this email and password; None, whichever of the two was wrong."""
    user = await UserRepository(db).by_email(email)
    # The same answer for an unknown email and a wrong password: nobody can probe which
    # emails have an account. compare_digest takes as long wherever the strings differ.
    if user is None or not secrets.compare_digest(user.password.encode(), password.encode()):
        return None
    return user
