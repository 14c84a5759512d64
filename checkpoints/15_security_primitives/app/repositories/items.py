"""Every query on the items table: filtering, counting and paging happen in SQL."""

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import Item


@dataclass(frozen=True)
class ItemQuery:
    """Which items a listing keeps (each filter optional), and which page of them."""

    tag: str | None = None
    min_price: float | None = None
    max_price: float | None = None
    offset: int = 0
    limit: int = 10


def conditions(query: ItemQuery) -> list[ColumnElement[bool]]:
    """The filters the query gives, as SQL conditions for a WHERE (none: every item)."""
    found: list[ColumnElement[bool]] = []
    if query.tag is not None:
        # tags is a JSON list, stored as text such as ["games", "sale"]: the tag,
        # JSON-quoted, appears in it. "games" does not match "video-games", and
        # autoescape keeps a % or _ in the tag from acting as a LIKE wildcard.
        as_text = cast(col(Item.tags), String)
        found.append(as_text.contains(json.dumps(query.tag), autoescape=True))
    if query.min_price is not None:
        found.append(col(Item.price) >= query.min_price)
    if query.max_price is not None:
        found.append(col(Item.price) <= query.max_price)
    return found


class ItemRepository:
    """Reads and writes items through one session."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def page(self, query: ItemQuery) -> tuple[int, Sequence[Item]]:
        """How many items pass the filters, and the page of them the query asks for."""
        chosen = select(Item).where(*conditions(query))
        total = await self.db.scalar(select(func.count()).select_from(chosen.subquery())) or 0
        page = chosen.order_by(col(Item.id)).offset(query.offset).limit(query.limit)
        return total, (await self.db.scalars(page)).all()

    async def all(self) -> Sequence[Item]:
        return (await self.db.scalars(select(Item).order_by(col(Item.id)))).all()

    async def add(self, item: Item) -> Item:
        """Store a new item; the database gives its id."""
        self.db.add(item)
        await self.db.commit()
        return item
