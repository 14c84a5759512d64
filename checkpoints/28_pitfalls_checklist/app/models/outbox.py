"""OutboxMessage: one mail the app has to send, one row of the outbox table.

The app does not talk to a mail server: a message is written here, whole, and
whoever delivers mail (a worker, chapter 19 says when you need one) reads the
rows, sends them, and counts its attempts. Every text column has a bound: what
goes in is built from stored data (app/services/outbox.py), never from a request.
"""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who the message is about. No foreign key: deleting a user must not fail (PostgreSQL
    # would refuse it) because of the mail once sent to them, nor delete that record.
    user_id: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(30))  # "welcome"
    recipient: Mapped[str] = mapped_column(String(320))  # an email, as long as User.email
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(2000))
    # Aware UTC on every database (chapter 13's UTCDateTime refuses a naive datetime).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # For whoever delivers it: how many times sending was tried, the last failure, and
    # when it went out (None: not yet). Writing the row is not sending it.
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
