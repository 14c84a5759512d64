"""Checking credentials, in one place for every way to log in.

Passwords are stored as given until chapter 16 hashes them; then only this
module changes.
"""

import secrets

from app.db.memory import UserRecord, find_user_by_email


def authenticate(email: str, password: str) -> UserRecord | None:
    """The user with this email and password; None, whichever of the two was wrong."""
    user = find_user_by_email(email)
    # The same answer for an unknown email and a wrong password: nobody can probe which
    # emails have an account. compare_digest takes as long wherever the strings differ.
    if user is None or not secrets.compare_digest(user.password.encode(), password.encode()):
        return None
    return user
