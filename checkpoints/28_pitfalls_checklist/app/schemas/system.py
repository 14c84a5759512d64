"""What the system routes answer about the running service."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SystemStatus(BaseModel):
    """GET /system/status: since when this process serves requests, and for how long."""

    started_at: datetime
    uptime_seconds: float = Field(ge=0)


class ServiceEventOut(BaseModel):
    """One start or stop of the service."""

    model_config = ConfigDict(from_attributes=True)

    kind: str = Field(description='"startup" or "shutdown"')
    at: datetime
