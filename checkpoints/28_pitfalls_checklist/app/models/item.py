"""Item, declared once with SQLModel: the same fields make the table and the API's shapes.

ItemBase holds the fields and their validation. Item adds the id and
table=True: it is the table. ItemCreate and ItemOut (app/schemas/item.py)
inherit the same fields: a field added to ItemBase appears in all three.
"""

from typing import Annotated

from pydantic import AllowInfNan, StringConstraints
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.schemas.text import NoNulStr

# The bounds of chapter 07: at most MAX_TAGS tags, each 1 to 50 characters, no NUL.
MAX_TAGS = 20
Tag = Annotated[NoNulStr, StringConstraints(min_length=1, max_length=50)]


class ItemBase(SQLModel):
    """The fields every shape of an item shares."""

    # strip_whitespace runs before the length check: a name of spaces is as empty as "".
    name: Annotated[
        NoNulStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    # Python's json module reads Infinity, which JSON does not have: a price is finite.
    price: Annotated[float, AllowInfNan(False)] = Field(gt=0)
    # sa_type: the column type, where SQLModel cannot guess it from the annotation.
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS, sa_type=JSON)


class Item(ItemBase, table=True):
    """One row of the items table.

    A table model does NOT validate when created (Item(price=-1) is accepted):
    build it from a validated ItemCreate, with Item.model_validate(item_in).
    """

    __tablename__ = "items"
    __table_args__ = {"sqlite_autoincrement": True}

    # None until the INSERT: the database gives the id.
    id: int | None = Field(default=None, primary_key=True)
    # Who created the item (chapter 16): the only user who may change or delete it. Never
    # from the body: ItemCreate has no such field, the route sets it from the token. None for
    # the seeded catalogue and for items of older databases: nobody's (admins', chapter 17).
    # SET NULL: deleting a user leaves their items, owned by nobody, instead of failing.
    owner_id: int | None = Field(
        default=None, foreign_key="users.id", ondelete="SET NULL", index=True
    )
