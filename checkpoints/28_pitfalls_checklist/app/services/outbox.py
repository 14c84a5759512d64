"""The outbox: the mail the app has to send, written as rows of the outbox table.

A message is built from what the database holds about a user, never from the
request that created them: the request carried a password, and the stored row
is what every later reader (a retry, a worker) will see too.
"""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import settings
from app.domain.errors import NotFound
from app.models import OutboxMessage, User
from app.repositories.users import UserRepository

WELCOME = "welcome"


def welcome_message(user: User) -> OutboxMessage:
    """The welcome mail of a user who is stored (user.id is set): built from the row alone."""
    return OutboxMessage(
        user_id=user.id,
        kind=WELCOME,
        recipient=user.email,
        # The name has at most 50 characters (UserCreate): the subject fits its 200.
        subject=f"Welcome to {settings.PROJECT_NAME}, {user.name}!",
        body=(
            f"Hello {user.name},\n\n"
            f"your account is ready: log in with {user.email} and the password you chose.\n"
            f"If you did not sign up, ignore this message.\n"
        ),
        created_at=datetime.now(UTC),
    )


class OutboxService:
    """Writes messages to the outbox, through the session it is given."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def add_welcome(self, user_id: int) -> OutboxMessage:
        """Write the welcome mail of user_id; NotFound when that user is gone (deleted since)."""
        user = await UserRepository(self.db).get(user_id)
        if user is None:
            raise NotFound(f"User {user_id} not found")
        message = welcome_message(user)
        self.db.add(message)
        await self.db.commit()
        return message
