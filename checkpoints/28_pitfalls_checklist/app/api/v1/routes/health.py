"""Health: is the process up and answering? What load balancers and orchestrators probe.

/health is the liveness probe: the process answers, nothing else is checked (a restart is
what a failure leads to, and a database that is down is no reason to restart the app).
/health/ready is the readiness probe (chapter 27): the database answers, at the revision
of the code; a 503 while it does not, and the load balancer sends this process no traffic.
"""

from fastapi import APIRouter, status

from app.core.config import SettingsDep
from app.core.errors import AppError
from app.db.readiness import EngineDep, database_problem

router = APIRouter(tags=["health"])


class NotReadyError(AppError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "not_ready"


@router.get("/health")
async def health_check() -> dict[str, str]:
    """Answer while the process serves requests; nothing else is checked."""
    return {"status": "ok"}


@router.get("/health/ready")
async def readiness_check(settings: SettingsDep, engine: EngineDep) -> dict[str, str]:
    """Ready when the database answers in time, migrated to the code's revision; else 503."""
    problem = await database_problem(engine, settings.READINESS_TIMEOUT_SECONDS)
    if problem:
        raise NotReadyError(problem)
    return {"status": "ready"}
