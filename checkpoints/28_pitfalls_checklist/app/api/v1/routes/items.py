"""Items: the catalogue, filtered, one page at a time; a CSV export; and since chapter 16,
items owned by the user who created them, which only that user (or an admin, since 17)
may change or delete; writing takes a token with the items:write scope.

The routes do HTTP only: ItemService holds the rules, ItemRepository the queries
(filtering, counting and paging in SQL: the app receives one page of rows).
"""

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, status
from fastapi.responses import StreamingResponse

from app.api.deps import ItemFiltersDep, ItemServiceDep, ItemWriter, PaginationDep
from app.core.errors import ForbiddenError, NotFoundError, UnauthorizedError, error_responses
from app.models import Item
from app.repositories.items import ItemQuery
from app.schemas.item import ItemCreate, ItemOut, ItemPage, ItemUpdate

# 2**31 - 1, the top of PostgreSQL's INTEGER, as for users (app/api/v1/routes/users.py).
MAX_ID = 2**31 - 1

ItemId = Annotated[int, Path(gt=0, le=MAX_ID, description="The item's id, from 1")]

router = APIRouter(prefix="/items", tags=["items"])

CSV_COLUMNS = ["id", "name", "price", "tags"]


def csv_line(values: list[Any]) -> str:
    """One CSV line; the csv module quotes a value that holds a comma or a quote."""
    line = io.StringIO()
    csv.writer(line).writerow(values)
    return line.getvalue()


async def csv_rows(items: AsyncIterable[Item]) -> AsyncIterator[str]:
    """The header, then one line per item (tags joined with ";"), one at a time."""
    yield csv_line(CSV_COLUMNS)
    async for item in items:
        yield csv_line([item.id, item.name, item.price, ";".join(item.tags)])


@router.get("")
async def list_items(
    items: ItemServiceDep, pagination: PaginationDep, filters: ItemFiltersDep
) -> ItemPage:
    """One page of the items that pass the filters, and how many pass them in all."""
    query = ItemQuery(
        tag=filters.tag,
        min_price=filters.min_price,
        max_price=filters.max_price,
        offset=pagination.offset,
        limit=pagination.size,
    )
    total, page = await items.page(query)
    return ItemPage(
        page=pagination.page,
        size=pagination.size,
        total=total,
        items=[ItemOut.model_validate(item) for item in page],
    )


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(UnauthorizedError))
async def create_item(items: ItemServiceDep, user: ItemWriter, item_in: ItemCreate) -> ItemOut:
    """Add an item from the JSON body, owned by the caller; id and owner never from the body."""
    return ItemOut.model_validate(await items.create(item_in, owner=user))


# Above the /{item_id} routes: routes are tried in order, and "/{item_id}" would take
# "export.csv" and refuse it as an int.
@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "Every item, one line each",
        }
    },
)
async def export_items_csv(items: ItemServiceDep) -> StreamingResponse:
    """Every item as CSV, sent line by line while it is read from the database."""
    # Read while the answer is sent, a batch of rows at a time (chapter 25): the request's
    # session stays open until the response is sent (FastAPI closes a yield dependency
    # after the response). The status is sent before the first row is read: a database
    # that fails midway cuts the download short, which the client sees as an incomplete file.
    return StreamingResponse(
        csv_rows(items.stream()),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="items.csv"'},
    )


@router.get("/{item_id}", responses=error_responses(NotFoundError))
async def read_item(items: ItemServiceDep, item_id: ItemId) -> ItemOut:
    """One item, by id: the catalogue is public."""
    return ItemOut.model_validate(await items.get(item_id))


# 401 without a valid token, 404 for no such item, 403 for another user's item: in this
# order, so that a stranger learns nothing, and an owner is told the item is not theirs.
OWNER_ONLY = error_responses(UnauthorizedError, ForbiddenError, NotFoundError)


@router.patch("/{item_id}", responses=OWNER_ONLY)
async def update_item(
    items: ItemServiceDep, user: ItemWriter, item_id: ItemId, item_in: ItemUpdate
) -> ItemOut:
    """Change the fields the body sends; the owner or an admin."""
    return ItemOut.model_validate(await items.update(item_id, item_in, user))


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT, responses=OWNER_ONLY)
async def delete_item(items: ItemServiceDep, user: ItemWriter, item_id: ItemId) -> None:
    """Delete an item; the owner or an admin. The answer has no body."""
    await items.delete(item_id, user)
