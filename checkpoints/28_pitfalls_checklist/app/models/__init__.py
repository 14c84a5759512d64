"""The table models of the app.

Importing this package imports every model module, and so registers every table
on Base.metadata: create_all (in the lifespan) creates only the tables it knows.
A new model module is imported here, or its table is never created.
"""

from app.models.event import ServiceEvent
from app.models.item import Item
from app.models.order import Order, OrderLine
from app.models.outbox import OutboxMessage
from app.models.user import User

__all__ = ["Item", "Order", "OrderLine", "OutboxMessage", "ServiceEvent", "User"]
