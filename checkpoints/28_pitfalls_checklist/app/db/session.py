"""The async database engine, and one AsyncSession per request.

Every database call is awaited: while a query waits for the database, the event
loop serves other requests, with no thread per request. DATABASE_URL names the
database (sqlite:///app.db, postgresql://user@host/name); the engine talks to
it through that database's async driver.
"""

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.core.config import settings

# The async driver of each database the app supports.
ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def async_database_url(url: str) -> URL:
    """The URL with its database's async driver: sqlite:///app.db -> sqlite+aiosqlite:///app.db."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in ASYNC_DRIVERS:
        raise ValueError(
            f"DATABASE_URL names a {backend} database: this app runs on {' or '.join(ASYNC_DRIVERS)}"
        )
    return parsed.set(drivername=ASYNC_DRIVERS[backend])


database_url = async_database_url(settings.DATABASE_URL.get_secret_value())

# aiosqlite gives each connection a thread of its own, so check_same_thread is no
# longer needed. SQLite still lets one connection write at a time: the others wait
# for the lock, up to `timeout` seconds (concurrent writes rely on it).
connect_args: dict[str, Any] = (
    {"timeout": 30} if database_url.get_backend_name() == "sqlite" else {}
)

# hide_parameters=True, as in chapter 12: a failed statement's error, logged with the
# 500's traceback, names the statement but not the values (a password among them).
engine = create_async_engine(database_url, connect_args=connect_args, hide_parameters=True)

# expire_on_commit=False matters more than before: an expired attribute is reloaded
# on access, which would be a hidden await; an AsyncSession refuses it (MissingGreenlet).
SessionLocal = async_sessionmaker(engine, autoflush=False, expire_on_commit=False)


async def get_db() -> AsyncIterator[AsyncSession]:
    """One session for the request; closed when the request is over, whatever happened."""
    async with SessionLocal() as db:
        yield db
