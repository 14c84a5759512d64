"""The rules about the catalogue: listing it a page at a time, adding to it, exporting it,
and who may change an item: its owner only (admins too, from chapter 17).

Since chapter 25 the pages of the listing come from a cache (app/core/cache.py) when one
is given, and every write that changes the catalogue invalidates it, once it is committed.
"""

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict

from app.core.cache import Cache
from app.domain.errors import NotAllowed, NotFound
from app.models import Item, User
from app.repositories.items import ItemQuery, ItemRepository
from app.schemas.item import ItemCreate, ItemUpdate


def ensure_owner(item: Item, user: User) -> None:
    """NotAllowed unless the user owns the item (compared by id) or is an admin."""
    # user.role comes from the database row (get_current_user reads it), never from the token.
    if user.role == "admin":
        return
    # An item with no owner (the seeded catalogue, older databases) is nobody's: refused too.
    if item.owner_id is None or item.owner_id != user.id:
        raise NotAllowed(f"Item {item.id} belongs to another user")


def page_key(query: ItemQuery) -> str:
    """The cache key of a listing page: every field of the query, filters and page alike."""
    return "items:" + json.dumps(asdict(query), sort_keys=True)


class ItemService:
    def __init__(self, items: ItemRepository, cache: Cache | None = None) -> None:
        self.items = items
        # The catalogue is public: one page is the same for every caller, so one key each.
        self.cache = cache

    async def page(self, query: ItemQuery) -> tuple[int, Sequence[Item]]:
        """How many items pass the filters, and one page of them; from the cache if kept."""
        if self.cache is None:
            return await self.items.page(query)

        async def load() -> dict[str, object]:
            total, rows = await self.items.page(query)
            return {"total": total, "items": [row.model_dump() for row in rows]}

        found = await self.cache.cached(page_key(query), load)
        # Items that no session knows: read-only copies, for the answer.
        return found["total"], [Item(**row) for row in found["items"]]

    async def catalogue_changed(self) -> None:
        """Every cached page may be out of date now: forget them all."""
        if self.cache is not None:
            await self.cache.invalidate()

    async def get(self, item_id: int) -> Item:
        """The item with this id; NotFound, naming the id, when there is none."""
        item = await self.items.get(item_id)
        if item is None:
            raise NotFound(f"Item {item_id} not found")
        return item

    async def create(self, data: ItemCreate, owner: User | None = None) -> Item:
        """A new item from validated data, owned by the user who sent it (the route always
        names one; a script may leave it out: an item of nobody, as the seeded ones)."""
        item = Item.model_validate(data)
        item.owner_id = owner.id if owner is not None else None
        created = await self.items.add(item)
        # After the commit: a read between an invalidation and the commit would cache the
        # catalogue without the new item again.
        await self.catalogue_changed()
        return created

    async def update(self, item_id: int, data: ItemUpdate, user: User) -> Item:
        """Change the fields the caller set; NotFound first, then NotAllowed for a non-owner."""
        item = await self.get(item_id)
        ensure_owner(item, user)
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(item, name, value)
        saved = await self.items.save(item)
        await self.catalogue_changed()
        return saved

    async def delete(self, item_id: int, user: User) -> None:
        """Delete the item; only its owner, or an admin, may."""
        item = await self.get(item_id)
        ensure_owner(item, user)
        await self.items.delete(item)
        await self.catalogue_changed()

    async def everything(self) -> Sequence[Item]:
        """Every item, in id order, in one list."""
        return await self.items.all()

    def stream(self) -> AsyncIterator[Item]:
        """Every item, in id order, a batch at a time (the CSV export, since chapter 25)."""
        return self.items.stream()
