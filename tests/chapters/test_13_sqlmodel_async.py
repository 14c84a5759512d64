"""Chapter 13: an async engine and sessions, SQLModel items, the same app on PostgreSQL.

The tests run on the check's own database: a SQLite file, or with `--postgres` a
fresh PostgreSQL database. They never assume which: what they expect follows
from DATABASE_URL. The app's engine is async, and an async connection belongs to
the event loop that opened it; the tests that drive the app's session themselves
do it in the shared TestClient's loop (client.portal), never in a loop of their own.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import (
    admin_headers,
    body,
    import_app_module,
    lent_out,
    locked_session,
    login_headers,
    outcome,
    said,
    stored_value,
    why,
)
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from workbook.server import LiveServer

SESSION = "app/db/session.py"
BASE = "app/db/base.py"
INIT_DB = "app/db/init_db.py"
ITEM_MODEL = "app/models/item.py"
ITEM_SCHEMAS = "app/schemas/item.py"
ITEMS_ROUTES = "app/api/v1/routes/items.py"
USERS_ROUTES = "app/api/v1/routes/users.py"
SYSTEM = "app/api/v1/routes/system.py"
ITEMS = "/api/v1/items"
USERS = "/api/v1/users"
LOGIN = "/api/v1/session/login"
DATABASE = "/api/v1/system/database"
ALICE = {"email": "alice@example.com", "password": "alice-secret-1"}
# The async driver the app must use for each database DATABASE_URL can name.
DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}


@pytest.fixture(autouse=True)
def _app_imported(app: FastAPI) -> None:
    """Every test imports the app first: after DATABASE_URL names the check's database."""


def session_module() -> Any:
    found = import_app_module("app.db.session")
    for name in ("engine", "SessionLocal", "get_db", "async_database_url"):
        if not hasattr(found, name):
            pytest.fail(f"{SESSION} defines no {name}: see step 2 of the chapter")
    return found


def backend_of(url: str) -> str:
    return make_url(url).get_backend_name()


def where(function: Callable[..., Any], app_dir: Path) -> str:
    """`name (app/path.py)` of a function of the app."""
    try:
        source = Path(inspect.getsourcefile(function) or "")
        path = source.resolve().relative_to(app_dir.resolve()).as_posix()
    except (TypeError, ValueError):
        path = getattr(function, "__module__", "?")
    return f"{getattr(function, '__name__', function)} ({path})"


# --- the engine and the sessions -----------------------------------------------------------


@pytest.mark.exercise("13.1")
def test_engine_is_async_on_the_database_of_database_url(database_url: str) -> None:
    engine = session_module().engine
    assert isinstance(engine, AsyncEngine), (
        f"engine is a {type(engine).__name__}, not an AsyncEngine: "
        f"create_async_engine(async_database_url(settings.DATABASE_URL), ...) in {SESSION}"
    )
    wanted = make_url(database_url)
    backend = wanted.get_backend_name()
    got = (engine.url.get_backend_name(), engine.url.database, engine.dialect.driver)
    assert got == (backend, wanted.database, DRIVERS[backend]), (
        f"DATABASE_URL names the {backend} database {wanted.database!r}, and the engine talks "
        f"to {got[0]} {got[1]!r} through {got[2]}, not through {DRIVERS[backend]}: build the "
        f"engine from async_database_url(settings.DATABASE_URL) ({SESSION})"
    )


@pytest.mark.parametrize(
    ("given", "wanted"),
    [
        ("sqlite:////data/app.db", "sqlite+aiosqlite:////data/app.db"),
        ("sqlite+pysqlite:///app.db", "sqlite+aiosqlite:///app.db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+psycopg://u:pw@h:5432/db", "postgresql+asyncpg://u:pw@h:5432/db"),
    ],
    ids=["sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg"],
)
@pytest.mark.exercise("13.1")
def test_async_database_url_picks_the_async_driver(given: str, wanted: str) -> None:
    try:
        got: Any = session_module().async_database_url(given)
        shown = make_url(got).render_as_string(hide_password=False)
    except Exception as error:  # the learner's function: any error is theirs to see
        shown = f"{type(error).__name__}: {error}"
    assert shown == wanted, (
        f"async_database_url({given!r}) answered {shown!r}, not {wanted!r}: keep the URL, set "
        f"drivername to ASYNC_DRIVERS[make_url(url).get_backend_name()] ({SESSION})"
    )


@pytest.mark.exercise("13.1")
def test_async_database_url_refuses_another_database() -> None:
    convert = session_module().async_database_url
    try:
        got = convert("mysql://u@h/db")
    except ValueError as error:
        assert "mysql" in str(error), (
            f"async_database_url('mysql://u@h/db') raised ValueError({str(error)!r}): name "
            f"the database it got (mysql) in the message ({SESSION})"
        )
        return
    except Exception as error:  # the learner's function: any error is theirs to see
        pytest.fail(
            f"async_database_url('mysql://u@h/db') raised {type(error).__name__}, not "
            f"ValueError: raise ValueError naming mysql for a database the app does not run "
            f"on ({SESSION})"
        )
    pytest.fail(
        f"async_database_url('mysql://u@h/db') answered {str(got)!r}: raise ValueError naming "
        f"mysql, the app runs on sqlite and postgresql only ({SESSION})"
    )


def test_sessions_are_async_and_keep_their_values_after_a_commit() -> None:
    found = session_module()
    maker = found.SessionLocal
    kw = getattr(maker, "kw", {})
    made = getattr(maker, "class_", None)
    wanted = {"bind": found.engine, "autoflush": False, "expire_on_commit": False}
    got = {key: kw.get(key) for key in wanted}
    assert (
        isinstance(maker, async_sessionmaker)
        and isinstance(made, type)
        and issubclass(made, AsyncSession)
        and got == wanted
    ), (
        f"SessionLocal is {maker!r} with {got}: async_sessionmaker(engine, autoflush=False, "
        f"expire_on_commit=False) in {SESSION} (an expired attribute would need an await to "
        f"reload: MissingGreenlet)"
    )


@pytest.mark.exercise("13.2")
def test_get_db_closes_its_session_however_the_route_ends(client: TestClient) -> None:
    found = session_module()
    get_db = found.get_db
    assert inspect.isasyncgenfunction(get_db), (
        f"get_db is not an async generator: async def get_db() -> AsyncIterator[AsyncSession], "
        f"with `async with SessionLocal() as db: yield db` ({SESSION})"
    )
    before = lent_out()
    report: dict[str, Any] = {}

    async def request(error: Exception | None) -> None:
        """What FastAPI does with get_db around a route: next, then close or throw."""
        gen = get_db()
        db = await gen.__anext__()
        report["session"] = type(db).__name__
        commits: list[object] = []
        event.listen(db.sync_session, "after_commit", commits.append)
        await db.execute(text("SELECT 1"))
        if error is None:
            await anext(gen, None)
        else:
            try:
                await gen.athrow(error)
            except type(error):
                report["through"] = True
            except StopAsyncIteration:
                report["through"] = False
        report["open"] = db.in_transaction() or lent_out() > before
        report["committed"] = bool(commits)
        await db.close()  # a leak must not outlive this test

    # The app's connections belong to the shared client's event loop: run there.
    client.portal.call(request, None)
    assert report["session"] == "AsyncSession" and not report["open"], (
        f"after a request that succeeded, get_db's {report['session']} is still open: "
        f"`async with SessionLocal() as db: yield db` closes it ({SESSION})"
    )
    client.portal.call(request, RuntimeError("the route failed"))
    assert report["through"], (
        f"get_db swallowed the route's exception: no except in get_db, the error must reach "
        f"FastAPI's handlers ({SESSION})"
    )
    assert not report["committed"], (
        f"when the route raises, get_db commits its session: what the route wrote before it "
        f"failed must be rolled back, not kept: close the session, do not commit it, "
        f"`async with SessionLocal() as db: yield db` ({SESSION})"
    )
    assert not report["open"], (
        f"when the route raises, get_db leaves its session open (its connection is never "
        f"given back): `async with SessionLocal() as db: yield db` closes it whatever "
        f"happens ({SESSION})"
    )


# --- a taken email, in the app's words ---------------------------------------------------


def _commit_or_conflict() -> Any:
    found = getattr(import_app_module("app.api.v1.routes.users"), "commit_or_conflict", None)
    if found is None:
        pytest.fail(f"{USERS_ROUTES} defines no commit_or_conflict(db): see exercise 13.4")
    return found


@pytest.mark.until(13, "chapter 14 moves commit_or_conflict into UserRepository.commit")
@pytest.mark.exercise("13.4")
def test_a_taken_email_is_a_conflict_and_the_session_goes_on(client: TestClient) -> None:
    commit_or_conflict = _commit_or_conflict()
    maker = session_module().SessionLocal
    user_model = import_app_module("app.models").User
    email = f"taken-{secrets.token_hex(4)}@example.com"
    r = client.post(USERS, json={"name": "Dana", "email": email, "password": "a-long-secret-1"})
    assert r.status_code == 201, f"POST {USERS} of a new user answered {why(r)}"
    seen: dict[str, Any] = {}

    async def again() -> None:
        async with maker() as db:
            db.add(user_model(name="Dana again", email=email, password="a-long-secret-1"))
            seen["commit"] = await outcome(commit_or_conflict(db))
            seen["next"] = await outcome(db.execute(text("SELECT 1")))

    # The app's connections belong to the shared client's event loop: run there.
    client.portal.call(again)
    got = seen["commit"]
    assert type(got).__name__ == "ConflictError" and (
        getattr(got, "message", None) == "Email already registered"
    ), (
        f"commit_or_conflict(db) with a taken email gave {said(got)}, not "
        f'ConflictError("Email already registered"): the driver\'s text holds the SQL and '
        f"its parameters, the password included ({USERS_ROUTES})"
    )
    assert not isinstance(seen["next"], Exception), (
        f"after commit_or_conflict refused a taken email, the session answered "
        f"{said(seen['next'])}: `await db.rollback()` before raising ConflictError "
        f"({USERS_ROUTES})"
    )


@pytest.mark.until(13, "chapter 14 moves commit_or_conflict into UserRepository.commit")
@pytest.mark.exercise("13.4")
def test_only_a_refused_insert_is_a_taken_email() -> None:
    """A locked database or a lost connection is a bug to see (a 500), not a 409."""
    commit_or_conflict = _commit_or_conflict()
    # No database here: a loop of this test's own is safe.
    got = asyncio.run(outcome(commit_or_conflict(locked_session())))
    assert isinstance(got, OperationalError), (
        f"commit_or_conflict(db), when the commit fails with OperationalError (database is "
        f"locked), gave {said(got)}: catch IntegrityError only, the unique index's refusal; "
        f"any other failure is a bug that must reach the 500 handler ({USERS_ROUTES})"
    )


# --- everything that touches the database is async ----------------------------------------


def _uses(dependant: Dependant, get_db: Any) -> bool:
    return any(d.call is get_db or _uses(d, get_db) for d in dependant.dependencies)


def test_every_route_that_uses_the_database_is_async(app: FastAPI, app_dir: Path) -> None:
    get_db = session_module().get_db
    blocking: set[str] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not _uses(route.dependant, get_db):
            continue
        if not inspect.iscoroutinefunction(route.endpoint):
            blocking.add(where(route.endpoint, app_dir))
        todo = list(route.dependant.dependencies)
        while todo:
            dependant = todo.pop()
            todo.extend(dependant.dependencies)
            call = dependant.call
            asynchronous = inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)
            if call is not None and _uses(dependant, get_db) and not asynchronous:
                blocking.add(where(call, app_dir))
    one = len(blocking) == 1
    assert not blocking, (
        f"{', '.join(sorted(blocking))} {'uses' if one else 'use'} the database session but "
        f"{'is a' if one else 'are'} plain def: make {'it' if one else 'them'} async def and "
        f"await every session call"
    )


SYNC_LEFTOVERS = re.compile(
    r"from\s+sqlalchemy\.orm\s+import\s+(?:\([^)]*\bSession\b[^)]*\)|[^\n]*\bSession\b)"
    r"|\bcreate_engine\("
    r"|\bsessionmaker\("
)


def test_nothing_synchronous_is_left_of_the_database(app_dir: Path) -> None:
    found = [
        f"{path.relative_to(app_dir).as_posix()}: {' '.join(match.group(0).split())}"
        for path in sorted((app_dir / "app").rglob("*.py"))
        for match in SYNC_LEFTOVERS.finditer(path.read_text())
    ]
    assert not found, (
        f"sync database code is left: {'; '.join(found)}: use AsyncSession (from "
        f"sqlalchemy.ext.asyncio), create_async_engine and async_sessionmaker"
    )


# --- SQLModel: one declaration for the table and the API's shapes -------------------------


def test_item_is_a_sqlmodel_table_on_the_shared_metadata(app: FastAPI) -> None:
    from sqlmodel import SQLModel

    models = import_app_module("app.models.item")
    item, item_base = getattr(models, "Item", None), getattr(models, "ItemBase", None)
    assert isinstance(item, type) and issubclass(item, SQLModel), (
        f"Item is not a SQLModel: class Item(ItemBase, table=True) in {ITEM_MODEL}"
    )
    assert isinstance(item_base, type) and issubclass(item, item_base), (
        f"{ITEM_MODEL} has no ItemBase that Item inherits: class ItemBase(SQLModel) with the "
        f"fields, class Item(ItemBase, table=True) with the id"
    )
    tables = import_app_module("app.db.base").Base.metadata.tables
    assert tables.get("items") is getattr(item, "__table__", None), (
        f"Base.metadata does not hold Item's table (it knows {sorted(tables)}): Base shares "
        f"SQLModel's MetaData, `metadata = SQLModel.metadata` in Base ({BASE})"
    )


def test_item_schemas_share_the_fields_of_item_base(app: FastAPI) -> None:
    item_base = getattr(import_app_module("app.models.item"), "ItemBase", None)
    schemas = import_app_module("app.schemas.item")
    if not isinstance(item_base, type):
        pytest.fail(f"{ITEM_MODEL} defines no ItemBase: see step 3 of the chapter")
    fields = set(item_base.model_fields)
    for name, with_id in (("ItemCreate", False), ("ItemOut", True)):
        shape = getattr(schemas, name, None)
        assert isinstance(shape, type) and issubclass(shape, item_base), (
            f"{name} does not inherit ItemBase: class {name}"
            f"({'ItemCreate' if with_id else 'ItemBase'}) in {ITEM_SCHEMAS}"
        )
        table = getattr(shape, "__table__", None) is not None
        has_id = "id" in shape.model_fields
        assert not table and fields <= set(shape.model_fields) and has_id == with_id, (
            f"{name} is {'a table, ' if table else ''}with the fields "
            f"{sorted(shape.model_fields)}: ItemBase's {sorted(fields)}"
            f"{' and the id' if with_id else ', no id'}, and no table=True ({ITEM_SCHEMAS})"
        )


def test_a_client_cannot_choose_the_id(client: TestClient, own_engine: Engine) -> None:
    name = f"Chosen {secrets.token_hex(4)}"
    before = stored_value(own_engine, "SELECT name FROM items WHERE id = 1")
    chosen = {"id": 1, "name": name, "price": 3.5, "tags": ["games"]}
    r = client.post(ITEMS, json=chosen, headers=login_headers(client))
    after = stored_value(own_engine, "SELECT name FROM items WHERE id = 1")
    new_id = body(r).get("id") if isinstance(body(r), dict) else None
    assert r.status_code == 201 and new_id not in (None, 1) and after == before, (
        f'POST {ITEMS} with "id": 1 in the body answered {why(r)} with the id {new_id!r}: '
        f"the body is an ItemCreate (no id), never the table model Item; "
        f"Item.model_validate(item_in), and the database gives the id ({ITEMS_ROUTES})"
    )


@pytest.mark.parametrize(
    ("what", "payload"),
    [
        ("a price of -1", '{"name": "NAME", "price": -1}'),
        ("a price of 0", '{"name": "NAME", "price": 0}'),
        ("a name of spaces", '{"name": "   ", "price": 5}'),
        ("a price of Infinity", '{"name": "NAME", "price": Infinity}'),
    ],
    ids=["negative price", "zero price", "blank name", "infinite price"],
)
@pytest.mark.exercise("13.3")
def test_items_are_still_validated(
    client: TestClient, own_engine: Engine, what: str, payload: str
) -> None:
    count = "SELECT count(*) FROM items"
    before = stored_value(own_engine, count)
    r = client.post(
        ITEMS,
        content=payload.replace("NAME", f"Invalid {secrets.token_hex(4)}"),
        headers={"Content-Type": "application/json", **login_headers(client)},
    )
    stored = stored_value(own_engine, count) - before
    assert r.status_code == 422 and not stored, (
        f"POST {ITEMS} with {what} answered {why(r)} (rows added: {stored}): ItemBase "
        f"validates (name stripped, 1 to 100 characters; price gt=0 and AllowInfNan(False)) "
        f"and the route's body is ItemCreate: a table model does not validate ({ITEM_MODEL})"
    )


# --- text PostgreSQL can store: no NUL ---------------------------------------------------

NUL = "\x00"
TEXT = "app/schemas/text.py"


@pytest.mark.parametrize(
    ("where", "method", "url", "kwargs", "fix"),
    [
        pytest.param(
            "an item name",
            "POST",
            ITEMS,
            {"json": {"name": f"Lamp{NUL}", "price": 5}},
            f"name: Annotated[NoNulStr, StringConstraints(...)] in ItemBase ({ITEM_MODEL})",
            id="item name",
            marks=pytest.mark.exercise("13.3"),
        ),
        pytest.param(
            "a tag",
            "POST",
            ITEMS,
            {"json": {"name": "Lamp", "price": 5, "tags": [f"a{NUL}"]}},
            f"Tag = Annotated[NoNulStr, StringConstraints(...)] ({ITEM_MODEL})",
            id="tag",
        ),
        pytest.param(
            "the tag filter",
            "GET",
            ITEMS,
            {"params": {"tag": f"a{NUL}"}},
            "tag: Annotated[NoNulStr | None, Query(...)] in ItemFilters (app/api/deps.py)",
            id="tag filter",
        ),
        pytest.param(
            "a user name",
            "POST",
            USERS,
            {
                "json": {
                    "name": f"Nu{NUL}l",
                    "email": f"nul-{secrets.token_hex(4)}@example.com",
                    "password": "a-long-secret-1",
                }
            },
            "Name = Annotated[NoNulStr, Field(...)] in app/schemas/user.py",
            id="user name",
        ),
        pytest.param(
            "a password",
            "POST",
            USERS,
            {
                "json": {
                    "name": "Nul",
                    "email": f"nul-{secrets.token_hex(4)}@example.com",
                    "password": f"a-long{NUL}secret",
                }
            },
            "password: NoNulStr in UserCreate (app/schemas/user.py)",
            id="password",
        ),
        pytest.param(
            "a search",
            "GET",
            f"{USERS}/search",
            {"params": {"q": f"ali{NUL}"}},
            f"q: Annotated[NoNulStr, Query(...)] in search_users ({USERS_ROUTES})",
            id="search",
        ),
        pytest.param(
            "a login email",
            "POST",
            LOGIN,
            {"json": {"email": f"alice{NUL}@x.org", "password": "x"}},
            "email: Annotated[NoNulStr, Body(...)] in login (app/api/v1/routes/session.py)",
            id="login email",
        ),
        pytest.param(
            "a form login",
            "POST",
            "/api/v1/auth/login-form",
            {"data": {"username": f"alice{NUL}@x.org", "password": "x"}},
            "username: Annotated[NoNulStr, Form(...)] (app/api/v1/routes/auth.py)",
            id="form login",
        ),
    ],
)
def test_a_nul_character_is_refused(
    client: TestClient,
    where: str,
    method: str,
    url: str,
    kwargs: dict[str, Any],
    fix: str,
) -> None:
    # PostgreSQL's text cannot hold NUL (asyncpg: CharacterNotInRepertoireError, a 500);
    # SQLite stores it. Refused at the edge, it is a 422 on both.
    # An admin's token, every scope: the search is for admins from chapter 17 on.
    r = client.request(method, url, headers=admin_headers(client), **kwargs)
    assert r.status_code == 422, (
        f"{method} {url} with NUL (\\x00) in {where} answered {why(r)}, not 422: PostgreSQL "
        f"cannot store it; {fix}, NoNulStr from {TEXT}"
    )


# --- the seed and the driver, on either database --------------------------------------------


def test_the_seed_leaves_the_ids_to_the_database() -> None:
    seed = getattr(import_app_module("app.db.init_db"), "seed", None)
    if not inspect.iscoroutinefunction(seed):
        pytest.fail(f"seed is not an async def seed(db: AsyncSession) in {INIT_DB}")
    added: list[Any] = []

    class EmptyTables:
        """A session whose tables are all empty, that keeps what the seed adds."""

        async def scalar(self, statement: object) -> int:
            return 0

        def add(self, row: object) -> None:
            added.append(row)

        def add_all(self, rows: list[object]) -> None:
            added.extend(rows)

        async def commit(self) -> None:
            pass

        async def flush(self) -> None:
            pass

    # No database here: a loop of this test's own is safe.
    asyncio.run(seed(EmptyTables()))
    given = [f"{type(row).__name__} {row.id}" for row in added if row.id is not None]
    names = [getattr(row, "name", None) for row in added]
    assert added and not given, (
        f"the seed gives explicit ids ({', '.join(given[:3]) or 'no row at all'}): on "
        f"PostgreSQL an explicit id bypasses the id sequence, and the next new row gets id 1 "
        f"again (duplicate key); leave the ids to the database ({INIT_DB})"
    )
    assert names[:2] == ["Alice", "Bob"], (
        f"the seed adds {names[:2]} first, not Alice then Bob: the database numbers the rows "
        f"in the order they are added, and Alice must be user 1 ({INIT_DB})"
    )


def test_system_database_names_the_async_driver(client: TestClient, database_url: str) -> None:
    r = client.post(LOGIN, json=ALICE)
    assert r.status_code == 200, f"POST {LOGIN} as Alice answered {why(r)}"
    # From chapter 15 the system routes take a bearer token instead of the session cookie.
    form = {"username": ALICE["email"], "password": ALICE["password"]}
    token = client.post("/api/v1/auth/token", data=form)
    login = {"Authorization": f"Bearer {token.json()['access_token']}"} if token.is_success else {}
    r = client.get(DATABASE, headers=login)
    answer = body(r) if r.status_code == 200 and isinstance(body(r), dict) else {}
    backend = backend_of(database_url)
    got = (answer.get("dialect"), answer.get("driver"))
    assert got == (backend, DRIVERS[backend]), (
        f"GET {DATABASE} answered {why(r) if not answer else answer}, not dialect {backend!r} "
        f'and driver {DRIVERS[backend]!r}: add "driver": dialect.driver, with dialect = '
        f"db.get_bind().dialect ({SYSTEM})"
    )


# --- for real: one event loop serves everyone --------------------------------------------------


@pytest.mark.slow
def test_concurrent_requests_leave_a_clean_server_log(app_dir: Path) -> None:
    """Under uvicorn, 20 requests at once (reads, a 404, a 409, creates) on one event loop:
    each gets its answer, and the server's log holds no sign of a forgotten await or of a
    session never closed."""
    email = f"twice-{secrets.token_hex(4)}@example.com"
    user = {"name": "Twice", "email": email, "password": "a-long-secret-1"}
    calls: list[tuple[str, str, dict[str, Any], int]] = [
        ("GET", f"{ITEMS}?size=5", {}, 200),
        ("GET", f"{USERS}/1", {}, 200),
        ("GET", f"{USERS}/999999", {}, 404),
        ("POST", ITEMS, {"json": {"name": "Concurrent", "price": 2.5}}, 201),
        ("POST", USERS, {"json": user}, 409),
    ] * 4
    with LiveServer(app_dir) as server:
        first = server.post(USERS, json=user)
        login = login_headers(server)  # POST /items asks for a token from chapter 16 on
        start = threading.Barrier(len(calls))
        answers: list[int | str] = [0] * len(calls)

        def call(n: int) -> None:
            method, path, options, _ = calls[n]
            start.wait()
            try:
                answers[n] = server.request(method, path, headers=login, **options).status_code
            except httpx.HTTPError as error:
                answers[n] = type(error).__name__

        threads = [threading.Thread(target=call, args=(n,)) for n in range(len(calls))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    log = server.log()
    wrong = [
        f"{method} {path} -> {got} (not {status})"
        for (method, path, _, status), got in zip(calls, answers, strict=True)
        if got != status
    ]
    assert first.status_code == 201 and not wrong, (
        f"under uvicorn, {len(calls)} concurrent requests answered: {'; '.join(wrong[:3])}: "
        f"every route awaits its session calls (server.log() shows the error)"
    )
    signs = {
        "was never awaited": "a coroutine called without await",
        "MissingGreenlet": "a lazy load or an expired attribute read outside an await",
        "non-checked-in connection": "a session that was never closed (get_db)",
        "Traceback": "an error in a route",
    }
    seen = [f"{sign!r} ({meaning})" for sign, meaning in signs.items() if sign in log]
    line = next((line for line in log.splitlines() if any(s in line for s in signs)), "")
    assert not seen, f"the server's log shows {', '.join(seen)}: {line.strip()[:160]}"
