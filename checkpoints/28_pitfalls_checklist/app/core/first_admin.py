"""The first admin: made at startup from two settings, never through the public API.

No route may make an admin until one exists, so the first one comes from the
deployment: FIRST_ADMIN_EMAIL and FIRST_ADMIN_PASSWORD in the environment. At
startup that user is created as an admin, or, if the email is registered
already, made one (the password is then left alone). Without the two settings
nothing happens. Afterwards an admin gives roles with PATCH /admin/users/{id}/role.
"""

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import get_settings
from app.core.passwords import new_hash
from app.domain.errors import AlreadyExists
from app.models import User
from app.repositories.users import UserRepository

logger = logging.getLogger("app.first_admin")


async def ensure_first_admin(db: AsyncSession) -> None:
    """Create or promote the admin that the settings name; nothing when they name none."""
    # Read when it runs (at startup), not at import: a test sets the variables first.
    settings = get_settings()
    email, password = settings.FIRST_ADMIN_EMAIL, settings.FIRST_ADMIN_PASSWORD.get_secret_value()
    if not email or not password:
        return
    users = UserRepository(db)
    user = await users.by_email(email)
    if user is None:
        user = User(name="Admin", email=email, password=await new_hash(password), role="admin")
        users.add(user)
        logger.info("first admin %s created from FIRST_ADMIN_EMAIL", email)
    elif user.role != "admin":
        user.role = "admin"
        logger.info("user %s made an admin from FIRST_ADMIN_EMAIL", email)
    try:
        await users.commit()
    except AlreadyExists:
        # Several workers start at once (chapter 27): another one created the admin between
        # our lookup and our INSERT. The unique index decided; that admin is the one.
        logger.info("first admin %s was created by another worker", email)
