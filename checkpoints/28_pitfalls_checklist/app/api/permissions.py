"""Who may do what beyond their own things: the admin-only dependency.

get_current_user (app/api/deps.py) knows who calls and checks the token's
scopes; require_admin adds the one question left: is that user an admin, now,
in the database? 401 means "show me a better token"; 403 means "I know you,
and the answer is no".
"""

from typing import Annotated

from fastapi import Depends, Security

from app.api.deps import get_current_user
from app.core.errors import ForbiddenError
from app.models import User


async def require_admin(
    user: Annotated[User, Security(get_current_user, scopes=["admin"])],
) -> User:
    """The current user, if an admin: 401 without the admin scope, 403 for a non-admin."""
    # user.role was read from the database just now: a user demoted since the login is
    # refused, whatever scopes the token still carries.
    if user.role != "admin":
        raise ForbiddenError("Admins only")
    return user


# What admin routes declare: `admin: AdminUser`; a route may add scopes with Security.
AdminUser = Annotated[User, Depends(require_admin)]
