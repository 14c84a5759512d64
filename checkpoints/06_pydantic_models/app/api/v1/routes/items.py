"""Items: the catalogue, one page at a time."""

from typing import Any

from fastapi import APIRouter

from app.api.deps import PaginationDep
from app.db.memory import ITEMS

router = APIRouter(prefix="/items", tags=["items"])


@router.get("")
async def list_items(pagination: PaginationDep) -> dict[str, Any]:
    """One page of items, and how many there are in all."""
    start = pagination.offset
    return {
        "page": pagination.page,
        "size": pagination.size,
        "total": len(ITEMS),
        "items": ITEMS[start : start + pagination.size],
    }
