"""Chapter 25: hashing bounded off the event loop, a cached catalogue, an N+1 fixed.

Queries are counted with a `before_cursor_execute` listener on the app's own engine; the
hashing limit with stand-ins for bcrypt that record how many run at once, and where. The
Redis tests use the server at 127.0.0.1:6379 when it answers, each under a key prefix of
its own, and skip with the reason when it does not.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from conftest import (
    bearer,
    body,
    import_app_module,
    login_headers,
    stored_value,
    unique,
    why,
)
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from workbook.server import LiveServer

ITEMS = "/api/v1/items"
ORDERS = "/api/v1/orders"
USERS = "/api/v1/users"
PASSWORDS = "app/core/passwords.py"
CACHE = "app/core/cache.py"
SERVICE = "app/services/items.py"
REPOSITORY = "app/repositories/orders.py"
REDIS = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parents[2]


def module(name: str) -> Any:
    return import_app_module(name)


# --- exercise 25.1: hashing bounded, off the loop ------------------------------------------


def test_hash_concurrency_is_a_setting() -> None:
    settings = module("app.core.config").Settings()
    wanted = os.environ.get("HASH_CONCURRENCY") or str(os.cpu_count() or 1)
    assert str(settings.HASH_CONCURRENCY) == wanted, (
        f"HASH_CONCURRENCY is {settings.HASH_CONCURRENCY!r}, not one per CPU core by default "
        f"({wanted}): Field(default_factory=lambda: os.cpu_count() or 1) in app/core/config.py"
    )


class Recorder:
    """Stands in for bcrypt, and records how many run at once, and where.

    Each call off the loop waits (at most half a second) until as many run as the limit
    allows, or every call has started: the count of a correct limiter is then exactly the
    limit, however slowly the machine starts its threads.
    """

    def __init__(self, limit: int, total: int) -> None:
        self.limit, self.total = limit, total
        self.running = self.most = self.calls = 0
        self.on_loop_thread = 0
        self.loop_thread = threading.get_ident()
        self.changed = threading.Condition()

    def __call__(self, *args: Any) -> Any:
        on_loop = threading.get_ident() == self.loop_thread
        with self.changed:
            self.running += 1
            self.calls += 1
            self.most = max(self.most, self.running)
            self.on_loop_thread += on_loop
            self.changed.notify_all()
            if not on_loop:
                self.changed.wait_for(
                    lambda: self.running >= self.limit or self.calls >= self.total, timeout=0.5
                )
        time.sleep(0.005)
        with self.changed:
            self.running -= 1
        return "$2b$04$" + "x" * 53 if len(args) == 1 else False


def hashed_at_once(monkeypatch: pytest.MonkeyPatch, verifies: int, hashes: int) -> Recorder:
    """Run verifies password_matches and hashes new_hash calls at once; what the stand-in saw."""
    passwords = module("app.core.passwords")
    limit = module("app.core.config").settings.HASH_CONCURRENCY
    recorder = Recorder(limit, verifies + hashes)
    monkeypatch.setattr(passwords, "verify_password", recorder)
    monkeypatch.setattr(passwords, "hash_password", recorder)

    async def main() -> None:
        recorder.loop_thread = threading.get_ident()
        async with anyio.create_task_group() as group:
            for _ in range(verifies):
                group.start_soon(passwords.password_matches, "guess", "$2b$04$" + "x" * 53)
            for _ in range(hashes):
                group.start_soon(passwords.new_hash, "a new password")

    anyio.run(main)
    return recorder


def test_each_event_loop_has_one_hash_limiter_sized_by_the_setting() -> None:
    passwords = module("app.core.passwords")
    wanted = module("app.core.config").settings.HASH_CONCURRENCY

    async def twice() -> tuple[Any, Any]:
        return passwords.hash_limiter(), passwords.hash_limiter()

    first, again = anyio.run(twice)
    other, _ = anyio.run(twice)
    assert isinstance(first, anyio.CapacityLimiter) and first is again, (
        f"hash_limiter() in {PASSWORDS} must return the running loop's one CapacityLimiter, "
        "the same at every call in that loop"
    )
    assert first.total_tokens == wanted, (
        f"hash_limiter() takes {first.total_tokens} at once, not HASH_CONCURRENCY ({wanted}): "
        f"CapacityLimiter(settings.HASH_CONCURRENCY) in {PASSWORDS}"
    )
    assert other is not first, (
        f"hash_limiter() gave two event loops the same limiter: a task waits for a token in its "
        f"own loop, so keep one limiter per loop ({PASSWORDS})"
    )


@pytest.mark.exercise("25.1")
@pytest.mark.parametrize(
    ("verifies", "hashes"), [(1, 0), (0, 1), (1, 1)], ids=["verify", "hash", "both"]
)
def test_hashes_run_off_the_loop_a_few_at_a_time(
    monkeypatch: pytest.MonkeyPatch, verifies: int, hashes: int
) -> None:
    limit = module("app.core.config").settings.HASH_CONCURRENCY
    what = {(1, 0): "password_matches", (0, 1): "new_hash", (1, 1): "the two together"}
    seen = hashed_at_once(monkeypatch, verifies * (limit + 3), hashes * (limit + 3))
    assert seen.calls == (verifies + hashes) * (limit + 3), (
        f"{what[verifies, hashes]} called bcrypt {seen.calls} times for "
        f"{(verifies + hashes) * (limit + 3)} calls: call verify_password and hash_password "
        f"({PASSWORDS})"
    )
    assert seen.on_loop_thread == 0, (
        f"{what[verifies, hashes]} ran bcrypt on the event loop's thread: every other request "
        f"waits meanwhile; to_thread.run_sync(..., limiter=hash_limiter()) in {PASSWORDS}"
    )
    assert seen.most <= limit, (
        f"{what[verifies, hashes]}: {seen.most} hashes ran at once, more than HASH_CONCURRENCY "
        f"({limit}): pass limiter=hash_limiter() to to_thread.run_sync, "
        f"for both functions ({PASSWORDS})"
    )
    assert seen.most == limit, (
        f"{what[verifies, hashes]}: only {seen.most} at once, not HASH_CONCURRENCY ({limit}): "
        f"run them in the thread pool, limited by hash_limiter(), not one by one ({PASSWORDS})"
    )


# Two loops in two threads, as two TestClients are, in a process of its own: a loop that a
# limiter shared between them froze stays frozen, with the limiter's tokens.
TWO_LOOPS = """
import os, threading, time
import anyio
from app.core import passwords
from app.core.config import settings

passwords.verify_password = lambda *args: time.sleep(0.002) or False


async def many():
    async with anyio.create_task_group() as group:
        for _ in range(4 * settings.HASH_CONCURRENCY):
            group.start_soon(passwords.password_matches, "guess", "$2b$04$" + "x" * 53)


def loop_of_its_own():
    for _ in range(5):
        anyio.run(many)


threads = [threading.Thread(target=loop_of_its_own, daemon=True) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join(8)
print("frozen" if any(thread.is_alive() for thread in threads) else "done", flush=True)
os._exit(0)
"""


@pytest.mark.exercise("25.1")
def test_two_event_loops_hash_at_once_without_freezing(app_dir: Path) -> None:
    """A limiter shared by two loops hands a token to a task of the other loop without waking
    that loop: its hashes never end (hash_limiter() keeps one per loop)."""
    env = {**os.environ, "PYTHONPATH": str(app_dir)}
    done = subprocess.run(
        [sys.executable, "-c", TWO_LOOPS], cwd=app_dir, env=env, capture_output=True, text=True
    )
    said = (done.stdout + done.stderr).strip().splitlines()
    assert said[-1:] == ["done"], (
        "password_matches froze with two event loops hashing at once (two test clients): "
        f"limiter=hash_limiter(), the running loop's own, never a limiter of the module "
        f"({PASSWORDS}); it said {said[-1:]}"
    )


# --- the export, streamed ----------------------------------------------------------------------


def test_the_export_streams_rows_from_the_database(
    client: TestClient, own_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    repositories = module("app.repositories.items")

    async def not_all_at_once(self: Any) -> Any:
        raise AssertionError("ItemRepository.all() read every row at once")

    monkeypatch.setattr(repositories.ItemRepository, "all", not_all_at_once)
    stored = int(stored_value(own_engine, "SELECT COUNT(*) FROM items"))
    for path in ("/api/v1/items/export.csv", "/api/v2/items/export.csv"):
        r = client.get(path)
        lines = r.text.splitlines() if r.status_code == 200 else []
        assert len(lines) == stored + 1, (
            f"GET {path} answered {why(r)} with {max(len(lines) - 1, 0)} rows for {stored} "
            f"items: stream them, StreamingResponse(csv_rows(items.stream())), not "
            f"everything() (app/api/v1/routes/items.py, app/api/v2/routes/items.py)"
        )


def test_the_repository_streams_in_batches(client: TestClient) -> None:
    repositories = module("app.repositories.items")

    async def both() -> tuple[list[Any], list[Any]]:
        async with module("app.db.session").SessionLocal() as db:
            items = repositories.ItemRepository(db)
            streamed = [item.id async for item in items.stream(batch=2)]
            return streamed, [item.id for item in await items.all()]

    streamed, every = client.portal.call(both)
    assert streamed == every, (
        f"ItemRepository.stream(batch=2) gave {len(streamed)} ids, all() {len(every)}: every "
        f"item in id order, `batch` rows per query after the last id sent "
        f"(app/repositories/items.py)"
    )


# --- the cache -------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_memory_cache_is_bounded_and_expires() -> None:
    cache_module = module("app.core.cache")
    clock = Clock()
    cache = cache_module.MemoryCache(ttl=30, max_entries=3, clock=clock)
    loads: list[str] = []

    async def main() -> None:
        for key in ("a", "b", "c", "d"):
            await cache.cached(key, lambda key=key: _value(loads, key))
        await cache.cached("a", lambda: _value(loads, "a"))  # "a" went first: loaded again
        clock.now += 31
        await cache.cached("d", lambda: _value(loads, "d"))  # expired

    anyio.run(main)
    assert len(cache) <= 3, f"MemoryCache kept {len(cache)} entries, over max_entries ({CACHE})"
    assert loads == ["a", "b", "c", "d", "a", "d"], (
        f"MemoryCache loaded {loads}: the oldest entry goes beyond max_entries, and an entry "
        f"expires after ttl seconds ({CACHE})"
    )


async def _value(loads: list[str], key: str) -> dict[str, str]:
    loads.append(key)
    return {"key": key}


def test_a_cached_value_is_a_copy() -> None:
    cache = module("app.core.cache").MemoryCache(ttl=30, max_entries=10)

    async def main() -> Any:
        first = await cache.cached("k", lambda: _value([], "k"))
        first["key"] = "changed by a caller"
        return await cache.cached("k", lambda: _value([], "k"))

    assert anyio.run(main) == {"key": "k"}, (
        f"a caller that changed the value it read changed what the next caller reads: keep "
        f"JSON text, and give each read its own copy ({CACHE})"
    )


def test_a_cached_listing_does_not_hit_the_database(
    client: TestClient, statements: list[str]
) -> None:
    query = {"tag": unique("cached"), "size": 5}
    first = client.get(ITEMS, params=query)
    assert first.status_code == 200, f"GET {ITEMS} answered {why(first)}"
    statements.clear()
    second = client.get(ITEMS, params=query)
    assert second.status_code == 200 and body(second) == body(first), (
        f"GET {ITEMS} answered {why(second)} the second time, not the first answer again"
    )
    assert not statements, (
        f"GET {ITEMS} read from the database again for the same page ({len(statements)} "
        f"statements): ItemService.page uses cache.cached(page_key(query), load) ({SERVICE})"
    )


# --- exercise 25.2: invalidation ---------------------------------------------------------


def listing(client: TestClient, **query: Any) -> dict[str, Any]:
    r = client.get(ITEMS, params=query)
    assert r.status_code == 200, f"GET {ITEMS} answered {why(r)}"
    return r.json()  # type: ignore[no-any-return]


@pytest.mark.exercise("25.2")
def test_every_write_is_in_the_next_listing(client: TestClient) -> None:
    headers = login_headers(client)
    tag = unique("fresh")
    assert listing(client, tag=tag)["total"] == 0  # cached: an empty page
    second_page = listing(client, tag=tag, size=1, page=2)  # cached too
    r = client.post(ITEMS, json={"name": "Fresh", "price": 2.5, "tags": [tag]}, headers=headers)
    assert r.status_code == 201, f"POST {ITEMS} answered {why(r)}"
    item_id = r.json()["id"]
    r = client.post(ITEMS, json={"name": "Fresh 2", "price": 3.5, "tags": [tag]}, headers=headers)
    assert r.status_code == 201, f"POST {ITEMS} answered {why(r)}"
    got = [i["id"] for i in listing(client, tag=tag)["items"]]
    assert item_id in got, (
        f"after POST {ITEMS}, GET {ITEMS} still answers the cached page without the new item: "
        f"invalidate the cache after the commit of create ({SERVICE})"
    )
    later = listing(client, tag=tag, size=1, page=2)
    assert later["total"] == 2 and later != second_page, (
        f"after POST {ITEMS}, page 2 of the listing is the cached one: invalidate every page, "
        f"not one key ({SERVICE})"
    )
    r = client.patch(f"{ITEMS}/{item_id}", json={"price": 9.5}, headers=headers)
    assert r.status_code == 200, f"PATCH {ITEMS}/{item_id} answered {why(r)}"
    prices = {i["id"]: i["price"] for i in listing(client, tag=tag)["items"]}
    assert prices.get(item_id) == 9.5, (
        f"after PATCH {ITEMS}/{item_id}, the listing says price {prices.get(item_id)}: "
        f"invalidate the cache after update too ({SERVICE})"
    )
    r = client.delete(f"{ITEMS}/{item_id}", headers=headers)
    assert r.status_code == 204, f"DELETE {ITEMS}/{item_id} answered {why(r)}"
    got = [i["id"] for i in listing(client, tag=tag)["items"]]
    assert item_id not in got, (
        f"after DELETE {ITEMS}/{item_id}, the listing still shows it: invalidate the cache "
        f"after delete too ({SERVICE})"
    )


@pytest.mark.exercise("25.2")
def test_the_cache_is_invalidated_after_the_commit(client: TestClient, own_engine: Engine) -> None:
    """A read between an invalidation and the commit would cache the old catalogue again."""
    services = module("app.services.items")
    repositories = module("app.repositories.items")
    schemas = module("app.schemas.item")
    name = unique("committed")
    seen: list[Any] = []

    class Spy(module("app.core.cache").MemoryCache):  # type: ignore[misc]
        async def invalidate(self) -> None:
            seen.append(stored_value(own_engine, "SELECT price FROM items WHERE name = :n", n=name))
            await super().invalidate()

    async def writes() -> None:
        async with module("app.db.session").SessionLocal() as db:
            owner = (
                await module("app.repositories.users")
                .UserRepository(db)
                .by_email("alice@example.com")
            )
            items = services.ItemService(repositories.ItemRepository(db), Spy(30, 100))
            item = await items.create(schemas.ItemCreate(name=name, price=1.5), owner=owner)
            await items.update(item.id, schemas.ItemUpdate(price=4.5), owner)
            await items.delete(item.id, owner)

    client.portal.call(writes)
    assert seen == [1.5, 4.5, None], (
        f"at each invalidation the stored price was {seen}, not [1.5, 4.5, None] (after create, "
        f"update, delete): invalidate after the write is committed, never before ({SERVICE})"
    )


# --- exercise 25.3: the N+1 ------------------------------------------------------------------


def shopper(client: TestClient) -> dict[str, str]:
    email = f"{unique('n1')}@example.com"
    r = client.post(USERS, json={"name": "N1", "email": email, "password": "shop-secret-12"})
    assert r.status_code == 201, f"POST {USERS} answered {why(r)}"
    token = module("app.core.jwt_tokens").create_access_token(r.json()["id"], ["items:write"])
    return bearer(token)


def place(client: TestClient, headers: dict[str, str], count: int) -> list[int]:
    ids = []
    for n in range(count):
        lines = [{"item_id": 1, "quantity": n + 1}, {"item_id": 2, "quantity": 1}]
        r = client.post(ORDERS, json={"lines": lines}, headers=headers)
        assert r.status_code == 201, f"POST {ORDERS} answered {why(r)}"
        ids.append(r.json()["id"])
    return ids


def queries_of_listing(
    client: TestClient, headers: dict[str, str], statements: list[str], **query: Any
) -> tuple[list[Any], int]:
    statements.clear()
    r = client.get(ORDERS, params=query, headers=headers)
    assert r.status_code == 200, (
        f"GET {ORDERS} answered {why(r)}: the lines are lazy='raise', so the query must ask "
        f"for them, .options(selectinload(Order.lines)) ({REPOSITORY})"
    )
    return r.json()["orders"], len(statements)


@pytest.mark.exercise("25.3")
def test_the_order_listing_does_not_grow_in_queries(
    client: TestClient, statements: list[str]
) -> None:
    headers = shopper(client)
    ids = place(client, headers, 1)
    one, few = queries_of_listing(client, headers, statements, size=20)
    ids += place(client, headers, 5)
    six, many = queries_of_listing(client, headers, statements, size=20)
    assert [o["id"] for o in six] == ids and all(len(o["lines"]) == 2 for o in six), (
        f"GET {ORDERS} answered {[(o['id'], len(o['lines'])) for o in six]}: every order of "
        f"the caller, oldest first, each with its two lines ({REPOSITORY})"
    )
    assert many == few, (
        f"GET {ORDERS} ran {few} statements for 1 order and {many} for 6: a query per order "
        f"(the N+1); load the lines of the whole page in one more query with "
        f".options(selectinload(Order.lines)) ({REPOSITORY})"
    )
    page, _ = queries_of_listing(client, headers, statements, size=2, page=2)
    assert [o["id"] for o in page] == ids[2:4], (
        f"GET {ORDERS}?size=2&page=2 answered the orders {[o['id'] for o in page]}, not "
        f"{ids[2:4]}: keep .offset(offset).limit(limit) ({REPOSITORY})"
    )


def test_one_order_comes_with_its_lines(client: TestClient) -> None:
    headers = shopper(client)
    (order_id,) = place(client, headers, 1)
    r = client.get(f"{ORDERS}/{order_id}", headers=headers)
    assert r.status_code == 200 and len(r.json()["lines"]) == 2, (
        f"GET {ORDERS}/{order_id} answered {why(r)}: db.get(Order, id, "
        f"options=[selectinload(Order.lines)]) ({REPOSITORY})"
    )


# --- Redis ------------------------------------------------------------------------------------


def redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=0.3).ping()
    except (redis.RedisError, OSError) as error:
        pytest.skip(f"no Redis at {REDIS} ({type(error).__name__}): start one to run this test")


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    import redis

    redis_or_skip()
    prefix = unique("test25")
    yield prefix
    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_the_redis_cache_is_shared_and_invalidated(redis_prefix: str) -> None:
    import redis.asyncio

    cache_module = module("app.core.cache")
    loads: list[str] = []

    async def main() -> list[Any]:
        one = cache_module.RedisCache(redis.asyncio.Redis.from_url(REDIS), redis_prefix, 30)
        two = cache_module.RedisCache(redis.asyncio.Redis.from_url(REDIS), redis_prefix, 30)
        got = [await one.cached("k", lambda: _value(loads, "one"))]
        got.append(await two.cached("k", lambda: _value(loads, "two")))  # the same entry
        await one.invalidate()  # a write in one worker
        got.append(await two.cached("k", lambda: _value(loads, "two")))  # loaded again
        await one.close()
        await two.close()
        return got

    got = anyio.run(main)
    assert loads == ["one", "two"] and got[1] == {"key": "one"}, (
        f"two RedisCache of one prefix loaded {loads} and answered {got}: they share entries, "
        f"and an invalidate of one is seen by the other ({CACHE})"
    )


def test_the_listing_is_cached_in_redis(
    client: TestClient, redis_prefix: str, statements: list[str]
) -> None:
    import redis.asyncio

    services = module("app.services.items")
    repositories = module("app.repositories.items")
    schemas = module("app.schemas.item")
    tag = unique("redis")
    query = repositories.ItemQuery(tag=tag)

    async def main() -> list[Any]:
        cache = module("app.core.cache").RedisCache(
            redis.asyncio.Redis.from_url(REDIS), redis_prefix, 30
        )
        async with module("app.db.session").SessionLocal() as db:
            items = services.ItemService(repositories.ItemRepository(db), cache)
            before = await items.page(query)
            statements.clear()
            again = await items.page(query)
            quiet = not statements
            await items.create(schemas.ItemCreate(name="In Redis", price=1.5, tags=[tag]))
            after = await items.page(query)
        await cache.close()
        return [before[0], again[0], quiet, after[0]]

    assert client.portal.call(main) == [0, 0, True, 1], (
        f"with Redis, ItemService.page read the database for a cached page, or missed a new "
        f"item after create ({SERVICE}, {CACHE})"
    )


def test_an_unreachable_redis_is_no_500(caplog: pytest.LogCaptureFixture) -> None:
    import redis.asyncio
    from pydantic import SecretStr

    cache_module = module("app.core.cache")
    url = "redis://:hunter2-secret@127.0.0.1:1/0"
    settings = module("app.core.config").settings.model_copy(update={"REDIS_URL": SecretStr(url)})

    async def main() -> list[Any]:
        opened = await cache_module.open_cache(settings, unique("down"))
        broken = cache_module.RedisCache(redis.asyncio.Redis.from_url(url), "down", 30)
        value = await broken.cached("k", lambda: _value([], "from the database"))
        await broken.invalidate()
        await broken.close()
        return [type(opened).__name__, value]

    with caplog.at_level(logging.WARNING, logger="app.cache"):
        got = anyio.run(main)
    assert got == ["MemoryCache", {"key": "from the database"}], (
        f"with Redis down, open_cache and a read answered {got}: fall back to the memory "
        f"cache at startup, and to the database on a failed read ({CACHE})"
    )
    assert caplog.records and "hunter2" not in caplog.text, (
        f"with Redis down the log said {caplog.text!r}: a warning, without the URL (it may "
        f"hold a password) ({CACHE})"
    )


# --- for real: a uvicorn server, logins hashing at production cost ----------------------------


@pytest.mark.slow
def test_the_loop_answers_while_logins_hash(app_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BCRYPT_ROUNDS", "12")  # the unknown email's DUMMY_HASH: about 0.25 s
    with LiveServer(app_dir) as server:
        form = {"username": f"{unique('nobody')}@example.com", "password": "wrong-password"}
        token_url = f"{server.url}/api/v1/auth/token"

        async def main() -> tuple[float, float, list[int]]:
            async with httpx.AsyncClient(timeout=30) as http:
                start = time.perf_counter()
                await http.post(token_url, data=form)
                one_hash = time.perf_counter() - start
                slowest = 0.0
                statuses: list[int] = []

                async def login() -> None:
                    statuses.append((await http.post(token_url, data=form)).status_code)

                async with anyio.create_task_group() as group:
                    for _ in range(8):
                        group.start_soon(login)
                    await anyio.sleep(one_hash / 2)
                    for _ in range(10):
                        start = time.perf_counter()
                        r = await http.get(f"{server.url}/health")
                        assert r.status_code == 200, f"GET /health answered {why(r)}"
                        slowest = max(slowest, time.perf_counter() - start)
                return one_hash, slowest, statuses

        one_hash, slowest, statuses = anyio.run(main)
    assert statuses == [401] * 8, f"the logins of an unknown email answered {statuses}"
    assert slowest < max(one_hash, 0.1), (
        f"GET /health took up to {slowest:.3f} s while 8 logins hashed (one hash: "
        f"{one_hash:.3f} s): the event loop was busy hashing; password_matches in the thread "
        f"pool ({PASSWORDS})"
    )


@pytest.mark.slow
def test_the_benchmark_runs(app_dir: Path) -> None:
    script = ROOT / "benchmarks" / "app_vs_bare.py"
    if not script.is_file():
        pytest.skip(f"no {script} here (the benchmark lives in the workbook's repository)")
    command = [sys.executable, str(script), str(app_dir), "--requests", "40", "--logins", "4"]
    command += ["--rounds", "4"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "requests/s" in done.stdout, (
        f"benchmarks/app_vs_bare.py exited {done.returncode}: {done.stderr[-500:]}"
    )
