"""The shapes of items in API version 2: `title`, where version 1 says `name`.

The table, the service and the rules are version 1's (app/services/items.py): these models
only translate at the edge. A v2 body becomes the ItemCreate or ItemUpdate the service
takes; a stored Item becomes an ItemV2Out. The bounds are ItemBase's, the same types.
"""

from typing import Any

from pydantic import BaseModel, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from app.models import Item
from app.schemas.item import ItemCreate, ItemName, ItemUpdate, Price, Tags


class ItemV2Create(BaseModel):
    """POST /api/v2/items: a new item, named by its `title`."""

    title: ItemName
    price: Price
    tags: Tags = Field(default_factory=list)

    def to_service(self) -> ItemCreate:
        """What the service takes: the v1 shape, `title` as `name`."""
        return ItemCreate(name=self.title, price=self.price, tags=self.tags)


class ItemV2Update(BaseModel):
    """PATCH /api/v2/items/{id}: only the fields the client sends change."""

    title: ItemName | SkipJsonSchema[None] = None
    price: Price | SkipJsonSchema[None] = None
    tags: Tags | SkipJsonSchema[None] = None

    @field_validator("title", "price", "tags")
    @classmethod
    def not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be left out, but not set to null")
        return value

    def to_service(self) -> ItemUpdate:
        """The v1 ItemUpdate of the fields this body set, and of no other field."""
        changes: dict[str, Any] = self.model_dump(exclude_unset=True)
        if "title" in changes:
            changes["name"] = changes.pop("title")
        return ItemUpdate(**changes)


class ItemV2Out(BaseModel):
    """An item as version 2 answers it."""

    id: int
    title: str
    price: float
    tags: list[str]

    @classmethod
    def of(cls, item: Item) -> "ItemV2Out":
        """The answer for a stored item: its `name` column, as `title`."""
        return cls.model_validate(
            {"id": item.id, "title": item.name, "price": item.price, "tags": item.tags}
        )
