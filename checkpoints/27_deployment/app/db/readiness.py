"""Readiness: may this process be sent traffic? Its database answers, at the code's revision.

Liveness (/health) says the process is up; an orchestrator restarts it when that fails.
Readiness (/health/ready) says it can do its work; a load balancer sends it no requests while
that fails, and nothing is restarted: the database may come back, a migration may finish.
"""

import asyncio
import logging
from typing import Annotated

from fastapi import Depends
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.migrations import current_revision, head_revision
from app.db.session import engine

logger = logging.getLogger("app.readiness")


def get_engine() -> AsyncEngine:
    """The engine readiness probes: a dependency, so that a test hands it a broken one."""
    return engine


# What the readiness route declares: the route module stays free of SQLAlchemy (chapter 28).
EngineDep = Annotated[AsyncEngine, Depends(get_engine)]


async def database_problem(engine: AsyncEngine, timeout: float) -> str | None:
    """Why the database is not ready, in one sentence for the client; None when it is.

    Never longer than `timeout`: a database that does not answer (a lost network, a full
    pool) is not ready either, and the probe must answer before the prober gives up.
    """
    try:
        async with asyncio.timeout(timeout):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
                revision = await connection.run_sync(current_revision)
    except TimeoutError:
        return f"the database did not answer within {timeout:g} seconds"
    except Exception as error:  # any failure of the driver: the probe's answer is "not ready"
        # The kind of error only: a driver's message can name the host, the user, the database.
        logger.warning("readiness: the database failed: %s", type(error).__name__)
        return "the database is not reachable"
    head = head_revision()
    if revision != head:
        return f"the database is at revision {revision}, not {head}: run alembic upgrade head"
    return None
