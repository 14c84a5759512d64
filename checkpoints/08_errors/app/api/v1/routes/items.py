"""Items: the catalogue, one page at a time, and new items from a JSON body."""

from fastapi import APIRouter, status

from app.api.deps import PaginationDep
from app.db import memory
from app.schemas.item import ItemCreate, ItemOut, ItemPage

router = APIRouter(prefix="/items", tags=["items"])


@router.get("")
async def list_items(pagination: PaginationDep) -> ItemPage:
    """One page of items, and how many there are in all."""
    start = pagination.offset
    page = memory.ITEMS[start : start + pagination.size]
    return ItemPage(
        page=pagination.page,
        size=pagination.size,
        total=len(memory.ITEMS),
        items=[ItemOut.model_validate(item) for item in page],
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_item(item_in: ItemCreate) -> ItemOut:
    """Add an item from the JSON body; its id comes from the server, never from the body."""
    item = ItemOut(id=memory.next_item_id(), **item_in.model_dump())
    memory.ITEMS.append(item.model_dump())
    return item
