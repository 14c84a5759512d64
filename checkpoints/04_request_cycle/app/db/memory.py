"""The app's data, in memory: shared by every request, lost at every restart.

Chapter 12 moves it into a database; until then the routes read and change these objects.
"""

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
