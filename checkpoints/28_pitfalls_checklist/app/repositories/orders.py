"""Every query on the orders tables, and the one on items that placing an order needs.

Since chapter 25 Order.lines loads only when a query asks for it (lazy="raise").
"""

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlmodel import col

from app.models import Item, Order

# What every query that answers orders asks for: their lines, in one more SELECT for all
# the orders it read (WHERE order_id IN (...)), however many there are.
WITH_LINES = selectinload(Order.lines)


class OrderRepository:
    """Reads and writes orders (and their lines) through one session."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def get(self, order_id: int) -> Order | None:
        # One order: its lines in one more query.
        return await self.db.get(Order, order_id, options=[WITH_LINES])

    async def page(
        self, user_id: int | None, offset: int, limit: int
    ) -> tuple[int, Sequence[Order]]:
        """How many orders there are, and one page of them with their lines, oldest first:
        the orders of user_id, or every order for None (an admin's listing). Three queries,
        whatever the size of the page: the count, the orders, and the lines of them all."""
        chosen = select(Order)
        if user_id is not None:
            chosen = chosen.where(Order.user_id == user_id)
        total = await self.db.scalar(select(func.count()).select_from(chosen.subquery())) or 0
        page = chosen.options(WITH_LINES).order_by(Order.id).offset(offset).limit(limit)
        return total, (await self.db.scalars(page)).all()

    async def items_by_id(self, item_ids: Iterable[int]) -> dict[int, Item]:
        """The items of these ids that exist, by id: one query for the whole order."""
        found = await self.db.scalars(select(Item).where(col(Item.id).in_(list(item_ids))))
        return {item.id: item for item in found if item.id is not None}

    async def add(self, order: Order) -> Order:
        """Store a new order and its lines, in one transaction; the database gives the ids."""
        self.db.add(order)
        await self.db.commit()
        return order
