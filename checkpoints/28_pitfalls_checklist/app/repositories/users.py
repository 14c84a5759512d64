"""Every query on the users table, and the one on items that deleting a user needs."""

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.errors import AlreadyExists
from app.models import Item, User


class UserRepository:
    """Reads and writes users through one session: one unit of work per request."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def get(self, user_id: int) -> User | None:
        return await self.db.get(User, user_id)

    async def by_email(self, email: str) -> User | None:
        # Emails are stored lower-cased (User.lower_case_email): compare lower-cased.
        return await self.db.scalar(select(User).where(User.email == email.lower()))

    async def page(self, offset: int, limit: int) -> Sequence[User]:
        query = select(User).order_by(User.id).offset(offset).limit(limit)
        return (await self.db.scalars(query)).all()

    async def search_by_name(self, part: str) -> Sequence[User]:
        # icontains: LIKE, case-insensitive; autoescape: a % or _ is a plain character.
        query = select(User).where(User.name.icontains(part, autoescape=True)).order_by(User.id)
        return (await self.db.scalars(query)).all()

    def add(self, user: User) -> None:
        self.db.add(user)

    async def delete(self, user: User) -> None:
        await self.db.delete(user)

    async def disown_items(self, user_id: int) -> None:
        """Set owner_id to NULL on the user's items, before the user's row is deleted.

        The foreign key says ON DELETE SET NULL (chapter 16), but SQLite enforces foreign
        keys only with PRAGMA foreign_keys=ON, and an items table migrated from chapters
        12-15 has no foreign key at all: said here, it holds on every database.
        """
        query = update(Item).where(col(Item.owner_id) == user_id).values(owner_id=None)
        await self.db.execute(query)

    async def commit(self) -> None:
        """Write the unit of work; a taken email (refused by the unique index) is AlreadyExists."""
        try:
            await self.db.commit()
        except IntegrityError:
            # The transaction failed: roll it back before the session is used again.
            await self.db.rollback()
            # A message for people: the driver's text holds the SQL and its parameters.
            raise AlreadyExists("Email already registered") from None
