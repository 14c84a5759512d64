"""The rules about the catalogue: listing it a page at a time, adding to it, exporting it."""

from collections.abc import Sequence

from app.models import Item
from app.repositories.items import ItemQuery, ItemRepository
from app.schemas.item import ItemCreate


class ItemService:
    def __init__(self, items: ItemRepository) -> None:
        self.items = items

    async def page(self, query: ItemQuery) -> tuple[int, Sequence[Item]]:
        """How many items pass the filters, and one page of them."""
        return await self.items.page(query)

    async def create(self, data: ItemCreate) -> Item:
        """A new item from validated data; its id comes from the database."""
        return await self.items.add(Item.model_validate(data))

    async def everything(self) -> Sequence[Item]:
        """Every item, in id order (the CSV export)."""
        return await self.items.all()
