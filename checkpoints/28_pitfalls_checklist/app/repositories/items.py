"""Every query on the items table: filtering, counting and paging happen in SQL."""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.sql import json_list_has
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
        # One of the elements of the JSON list is the tag, compared whole: not a
        # LIKE on the list's text, where ?tag=games finds the tag 'not "games'.
        found.append(json_list_has(col(Item.tags), query.tag))
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

    async def stream(self, batch: int = 500) -> AsyncIterator[Item]:
        """Every item, in id order, read from the database `batch` rows at a time (chapter 25).

        One short query per batch, from the last id sent (keyset pagination): the app holds
        one batch, never the table, and between two batches no cursor and no lock, so a
        download the client abandons leaves nothing open in the database.
        """
        last_id = 0
        while True:
            query = select(Item).where(col(Item.id) > last_id).order_by(col(Item.id))
            rows = (await self.db.scalars(query.limit(batch))).all()
            for item in rows:
                yield item
            if len(rows) < batch or rows[-1].id is None:
                return
            last_id = rows[-1].id  # a stored row always has its id: None is for mypy

    async def get(self, item_id: int) -> Item | None:
        return await self.db.get(Item, item_id)

    async def add(self, item: Item) -> Item:
        """Store a new item; the database gives its id."""
        self.db.add(item)
        await self.db.commit()
        return item

    async def save(self, item: Item) -> Item:
        """Write the changes made to an item read through this session."""
        await self.db.commit()
        return item

    async def delete(self, item: Item) -> None:
        await self.db.delete(item)
        await self.db.commit()
