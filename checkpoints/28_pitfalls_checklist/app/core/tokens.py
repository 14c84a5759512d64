"""Bearer tokens, chapter 15's way: random strings that the server keeps, each naming a user.

A stepping stone. The tokens live in this process's memory: they are lost at every
restart and unknown to a second worker. Chapter 16 replaces them with signed JWTs,
which any worker can check and none has to keep.
"""

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from app.core.config import settings

# secrets.token_urlsafe(32) is 43 characters: anything much longer is not ours.
TOKEN_MAX_LENGTH = 128


def digest(token: str) -> str:
    """What the store keeps of a token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Grant:
    """Who a token was issued to, and until when (on the store's clock)."""

    user_id: int
    expires_at: float


class TokenStore:
    """The tokens issued and not yet expired, at most max_tokens of them.

    Keys are digests: whoever reads the store (a debugger, a memory dump) finds no
    token that works, and a lookup compares hashes, not the secret itself.
    """

    def __init__(
        self, lifetime_seconds: int, max_tokens: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.lifetime_seconds = lifetime_seconds
        self.max_tokens = max_tokens
        # time.monotonic: never jumps when the system clock is set; tests pass their own.
        self.clock = clock
        # In the order they were issued, so also in the order they expire.
        self._grants: OrderedDict[str, Grant] = OrderedDict()

    def __len__(self) -> int:
        return len(self._grants)

    def issue(self, user_id: int) -> str:
        """A new random token for the user, valid for lifetime_seconds."""
        now = self.clock()
        while self._grants and next(iter(self._grants.values())).expires_at <= now:
            self._grants.popitem(last=False)  # the oldest grants expire first
        while len(self._grants) >= self.max_tokens:
            self._grants.popitem(last=False)  # full: the oldest login must log in again
        token = secrets.token_urlsafe(32)
        self._grants[digest(token)] = Grant(user_id, now + self.lifetime_seconds)
        return token

    def user_id_for(self, token: str) -> int | None:
        """The user the token was issued to; None for an unknown or expired token."""
        if len(token) > TOKEN_MAX_LENGTH:  # not one of ours: not worth hashing
            return None
        key = digest(token)
        grant = self._grants.get(key)
        if grant is None:
            return None
        if grant.expires_at <= self.clock():
            del self._grants[key]
            return None
        return grant.user_id

    def revoke(self, token: str) -> None:
        """Forget the token (a logout), whether or not it was known."""
        self._grants.pop(digest(token), None)


# The app's one store: the token route issues into it, get_current_user reads it.
access_tokens = TokenStore(settings.ACCESS_TOKEN_SECONDS, settings.MAX_ACCESS_TOKENS)
