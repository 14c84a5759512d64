"""The shapes of item data: what creating an item sends, what the API answers."""

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

MAX_TAGS = 20
Tag = Annotated[str, StringConstraints(min_length=1, max_length=50)]


class ItemCreate(BaseModel):
    """POST /items: the JSON body of a new item."""

    # strip_whitespace runs before the length check: a name of spaces is as empty as "".
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    # Python's json module reads Infinity, which JSON does not have: a price is finite.
    price: float = Field(gt=0, allow_inf_nan=False)
    # At most MAX_TAGS tags of 1 to 50 characters: unbounded, one POST of 20 MB of
    # tags is stored, then sent to every client that lists the items.
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)


class ItemOut(ItemCreate):
    """An item as the API answers it."""

    id: int


class ItemPage(BaseModel):
    """GET /items: one page of items, and how many there are in all."""

    page: int
    size: int
    total: int
    items: list[ItemOut]
