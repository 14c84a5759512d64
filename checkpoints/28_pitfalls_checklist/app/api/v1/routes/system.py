"""System: what the app runs on, since when, and its starts and stops, for logged-in users only.

The login is required once, on the router: every route of this module is
protected without repeating it.
"""

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request

from app.api.deps import SessionDep, get_current_user
from app.core.errors import UnauthorizedError, error_responses
from app.repositories import system
from app.schemas.system import ServiceEventOut, SystemStatus

router = APIRouter(
    prefix="/system",
    tags=["system"],
    dependencies=[Depends(get_current_user)],
    responses=error_responses(UnauthorizedError),
)

EVENTS_SHOWN = 20


@router.get("/database")
async def check_database(db: SessionDep) -> dict[str, str]:
    """Run SELECT 1 through the request's session; which database, through which driver."""
    return await system.ping(db)


@router.get("/status")
async def read_status(request: Request) -> SystemStatus:
    """When this process started serving, and the seconds since."""
    started_at: datetime = request.app.state.started_at
    uptime = (datetime.now(UTC) - started_at).total_seconds()
    return SystemStatus(started_at=started_at, uptime_seconds=uptime)


@router.get("/events")
async def read_events(db: SessionDep) -> list[ServiceEventOut]:
    """The last starts and stops of the service, newest first."""
    events = await system.latest_events(db, EVENTS_SHOWN)
    return [ServiceEventOut.model_validate(event) for event in events]
