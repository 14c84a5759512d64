"""The app's data, in memory: shared by every request, lost at every restart.

Chapter 12 moves it into a database; until then the routes read and change these objects.
"""

import itertools
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

USERS: dict[int, dict[str, Any]] = {
    1: {"id": 1, "name": "Alice", "email": "alice@example.com"},
    2: {"id": 2, "name": "Bob", "email": "bob@example.com"},
}

# Counts on from the seeds and never goes back: a deleted user's id is never given again.
_user_ids = itertools.count(start=len(USERS) + 1)


def next_user_id() -> int:
    """The id of the next user created."""
    return next(_user_ids)
