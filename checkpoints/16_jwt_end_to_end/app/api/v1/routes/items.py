"""Items: the catalogue, filtered, one page at a time; new items from a JSON body; a CSV export.

The routes do HTTP only: ItemService holds the rules, ItemRepository the queries
(filtering, counting and paging in SQL: the app receives one page of rows).
"""

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, status
from fastapi.responses import StreamingResponse

from app.api.deps import ItemFiltersDep, ItemServiceDep, PaginationDep
from app.models import Item
from app.repositories.items import ItemQuery
from app.schemas.item import ItemCreate, ItemOut, ItemPage

router = APIRouter(prefix="/items", tags=["items"])

CSV_COLUMNS = ["id", "name", "price", "tags"]


def csv_line(values: list[Any]) -> str:
    """One CSV line; the csv module quotes a value that holds a comma or a quote."""
    line = io.StringIO()
    csv.writer(line).writerow(values)
    return line.getvalue()


def csv_rows(items: Iterable[Item]) -> Iterator[str]:
    """The header, then one line per item (tags joined with ";"), one at a time."""
    yield csv_line(CSV_COLUMNS)
    for item in items:
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


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_item(items: ItemServiceDep, item_in: ItemCreate) -> ItemOut:
    """Add an item from the JSON body; its id comes from the database, never from the body."""
    return ItemOut.model_validate(await items.create(item_in))


# A route /{item_id}, when one comes, goes below this one: it would take "export.csv".
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
    """Every item as CSV, sent line by line while it is written."""
    # The rows are read now, in one query, while the request's session is open: the
    # stream runs after the route has returned. (25 rows; chapter 25 streams big tables.)
    every_item = await items.everything()
    return StreamingResponse(
        csv_rows(every_item),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="items.csv"'},
    )
