"""The first rows of an empty database: the two users and the 25 items of the earlier chapters.

Demo data, for development only: Alice is an admin whose password is in this file, for
anyone to read. In production (ENVIRONMENT=production) nothing is seeded: the first admin
comes from FIRST_ADMIN_EMAIL and FIRST_ADMIN_PASSWORD (app/core/first_admin.py).
"""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import settings
from app.core.passwords import new_hash
from app.models import Item, User

CATEGORIES = ("books", "games", "tools")


# No explicit ids: the database numbers the rows 1, 2, 3... in the order they are added.
# An explicit id would bypass PostgreSQL's id sequence, which would then hand out
# id 1 again to the next new row: a duplicate key.


def seed_items() -> list[Item]:
    """The catalogue of chapter 04: prices and tags follow from the position, 1 to 25."""
    return [
        Item(
            name=f"Item {n}",
            price=n * 2.5,
            tags=[CATEGORIES[n % 3], "sale"] if n % 5 == 0 else [CATEGORIES[n % 3]],
        )
        for n in range(1, 26)
    ]


async def seed(db: AsyncSession) -> None:
    """Insert the seed rows into each table that is empty; leave a table with rows alone.

    Nothing at all in production: no demo user, no demo catalogue. The two hashes run in
    the thread pool (new_hash, chapter 25): this runs on the event loop, at startup.
    """
    if settings.is_production:
        return
    if not await db.scalar(select(func.count()).select_from(User)):
        db.add_all(
            [
                User(
                    name="Alice",
                    email="alice@example.com",
                    password=await new_hash("alice-secret-1"),
                    role="admin",
                ),
                User(name="Bob", email="bob@example.com", password=await new_hash("bob-secret-1")),
            ]
        )
    if not await db.scalar(select(func.count()).select_from(Item)):
        db.add_all(seed_items())
    await db.commit()
