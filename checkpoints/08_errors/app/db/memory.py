"""The app's data, in memory: shared by every request, lost at every restart.

Chapter 12 moves it into a database; until then the routes read and change these objects.
"""

import itertools
import time
from collections.abc import Callable
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


class SessionStore:
    """Session token (the session_id cookie) -> user id; a session ends `ttl_seconds`
    after its login, and past `max_sessions` a new login ends the oldest one.

    Without both bounds the store only grows: nothing but a logout removes a session,
    and a client that logs in in a loop fills the server's memory.
    """

    def __init__(
        self, ttl_seconds: float, max_sessions: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_sessions = max_sessions
        self.clock = clock  # a test passes a clock it moves, instead of waiting an hour
        # In login order, which is also the order they expire in: all live as long.
        self._sessions: dict[str, tuple[int, float]] = {}

    def __setitem__(self, token: str, user_id: int) -> None:
        """Start a session: SESSIONS[token] = user.id."""
        self._sessions.pop(token, None)
        self._drop_expired()
        while len(self._sessions) >= self.max_sessions:
            del self._sessions[next(iter(self._sessions))]  # the oldest
        self._sessions[token] = (user_id, self.clock() + self.ttl_seconds)

    def get(self, token: str) -> int | None:
        """The user id of a live session; None for a token unknown, ended or expired."""
        self._drop_expired()
        session = self._sessions.get(token)
        return session[0] if session else None

    def pop(self, token: str, default: int | None = None) -> int | None:
        """End a session (a logout)."""
        session = self._sessions.pop(token, None)
        return session[0] if session else default

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and self.get(token) is not None

    def __len__(self) -> int:
        self._drop_expired()
        return len(self._sessions)

    def _drop_expired(self) -> None:
        """End the sessions whose time is over: the oldest first, so stop at a live one."""
        now = self.clock()
        while self._sessions:
            token, (_, expires) = next(iter(self._sessions.items()))
            if expires > now:
                return
            del self._sessions[token]


# One hour, as the cookie's Max-Age (session.py): the browser drops the cookie then,
# and the server ends the session whatever the client does with its copy.
SESSIONS = SessionStore(ttl_seconds=3600, max_sessions=10_000)
