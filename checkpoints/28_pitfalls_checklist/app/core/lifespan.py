"""What the app does once when it starts, and once when it stops.

The code before `yield` runs before the server accepts the first request; the
code after it, once the server has answered the last one. What every request
shares (the database engine, an HTTP client) is opened and released here, and
kept on app.state, where a route finds it as request.app.state.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from app.core.config import get_settings
from app.core.first_admin import ensure_first_admin
from app.db.base import Base
from app.db.init_db import seed
from app.db.migrate import add_owner_column, hash_plain_passwords
from app.db.session import SessionLocal, engine

# From the package: importing app.models registers every table on Base.metadata.
from app.models import ServiceEvent

logger = logging.getLogger("app.lifespan")


async def record_event(kind: str, at: datetime) -> None:
    """Store one start or stop of the service."""
    async with SessionLocal() as db:
        db.add(ServiceEvent(kind=kind, at=at))
        await db.commit()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Startup, then the app serves (the `yield`), then shutdown."""
    # What this process runs with, in its log: the secrets show as '**********' (SecretStr).
    logger.info("starting with %r", get_settings())
    # create_all is synchronous code (it inspects, then issues CREATE TABLE):
    # run_sync runs it on the async connection without blocking the event loop.
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
        # create_all changes no table that exists: an items table of chapters 12-15 gets its
        # owner column here.
        await connection.run_sync(add_owner_column)
    # The two users and the 25 items, into tables that are still empty.
    async with SessionLocal() as db:
        await seed(db)
        # A database of chapters 12-15 holds plain passwords: hashed once, and logged.
        await hash_plain_passwords(db)
        # The admin that FIRST_ADMIN_EMAIL names, created or promoted (chapter 17).
        await ensure_first_admin(db)
    app.state.started_at = datetime.now(UTC)
    await record_event("startup", app.state.started_at)
    # One client for the whole process: every request reuses its connection pool.
    app.state.http_client = httpx.AsyncClient(timeout=10.0)
    try:
        yield
    finally:
        await record_event("shutdown", datetime.now(UTC))
        await app.state.http_client.aclose()
        # Closes the pooled database connections; the engine would open new ones if asked.
        await engine.dispose()
