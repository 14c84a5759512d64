"""The first rows of an empty database: the two users and the 25 items of the earlier chapters."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Item, User

CATEGORIES = ("books", "games", "tools")


def seed_items() -> list[Item]:
    """The catalogue of chapter 04: prices and tags follow from the id."""
    return [
        Item(
            id=n,
            name=f"Item {n}",
            price=n * 2.5,
            tags=[CATEGORIES[n % 3], "sale"] if n % 5 == 0 else [CATEGORIES[n % 3]],
        )
        for n in range(1, 26)
    ]


def seed(db: Session) -> None:
    """Insert the seed rows into each table that is empty; leave a table with rows alone."""
    if not db.scalar(select(func.count()).select_from(User)):
        db.add_all(
            [
                User(
                    id=1,
                    name="Alice",
                    email="alice@example.com",
                    password="alice-secret-1",
                    role="admin",
                ),
                User(id=2, name="Bob", email="bob@example.com", password="bob-secret-1"),
            ]
        )
    if not db.scalar(select(func.count()).select_from(Item)):
        db.add_all(seed_items())
    db.commit()
