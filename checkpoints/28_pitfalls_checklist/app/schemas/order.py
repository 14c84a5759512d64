"""The shapes of orders: what placing one sends, what the API answers.

A client says which items it wants and how many of each, nothing more: no price, no
total. Both models forbid extra fields, so a body that carries a `price` or a `total`
is refused (422) instead of being silently ignored: a client that believes it sets
the price learns at once that it does not.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.models import Order

# The bounds of an order (module constants: settings are chapter 21's business).
MAX_LINES = 50  # lines in one order
MAX_QUANTITY = 100  # of one item, in one line
# 2**31 - 1, the top of PostgreSQL's INTEGER: a larger id names no item (chapter 13).
MAX_ID = 2**31 - 1

ItemRef = Annotated[int, Field(gt=0, le=MAX_ID, description="The id of an item of the catalogue")]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY, description="How many, 1 to 100")]
# Money as the API answers it: a decimal string with two places ("25.00"), never a float.
Money = Annotated[
    Decimal, Field(description="An amount with two decimal places", examples=["25.00"])
]


class OrderLineIn(BaseModel):
    """One line of a new order: an item and a quantity; its price is the server's to say."""

    model_config = ConfigDict(extra="forbid")

    item_id: ItemRef
    quantity: Quantity


class OrderCreate(BaseModel):
    """POST /orders: 1 to 50 lines; two lines of the same item count as one (quantities)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"lines": [{"item_id": 1, "quantity": 2}]}]},
    )

    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=MAX_LINES)]

    def quantities(self) -> dict[int, int]:
        """How many of each item, by item id, in the order the items were first named.

        Merged, not refused: two lines of the same item are one line of the order, their
        quantities added (so a stored line holds at most MAX_LINES * MAX_QUANTITY). A JSON
        schema cannot say "no two lines with the same item_id", so a refusal would be a 422
        for a body the API's own document allows.
        """
        wanted: dict[int, int] = {}
        for line in self.lines:
            wanted[line.item_id] = wanted.get(line.item_id, 0) + line.quantity
        return wanted


class OrderLineOut(BaseModel):
    """A line as stored: the item's name and unit price as they were at order time."""

    item_id: int
    name: str
    quantity: int
    unit_price: Money
    line_total: Money


class OrderOut(BaseModel):
    """An order as the API answers it; `total` is the sum of the lines, computed on the server."""

    id: int
    user_id: int
    created_at: datetime
    lines: list[OrderLineOut]
    total: Money


class OrderPage(BaseModel):
    """GET /orders: one page of the orders the caller may see, and how many there are."""

    page: int
    size: int
    total: int
    orders: list[OrderOut]


def money(cents: int) -> Decimal:
    """Cents as an amount with two places: 2500 -> Decimal("25.00"), exactly."""
    return Decimal(cents).scaleb(-2)


def order_out(order: Order) -> OrderOut:
    """The answer for a stored order: its lines' copied prices, never the catalogue's."""
    return OrderOut(
        id=order.id,
        user_id=order.user_id,
        created_at=order.created_at,
        lines=[
            OrderLineOut(
                item_id=line.item_id,
                name=line.name,
                quantity=line.quantity,
                unit_price=money(line.unit_price_cents),
                line_total=money(line.line_total_cents),
            )
            for line in order.lines
        ],
        total=money(order.total_cents),
    )
