"""Health: is the process up and answering? What load balancers and orchestrators probe."""

from fastapi import APIRouter

router = APIRouter(tags=["health"])


@router.get("/health")
async def health_check() -> dict[str, str]:
    """Answer while the process serves requests; nothing else is checked."""
    return {"status": "ok"}
