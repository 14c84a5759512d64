"""The queries of GET /system/...: the database's answer to SELECT 1, and the service's events."""

from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ServiceEvent


async def ping(db: AsyncSession) -> dict[str, str]:
    """Run SELECT 1 through the session; which database, through which driver."""
    (await db.execute(text("SELECT 1"))).scalar_one()
    dialect = db.get_bind().dialect
    return {"database": "ok", "dialect": dialect.name, "driver": dialect.driver}


async def latest_events(db: AsyncSession, limit: int) -> Sequence[ServiceEvent]:
    """The last `limit` starts and stops of the service, newest first."""
    # By id, not by time: ids only grow, while two events can share a clock reading.
    newest = select(ServiceEvent).order_by(ServiceEvent.id.desc()).limit(limit)
    return (await db.scalars(newest)).all()
