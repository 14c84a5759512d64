"""Items: the catalogue, filtered, one page at a time; new items from a JSON body; a CSV export.

The filtering, the counting and the paging happen in the database (WHERE, COUNT,
OFFSET/LIMIT): the app receives one page of rows, never the whole table.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, status
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlmodel import col

from app.api.deps import ItemFiltersDep, PaginationDep, SessionDep
from app.models import Item
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
    db: SessionDep, pagination: PaginationDep, filters: ItemFiltersDep
) -> ItemPage:
    """One page of the items that pass the filters, and how many pass them in all."""
    chosen = select(Item).where(*filters.conditions())
    total = await db.scalar(select(func.count()).select_from(chosen.subquery())) or 0
    page = await db.scalars(
        chosen.order_by(col(Item.id)).offset(pagination.offset).limit(pagination.size)
    )
    return ItemPage(
        page=pagination.page,
        size=pagination.size,
        total=total,
        items=[ItemOut.model_validate(item) for item in page],
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_item(db: SessionDep, item_in: ItemCreate) -> ItemOut:
    """Add an item from the JSON body; its id comes from the database, never from the body."""
    # model_validate: the table model from the validated body (ItemCreate has no id).
    item = Item.model_validate(item_in)
    db.add(item)
    await db.commit()  # the INSERT runs here, and the database gives the row its id
    return ItemOut.model_validate(item)


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
async def export_items_csv(db: SessionDep) -> StreamingResponse:
    """Every item as CSV, sent line by line while it is written."""
    # The rows are read now, in one query, while the request's session is open: the
    # stream runs after the route has returned. (25 rows; chapter 25 streams big tables.)
    items = (await db.scalars(select(Item).order_by(col(Item.id)))).all()
    return StreamingResponse(
        csv_rows(items),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="items.csv"'},
    )
