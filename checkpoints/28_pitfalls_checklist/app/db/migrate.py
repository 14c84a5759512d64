"""Bringing a database of an earlier chapter up to this one, at startup.

create_all creates missing tables, never changes one that exists. Chapters 12-15
stored passwords in plain text in users.password; from chapter 16 that column
holds bcrypt hashes, and a plain value matches no login. Rather than breaking
those accounts silently, the app hashes each plain password once, in place, and
says so in the log. The items table of those chapters has no owner_id column:
it is added, empty (the old items belong to nobody). (Chapter 27 replaces
these steps with Alembic migrations.)
"""

import logging

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.passwords import hash_password, is_hashed
from app.models import User

logger = logging.getLogger("app.migrate")


async def hash_plain_passwords(db: AsyncSession) -> int:
    """Replace every plain password of the users table by its hash; how many there were."""
    users = (await db.scalars(select(User))).all()
    plain = [user for user in users if not is_hashed(user.password)]
    for user in plain:
        user.password = await run_in_threadpool(hash_password, user.password)
    await db.commit()
    if plain:
        # The count only: never an email or a password in a log.
        logger.warning(
            "hashed %d plain-text password(s) stored by chapters 12-15; their logins still "
            "work. Copies of app.db made before today still hold them in clear: delete them",
            len(plain),
        )
    return len(plain)


def add_owner_column(connection: Connection) -> bool:
    """Add items.owner_id to an items table of chapters 12-15; whether it was missing.

    Synchronous (inspect is): the lifespan runs it with run_sync. ALTER TABLE ... ADD COLUMN
    works alike on SQLite and PostgreSQL; the foreign key and the index of a new table are
    left to chapter 27's migrations.
    """
    columns = {column["name"] for column in inspect(connection).get_columns("items")}
    if "owner_id" in columns:
        return False
    connection.execute(text("ALTER TABLE items ADD COLUMN owner_id INTEGER"))
    logger.warning("added items.owner_id to a table of chapters 12-15: its items have no owner")
    return True
