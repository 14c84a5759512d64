"""Item: one row of the items table, the catalogue of chapter 04 now on disk."""

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class Item(Base):
    __tablename__ = "items"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    price: Mapped[float]
    # A JSON list in one column: enough for a few labels per item. Tags you query
    # a lot belong in a table of their own (one row per item and tag).
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
