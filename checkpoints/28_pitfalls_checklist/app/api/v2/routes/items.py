"""Items in API version 2: `title` instead of `name`, and the Page envelope of every v2 listing.

The same service as version 1 (ItemServiceDep: the rules, the owner checks, the queries);
only the shapes differ, translated here and in app/schemas/item_v2.py. A fix to a rule is
made once, in app/services/items.py, and both versions have it.
"""

from collections.abc import AsyncIterator

from fastapi import APIRouter, status
from fastapi.responses import StreamingResponse

from app.api.deps import ItemFiltersDep, ItemServiceDep, ItemWriter, PaginationDep
from app.api.v1.routes.items import OWNER_ONLY, ItemId, csv_line
from app.core.errors import NotFoundError, UnauthorizedError, error_responses
from app.models import Item
from app.repositories.items import ItemQuery
from app.schemas.item_v2 import ItemV2Create, ItemV2Out, ItemV2Update
from app.schemas.page import Page, page_count

router = APIRouter(prefix="/items", tags=["items"])


@router.get("")
async def list_items_v2(
    items: ItemServiceDep, pagination: PaginationDep, filters: ItemFiltersDep
) -> Page[ItemV2Out]:
    """One page of the items that pass the filters, in the v2 envelope."""
    query = ItemQuery(
        tag=filters.tag,
        min_price=filters.min_price,
        max_price=filters.max_price,
        offset=pagination.offset,
        limit=pagination.size,
    )
    total, rows = await items.page(query)
    return Page[ItemV2Out](
        items=[ItemV2Out.of(item) for item in rows],
        total=total,
        page=pagination.page,
        size=pagination.size,
        pages=page_count(total, pagination.size),
    )


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(UnauthorizedError))
async def create_item_v2(
    items: ItemServiceDep, user: ItemWriter, item_in: ItemV2Create
) -> ItemV2Out:
    """Add an item, owned by the caller, from a body that names it by `title`."""
    return ItemV2Out.of(await items.create(item_in.to_service(), owner=user))


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "Every item, one line each; the header says title",
        }
    },
)
async def export_items_csv_v2(items: ItemServiceDep) -> StreamingResponse:
    """Every item as CSV, with version 2's column names, read as it is sent (as in v1)."""

    async def lines(rows: AsyncIterator[Item]) -> AsyncIterator[str]:
        yield csv_line(["id", "title", "price", "tags"])
        async for i in rows:
            yield csv_line([i.id, i.name, i.price, ";".join(i.tags)])

    return StreamingResponse(
        lines(items.stream()),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="items.csv"'},
    )


@router.get("/{item_id}", responses=error_responses(NotFoundError))
async def read_item_v2(items: ItemServiceDep, item_id: ItemId) -> ItemV2Out:
    """One item, by id."""
    return ItemV2Out.of(await items.get(item_id))


@router.patch("/{item_id}", responses=OWNER_ONLY)
async def update_item_v2(
    items: ItemServiceDep, user: ItemWriter, item_id: ItemId, item_in: ItemV2Update
) -> ItemV2Out:
    """Change the fields the body sends; the owner or an admin."""
    return ItemV2Out.of(await items.update(item_id, item_in.to_service(), user))


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT, responses=OWNER_ONLY)
async def delete_item_v2(items: ItemServiceDep, user: ItemWriter, item_id: ItemId) -> None:
    """Delete an item; the owner or an admin."""
    await items.delete(item_id, user)
