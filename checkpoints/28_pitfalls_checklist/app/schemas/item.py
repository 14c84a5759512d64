"""The shapes of item data: what creating or changing an item sends, what the API answers.

Both inherit their fields from ItemBase (app/models/item.py), the fields of the table.
"""

from typing import Annotated

from pydantic import AllowInfNan, BaseModel, Field, StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema

from app.models.item import MAX_TAGS, ItemBase, Tag
from app.schemas.text import NoNulStr

# ItemBase's bounds, for the optional fields of a PATCH.
ItemName = Annotated[
    NoNulStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]
Price = Annotated[float, AllowInfNan(False), Field(gt=0)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]


class ItemCreate(ItemBase):
    """POST /items: the JSON body of a new item. No id: the client never chooses it."""


class ItemUpdate(BaseModel):
    """PATCH /items/{id}: only the fields the client sends change; the same bounds as ItemBase."""

    name: ItemName | SkipJsonSchema[None] = None
    price: Price | SkipJsonSchema[None] = None
    tags: Tags | SkipJsonSchema[None] = None

    # Validators do not run on defaults: this refuses only an explicit null.
    @field_validator("name", "price", "tags")
    @classmethod
    def not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be left out, but not set to null")
        return value


class ItemOut(ItemCreate):
    """An item as the API answers it: the fields of ItemCreate, and the id.

    Not the owner: who owns what is the server's business (chapter 17 may show it to admins).
    """

    id: int


class ItemPage(BaseModel):
    """GET /items: one page of items, and how many there are in all."""

    page: int
    size: int
    total: int
    items: list[ItemOut]
