"""Fixtures of the app's own tests: every test starts on empty tables, with the lifespan run."""

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient


async def drop_tables() -> None:
    """Drop every table of the app: the lifespan of the next test creates and seeds them anew."""
    from sqlalchemy import text

    from app.db.base import Base
    from app.db.session import engine

    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        # Alembic's record goes too (chapter 27): else the next start finds the database
        # "at head", migrates nothing, and the tables stay dropped.
        await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    # The engine's connections belong to this event loop: closed before it ends.
    await engine.dispose()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A client of the app on empty tables, with the lifespan run (tables created, seeded)."""
    from app.main import app

    # drop_tables is a coroutine: asyncio.run gives it an event loop of its own, and the
    # engine's connections are closed before that loop ends (drop_tables disposes them).
    asyncio.run(drop_tables())
    # `with` runs the lifespan: the tables are created and the catalogue seeded.
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
async def async_client() -> AsyncIterator[httpx.AsyncClient]:
    from app.main import app

    await drop_tables()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as ac:
            yield ac
