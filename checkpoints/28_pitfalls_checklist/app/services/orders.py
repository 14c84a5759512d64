"""The rules about orders: what an order may hold, what it costs, and who may see it.

Prices come from the catalogue, never from the client, and are copied into each line
when the order is placed: the order says what was sold, at what price, for ever.
Money is counted in whole cents (int): the catalogue stores a price as a float (chapter
07's ItemBase), so each unit price is turned into cents once, through its decimal text,
and every sum after that is an exact sum of integers.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from app.domain.errors import NotAllowed, NotFound
from app.models import Item, Order, OrderLine, User
from app.repositories.orders import OrderRepository
from app.schemas.order import OrderCreate

# The dearest unit price an order takes: 1,000,000.00 (10**8 cents). The catalogue has no
# upper bound on a price (chapter 07); an order's columns have one, and so does good sense.
MAX_UNIT_PRICE = Decimal("1000000.00")


class NotOrderable(NotAllowed):
    """The item exists, and its price is outside what an order takes: 403 (NotAllowed)."""


def unit_price_cents(item: Item) -> int:
    """The item's price in whole cents, rounded half up; NotOrderable outside 0.01..MAX.

    str(price) is the shortest decimal that reads back as that float: 19.99 gives "19.99",
    where Decimal(19.99) is 19.989999999999998436805981327779591083526611328125 and
    int(19.99 * 100) is 1998.
    """
    exact = Decimal(str(item.price))
    # Compared before any rounding: quantize refuses a number of more than 28 digits (1e300).
    if not Decimal(0) < exact <= MAX_UNIT_PRICE:
        raise NotOrderable(f"Item {item.id} cannot be ordered: its price is out of range")
    cents = int((exact * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if cents < 1:  # a price under half a cent (0.001): nothing to charge, so not for sale
        raise NotOrderable(f"Item {item.id} cannot be ordered: its price is under one cent")
    return cents


class OrderService:
    def __init__(self, orders: OrderRepository) -> None:
        self.orders = orders

    async def place_order(self, data: OrderCreate, user: User) -> Order:
        """A new order of the user's, priced from the catalogue; NotFound for a missing item."""
        wanted = data.quantities()  # one quantity per item: duplicate lines added up
        found = await self.orders.items_by_id(wanted)
        order = Order(user_id=user.id, created_at=datetime.now(UTC), total_cents=0)
        for item_id, quantity in wanted.items():
            item = found.get(item_id)
            if item is None:
                raise NotFound(f"Item {item_id} not found")
            # Copied now: the line keeps this name and this price whatever the item becomes.
            unit = unit_price_cents(item)
            order.lines.append(
                OrderLine(
                    item_id=item_id,
                    name=item.name,
                    quantity=quantity,
                    unit_price_cents=unit,
                    line_total_cents=unit * quantity,
                )
            )
        # A sum of ints: exact, whatever the number of lines.
        order.total_cents = sum(line.line_total_cents for line in order.lines)
        return await self.orders.add(order)

    async def get_for(self, order_id: int, caller: User) -> Order:
        """The order, if the caller may see it: their own, or any for an admin.

        As for user records (chapter 17's ensure_self_or_admin): a user asking for an order
        that is not theirs is refused (NotAllowed) whether it exists or not, so the answer
        says nothing about other users' orders; NotFound is for an admin naming none.
        """
        order = await self.orders.get(order_id)
        # caller.role is the database row's (get_current_user read it), never the token's.
        if caller.role != "admin" and (order is None or order.user_id != caller.id):
            raise NotAllowed(f"Order {order_id} is not one of your orders")
        if order is None:
            raise NotFound(f"Order {order_id} not found")
        return order

    async def page_for(self, caller: User, offset: int, limit: int) -> tuple[int, Sequence[Order]]:
        """The caller's orders, one page of them; every user's orders for an admin."""
        return await self.orders.page(None if caller.role == "admin" else caller.id, offset, limit)
