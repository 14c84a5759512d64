"""The rules about the catalogue: listing it a page at a time, adding to it, exporting it,
and who may change an item: its owner only (admins too, from chapter 17)."""

from collections.abc import Sequence

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


class ItemService:
    def __init__(self, items: ItemRepository) -> None:
        self.items = items

    async def page(self, query: ItemQuery) -> tuple[int, Sequence[Item]]:
        """How many items pass the filters, and one page of them."""
        return await self.items.page(query)

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
        return await self.items.add(item)

    async def update(self, item_id: int, data: ItemUpdate, user: User) -> Item:
        """Change the fields the caller set; NotFound first, then NotAllowed for a non-owner."""
        item = await self.get(item_id)
        ensure_owner(item, user)
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(item, name, value)
        return await self.items.save(item)

    async def delete(self, item_id: int, user: User) -> None:
        """Delete the item; only its owner, or an admin, may."""
        item = await self.get(item_id)
        ensure_owner(item, user)
        await self.items.delete(item)

    async def everything(self) -> Sequence[Item]:
        """Every item, in id order (the CSV export)."""
        return await self.items.all()
