"""The page envelope of API version 2: every v2 listing answers the same four fields.

    {"items": [...], "total": 42, "page": 2, "size": 20, "pages": 3}

- items: the rows of this page, at most `size`;
- total: how many rows pass the filters in all pages, not only this one;
- page, size: the page asked for (from 1) and its size, as the client sent them;
- pages: how many pages of `size` hold `total` rows (0 when there are none).
"""

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


def page_count(total: int, size: int) -> int:
    """How many pages of `size` rows hold `total` rows: 0 for none, 1 for 1 to size, ..."""
    return -(-total // size)


class Page(BaseModel, Generic[T]):
    """One page of a v2 listing; `Page[ItemV2Out]` in a route's return annotation."""

    items: list[T]
    total: int = Field(ge=0, description="How many rows pass the filters, in all pages")
    page: int = Field(ge=1, description="The page of this answer, from 1")
    size: int = Field(ge=1, description="The most rows a page holds")
    pages: int = Field(ge=0, description="How many pages hold `total` rows")
