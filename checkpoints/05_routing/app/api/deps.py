"""Dependencies shared by routes: declared once here, used by every route that names them."""

from typing import Annotated

from fastapi import Depends, Query
from pydantic import BaseModel

# The last page a client may ask for. Its offset, at most (MAX_PAGE - 1) * 100, stays far
# below the 64-bit integer a database takes for OFFSET (chapter 12): ?page=10**20 is a 422,
# not an overflow deep in the database driver, which would be a 500.
MAX_PAGE = 1_000_000


class Pagination(BaseModel):
    """Which page of a listing the client asked for."""

    page: int
    size: int

    @property
    def offset(self) -> int:
        """How many items come before this page."""
        return (self.page - 1) * self.size


def get_pagination(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1")] = 1,
    size: Annotated[int, Query(ge=1, le=100, description="Items per page, at most 100")] = 10,
) -> Pagination:
    """Read the page and its size from the query string, within their limits."""
    return Pagination(page=page, size=size)


# What routes declare: `pagination: PaginationDep`.
PaginationDep = Annotated[Pagination, Depends(get_pagination)]
