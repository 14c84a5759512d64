"""ServiceEvent: one row each time the service starts or stops, written by the lifespan."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class ServiceEvent(Base):
    __tablename__ = "service_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "startup" or "shutdown"
    at: Mapped[datetime] = mapped_column(UTCDateTime())
