"""A cache for the reads that every client repeats: the same answer, without the database.

One rule makes a cache correct: every write that changes what a cached answer says
forgets it (invalidate). Here a write does not look for the keys it changed: it moves the
cache to a new generation, and every key holds the generation it was read in, so the
entries of the old one are never read again. A read that began before the write and
stores its (old) answer after it stores it under the old generation: never read either.

MemoryCache lives in this process: bounded (the oldest entries go first), and each
entry expires after CACHE_TTL_SECONDS. With several workers each has its own, and a write
in one worker invalidates only its own: set REDIS_URL, and RedisCache shares one cache
(and one generation) between all of them. A Redis that fails is never a 500: the read
goes to the database, and the log says so (once a minute at most).
Only answers that are the same for every caller belong in a shared cache: the public
catalogue, never a user's orders or profile under a key that does not name the user.
"""

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from app.core.config import Settings

logger = logging.getLogger("app.cache")

# What a cache keeps: JSON-able data (dicts, lists, numbers, text), never ORM objects.
Loader = Callable[[], Awaitable[Any]]


class Cache:
    """What both caches do; each says how it keeps entries and its generation."""

    async def cached(self, key: str, load: Loader) -> Any:
        """The value kept under key, or load()'s, which is then kept (for the TTL)."""
        generation = await self.generation()
        full_key = f"{generation}:{key}"
        found = await self.read(full_key)
        if found is not None:
            return json.loads(found)
        value = await load()
        await self.write(full_key, json.dumps(value))
        return value

    async def generation(self) -> int:
        raise NotImplementedError

    async def read(self, key: str) -> str | None:
        raise NotImplementedError

    async def write(self, key: str, text: str) -> None:
        raise NotImplementedError

    async def invalidate(self) -> None:
        """Forget every entry: the next read of any key loads it afresh."""
        raise NotImplementedError

    async def close(self) -> None:
        """Release what the cache holds open (at shutdown)."""


class MemoryCache(Cache):
    """Entries in this process: at most max_entries, each for ttl seconds.

    The values are kept as JSON text: each read gets a copy of its own, which a caller may
    change without changing what the next caller reads.
    """

    def __init__(
        self, ttl: float, max_entries: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl, self.max_entries, self.clock = ttl, max_entries, clock
        self._generation = 0
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()

    async def generation(self) -> int:
        return self._generation

    async def read(self, key: str) -> str | None:
        found = self._entries.get(key)
        if found is None:
            return None
        expires, text = found
        if expires <= self.clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)  # recently used: the last to go
        return text

    async def write(self, key: str, text: str) -> None:
        self._entries[key] = (self.clock() + self.ttl, text)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)  # the least recently used

    async def invalidate(self) -> None:
        self._generation += 1
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class RedisCache(Cache):
    """Entries in Redis, shared by every process that uses the same prefix."""

    def __init__(self, client: redis.Redis, prefix: str, ttl: int) -> None:
        self.client, self.prefix, self.ttl = client, prefix, ttl
        self._warned_at = float("-inf")

    def _failed(self, doing: str, error: Exception) -> None:
        # The kind of error only: its text may hold the URL, and the URL a password.
        if time.monotonic() - self._warned_at >= 60:
            self._warned_at = time.monotonic()
            logger.warning("cache: Redis failed while %s (%s)", doing, type(error).__name__)

    async def generation(self) -> int:
        try:
            return int(await self.client.get(f"{self.prefix}:generation") or 0)
        except (RedisError, OSError) as error:
            self._failed("reading the generation", error)
            return -1  # no entry is ever written under -1: the read goes to the database

    async def read(self, key: str) -> str | None:
        if key.startswith("-1:"):
            return None
        try:
            found = await self.client.get(f"{self.prefix}:{key}")
        except (RedisError, OSError) as error:
            self._failed("reading", error)
            return None
        return found.decode() if isinstance(found, bytes) else found

    async def write(self, key: str, text: str) -> None:
        if key.startswith("-1:"):
            return
        try:
            await self.client.set(f"{self.prefix}:{key}", text, ex=self.ttl)
        except (RedisError, OSError) as error:
            self._failed("writing", error)

    async def invalidate(self) -> None:
        # INCR is atomic: two writers at once move it twice, and neither is lost.
        try:
            await self.client.incr(f"{self.prefix}:generation")
        except (RedisError, OSError) as error:
            # What was cached stays until its TTL: said at error level, every time.
            logger.error("cache: Redis failed to invalidate (%s)", type(error).__name__)

    async def close(self) -> None:
        await self.client.aclose()


async def open_cache(settings: Settings, namespace: str) -> Cache:
    """The cache of the settings: Redis when REDIS_URL names one that answers, else memory."""
    url = settings.REDIS_URL.get_secret_value()
    if url:
        client = redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        try:
            await client.ping()
        except (RedisError, OSError) as error:
            await client.aclose()
            logger.warning(
                "REDIS_URL is set, and Redis does not answer (%s): caching in this process",
                type(error).__name__,
            )
        else:
            prefix = f"{settings.CACHE_KEY_PREFIX}:{namespace}"
            return RedisCache(client, prefix, settings.CACHE_TTL_SECONDS)
    return MemoryCache(settings.CACHE_TTL_SECONDS, settings.CACHE_MAX_ENTRIES)
