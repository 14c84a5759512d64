"""Items: the catalogue, filtered, one page at a time; new items from a JSON body; a CSV export."""

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, status
from fastapi.responses import StreamingResponse

from app.api.deps import ItemFiltersDep, PaginationDep
from app.db import memory
from app.schemas.item import ItemCreate, ItemOut, ItemPage

router = APIRouter(prefix="/items", tags=["items"])

CSV_COLUMNS = ["id", "name", "price", "tags"]


def csv_line(values: list[Any]) -> str:
    """One CSV line; the csv module quotes a value that holds a comma or a quote."""
    line = io.StringIO()
    csv.writer(line).writerow(values)
    return line.getvalue()


def csv_rows(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The header, then one line per item (tags joined with ";"), one at a time."""
    yield csv_line(CSV_COLUMNS)
    for item in items:
        yield csv_line([item["id"], item["name"], item["price"], ";".join(item["tags"])])


@router.get("")
async def list_items(pagination: PaginationDep, filters: ItemFiltersDep) -> ItemPage:
    """One page of the items that pass the filters, and how many pass them in all."""
    found = [item for item in memory.ITEMS if filters.matches(item)]
    start = pagination.offset
    page = found[start : start + pagination.size]
    return ItemPage(
        page=pagination.page,
        size=pagination.size,
        total=len(found),
        items=[ItemOut.model_validate(item) for item in page],
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_item(item_in: ItemCreate) -> ItemOut:
    """Add an item from the JSON body; its id comes from the server, never from the body."""
    item = ItemOut(id=memory.next_item_id(), **item_in.model_dump())
    memory.ITEMS.append(item.model_dump())
    return item


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
async def export_items_csv() -> StreamingResponse:
    """Every item as CSV, sent line by line while it is written."""
    # A copy of the list (of references: the items are not copied): an item added
    # while the export streams neither shows up halfway nor breaks the loop.
    return StreamingResponse(
        csv_rows(list(memory.ITEMS)),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="items.csv"'},
    )
