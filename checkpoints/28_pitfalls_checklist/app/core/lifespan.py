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

from app.core.cache import open_cache
from app.core.config import get_settings
from app.core.first_admin import ensure_first_admin
from app.core.metrics import stop_worker
from app.db.init_db import seed
from app.db.migrate import hash_plain_passwords
from app.db.migrations import upgrade_to_head
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
    # Since chapter 27 the schema is Alembic's (migrations/): a single process upgrades the
    # database to the newest revision here; gunicorn's workers do not (MIGRATE_ON_STARTUP is
    # off for them): start.sh migrated once, before they started. Alembic is synchronous:
    # run_sync runs it on the async connection without blocking the event loop.
    if get_settings().MIGRATE_ON_STARTUP:
        async with engine.begin() as connection:
            await connection.run_sync(upgrade_to_head)
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
    # The catalogue's cache (chapter 25): Redis when REDIS_URL answers, else this process's.
    app.state.catalogue_cache = await open_cache(get_settings(), "catalogue")
    try:
        yield
    finally:
        await record_event("shutdown", datetime.now(UTC))
        await app.state.http_client.aclose()
        await app.state.catalogue_cache.close()
        # Closes the pooled database connections; the engine would open new ones if asked.
        await engine.dispose()
        # With several workers: this one's live gauge leaves the sums (app/core/metrics.py).
        stop_worker()
