"""What the app does once when it starts, and once when it stops.

The code before `yield` runs before the server accepts the first request; the
code after it, once the server has answered the last one. What every request
shares (the database engine, an HTTP client) is opened and released here, and
kept on app.state, where a route finds it as request.app.state.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from app.db.base import Base
from app.db.init_db import seed
from app.db.session import SessionLocal, engine

# From the package: importing app.models registers every table on Base.metadata.
from app.models import ServiceEvent


def record_event(kind: str, at: datetime) -> None:
    """Store one start or stop of the service."""
    with SessionLocal() as db:
        db.add(ServiceEvent(kind=kind, at=at))
        db.commit()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Startup, then the app serves (the `yield`), then shutdown."""
    # These database calls block the event loop: at startup no request waits yet.
    # Chapter 13 moves them to an async engine.
    Base.metadata.create_all(engine)
    # The two users and the 25 items, into tables that are still empty.
    with SessionLocal() as db:
        seed(db)
    app.state.started_at = datetime.now(UTC)
    record_event("startup", app.state.started_at)
    # One client for the whole process: every request reuses its connection pool.
    app.state.http_client = httpx.AsyncClient(timeout=10.0)
    try:
        yield
    finally:
        record_event("shutdown", datetime.now(UTC))
        await app.state.http_client.aclose()
        # Closes the pooled database connections; the engine would open new ones if asked.
        engine.dispose()
