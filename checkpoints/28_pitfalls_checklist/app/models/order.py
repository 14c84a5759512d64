"""Order and OrderLine: what a user ordered, at the prices of the moment they ordered.

An order is a record of a sale: it keeps the name and the unit price of each item as
they were when the order was placed (copied into its lines), so a later change to
the catalogue (a new price, a renamed or deleted item) never changes an old order.
Money is whole cents in integer columns: exact on every database, no float sums.
"""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, UTCDateTime


class Order(Base):
    __tablename__ = "orders"
    # As for users: a deleted order's id is never given to another one. The listing's index
    # (chapter 27, migration 0002): a user's orders in id order, a page read off the index.
    __table_args__ = (
        Index("ix_orders_user_id_id", "user_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Whose order. No foreign key, as for the outbox (chapter 19): an order is a record of
    # a sale that outlives the account, and PostgreSQL would refuse to delete its user.
    user_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The sum of the lines' totals, in cents, computed by the server (app/services/orders.py).
    total_cents: Mapped[int] = mapped_column(BigInteger)
    # raise (chapter 25): the lines come with an order only when the query asks for them
    # (selectinload in app/repositories/orders.py); reading them otherwise is an error that
    # names the attribute, never a hidden query (which an AsyncSession refuses anyway).
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        lazy="raise",
        order_by="OrderLine.id",
    )


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    # The item as it was: its id (no foreign key: deleting the item keeps the line), and
    # its name and unit price copied at order time.
    item_id: Mapped[int] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100))  # as long as an item's name (ItemBase)
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int]  # 1 to 5000: the lines of one item are merged (OrderCreate)
    line_total_cents: Mapped[int] = mapped_column(BigInteger)

    order: Mapped[Order] = relationship(back_populates="lines")
