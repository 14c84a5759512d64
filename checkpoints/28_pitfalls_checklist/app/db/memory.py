"""What the app still keeps in memory: the login sessions, lost at every restart.

Users and items live in the database since chapter 12 (app/models). Chapter 16
replaces these sessions with signed tokens (JWTs), which need no server-side store.
"""

import time
from collections.abc import Callable


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
