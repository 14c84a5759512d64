"""The shapes of item data: what creating an item sends, what the API answers.

Both inherit their fields from ItemBase (app/models/item.py), the fields of the table.
"""

from pydantic import BaseModel

from app.models.item import ItemBase


class ItemCreate(ItemBase):
    """POST /items: the JSON body of a new item. No id: the client never chooses it."""


class ItemOut(ItemCreate):
    """An item as the API answers it: the fields of ItemCreate, and the id."""

    id: int


class ItemPage(BaseModel):
    """GET /items: one page of items, and how many there are in all."""

    page: int
    size: int
    total: int
    items: list[ItemOut]
