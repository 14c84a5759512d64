"""The base class of every table model, and the column types the models share."""

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime in UTC, on every database.

    SQLite stores a datetime as text without its offset and reads it back naive;
    PostgreSQL keeps it (timestamptz). This type answers an aware UTC datetime on both,
    and refuses a naive one (datetime.utcnow()) instead of guessing what it meant.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use datetime.now(UTC), not datetime.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """What the SQLAlchemy table models inherit from.

    SQLModel's tables (Item) register on SQLModel.metadata. Base shares that one
    MetaData, so Base.metadata knows every table, whichever way it was declared,
    and one create_all creates them all.
    """

    metadata = SQLModel.metadata
