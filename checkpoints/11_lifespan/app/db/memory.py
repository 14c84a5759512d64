"""The app's data, in memory: shared by every request, lost at every restart.

Chapter 12 moves it into a database; until then the routes read and change these objects.
"""

import itertools
from dataclasses import dataclass, field
from typing import Any

CATEGORIES = ("books", "games", "tools")

# Prices and tags follow from the id, so every run shows the same items.
ITEMS: list[dict[str, Any]] = [
    {
        "id": n,
        "name": f"Item {n}",
        "price": n * 2.5,
        "tags": [CATEGORIES[n % 3], "sale"] if n % 5 == 0 else [CATEGORIES[n % 3]],
    }
    for n in range(1, 26)
]

# New items are numbered on from the seeds.
_item_ids = itertools.count(start=len(ITEMS) + 1)


@dataclass
class UserRecord:
    """A stored user: what the app knows, the password included (UserOut says what it tells)."""

    id: int
    name: str
    email: str
    # Kept as given until chapter 16 stores a bcrypt hash instead: never ship this.
    # repr=False: printing or logging a record does not show it.
    password: str = field(repr=False)
    role: str = "user"
    is_active: bool = True
    profile: dict[str, Any] | None = None


USERS: dict[int, UserRecord] = {
    1: UserRecord(1, "Alice", "alice@example.com", "alice-secret-1", role="admin"),
    2: UserRecord(2, "Bob", "bob@example.com", "bob-secret-1"),
}

# Counts on from the seeds and never goes back: a deleted user's id is never given again.
_user_ids = itertools.count(start=len(USERS) + 1)


def next_user_id() -> int:
    """The id of the next user created."""
    return next(_user_ids)


def next_item_id() -> int:
    """The id of the next item created."""
    return next(_item_ids)


def find_user_by_email(email: str) -> UserRecord | None:
    """The user with this email, compared case-insensitively, or None."""
    wanted = email.casefold()
    return next((user for user in USERS.values() if user.email.casefold() == wanted), None)


# Session token (the value of the session_id cookie) -> the id of the logged-in user.
SESSIONS: dict[str, int] = {}
