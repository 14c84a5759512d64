"""Chapter 10: dependencies: a database session with cleanup, a class, a chain, a router, overrides.

app/db/session.py gives each request one session (get_db) and closes it, also
when the route fails; app/api/deps.py declares SessionDep, ItemFiltersDep (a
class), get_session_token -> get_current_user -> CurrentUser (a chain); the
system router requires a login for every route. Tests that set
app.dependency_overrides restore them, even when they fail.
"""

from __future__ import annotations

import os
import secrets
import threading
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import body, import_app_module, lent_out, why
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from workbook.server import LiveServer

CONFIG = "app/core/config.py"
SESSION = "app/db/session.py"
DEPS = "app/api/deps.py"
ITEMS_ROUTES = "app/api/v1/routes/items.py"
SESSION_ROUTES = "app/api/v1/routes/session.py"
SYSTEM = "app/api/v1/routes/system.py"
ITEMS = "/api/v1/items"
ME = "/api/v1/session/me"
DATABASE = "/api/v1/system/database"


def module(name: str) -> Any:
    return import_app_module(name)


def session_module() -> Any:
    found = module("app.db.session")
    for name in ("engine", "SessionLocal", "get_db"):
        if not hasattr(found, name):
            pytest.fail(f"{SESSION} defines no {name}: see step 3 of the chapter")
    return found


def deps() -> Any:
    found = module("app.api.deps")
    for name in ("SessionDep", "ItemFilters", "ItemFiltersDep", "get_current_user"):
        if not hasattr(found, name):
            pytest.fail(f"{DEPS} defines no {name}: see step 4 of the chapter")
    return found


@pytest.fixture
def logged_in() -> Iterator[dict[str, str]]:
    """The Cookie header of a session of Bob's, ended after the test."""
    sessions = module("app.db.memory").SESSIONS
    token = secrets.token_urlsafe(16)
    sessions[token] = 2
    try:
        yield {"Cookie": f"session_id={token}"}
    finally:
        sessions.pop(token, None)


@pytest.fixture
def overrides(app: FastAPI) -> Iterator[dict[Any, Any]]:
    """app.dependency_overrides, given back as it was after the test, even a failed one."""
    saved = dict(app.dependency_overrides)
    try:
        yield app.dependency_overrides
    finally:
        app.dependency_overrides.clear()
        app.dependency_overrides.update(saved)


@pytest.fixture
def as_bob(overrides: dict[Any, Any]) -> None:
    """Every route that depends on get_current_user gets Bob, without a login."""
    bob = module("app.db.memory").USERS[2]
    overrides[deps().get_current_user] = lambda: bob


# --- the database URL and the engine ----------------------------------------------------


def test_settings_read_the_database_url(app_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = module("app.core.config")
    settings = getattr(config, "settings", None)
    read = getattr(settings, "DATABASE_URL", None)
    # A str up to chapter 20; from chapter 21 on a SecretStr, which hides a password.
    read = read.get_secret_value() if hasattr(read, "get_secret_value") else read
    assert read == os.environ["DATABASE_URL"], (
        f"settings.DATABASE_URL is {getattr(settings, 'DATABASE_URL', None)!r}, not the "
        f"DATABASE_URL of the environment: read it with a default_factory in {CONFIG}"
    )
    monkeypatch.delenv("DATABASE_URL")
    url = config.Settings().DATABASE_URL
    url = str(url.get_secret_value() if hasattr(url, "get_secret_value") else url)
    path = url.removeprefix("sqlite:///")
    assert url.startswith("sqlite:///") and Path(path) == (app_dir / "app.db").resolve(), (
        f"without DATABASE_URL, Settings().DATABASE_URL is {url!r}: default to the SQLite file "
        f"app.db in the folder that holds app/ (from Path(__file__)) in {CONFIG}"
    )


@pytest.mark.until(12, "chapter 13 makes the engine, the sessions and get_db async")
def test_engine_uses_the_database_url_and_any_thread() -> None:
    found = session_module()
    url = found.engine.url.render_as_string(hide_password=False)
    assert url == os.environ["DATABASE_URL"], (
        f"engine is connected to {url!r}: create_engine(settings.DATABASE_URL, ...) in {SESSION}"
    )
    errors: list[str] = []
    with found.engine.connect() as connection:
        # FastAPI may close a session in another thread than the one that opened it.
        def use_elsewhere() -> None:
            try:
                connection.exec_driver_sql("SELECT 1")
            except Exception as error:
                errors.append(type(error).__name__)

        thread = threading.Thread(target=use_elsewhere)
        thread.start()
        thread.join()
    assert not errors, (
        f"a connection of the engine failed in another thread ({errors[0] if errors else ''}): "
        f'pass connect_args={{"check_same_thread": False}} for SQLite in {SESSION}'
    )


def test_sessionmaker_is_configured() -> None:
    found = session_module()
    kw = getattr(found.SessionLocal, "kw", {})
    wanted = {"bind": found.engine, "autoflush": False, "expire_on_commit": False}
    got = {key: kw.get(key) for key in wanted}
    assert got == wanted and "autocommit" not in kw, (
        f"SessionLocal is made with {kw!r}: sessionmaker(bind=engine, autoflush=False, "
        f"expire_on_commit=False), without autocommit (gone in SQLAlchemy 2), in {SESSION}"
    )


# --- get_db: one session per request, always closed --------------------------------------


@pytest.mark.until(12, "chapter 13 makes the engine, the sessions and get_db async")
@pytest.mark.exercise("10.1")
def test_get_db_closes_the_session_after_a_success() -> None:
    from sqlalchemy import text

    gen = session_module().get_db()
    db = next(gen)
    db.execute(text("SELECT 1"))
    next(gen, None)  # what FastAPI does once the response is sent
    assert not db.in_transaction() and lent_out() == 0, (
        f"after a successful request the session of get_db is still open: close it after "
        f"the yield, in a finally block ({SESSION})"
    )


@pytest.mark.until(12, "chapter 13 makes the engine, the sessions and get_db async")
@pytest.mark.exercise("10.1")
def test_get_db_closes_the_session_when_the_route_raises() -> None:
    from sqlalchemy import text

    gen = session_module().get_db()
    db = next(gen)
    db.execute(text("SELECT 1"))
    with pytest.raises(RuntimeError):
        gen.throw(RuntimeError("the route failed"))  # what FastAPI does when the route raises
    still_open = db.in_transaction() or lent_out() > 0
    db.close()
    assert not still_open, (
        f"when the route raises, get_db leaves its session open (its connection is never "
        f"given back): put db.close() in a finally block around the yield ({SESSION})"
    )


@pytest.mark.until(12, "chapter 13 makes the engine, the sessions and get_db async")
@pytest.mark.exercise("10.1")
def test_get_db_lets_the_error_through() -> None:
    gen = session_module().get_db()
    next(gen)
    try:
        gen.throw(ValueError("the route failed"))
    except ValueError:
        return
    except StopIteration:
        pass
    pytest.fail(
        f"get_db swallowed the route's exception: no except in get_db, only finally ({SESSION})"
    )


@pytest.mark.until(12, "chapter 13 makes the engine, the sessions and get_db async")
@pytest.mark.exercise("10.1")
def test_get_db_does_not_commit_a_failed_request() -> None:
    from sqlalchemy import text

    found = session_module()
    table = f"scratch_{secrets.token_hex(4)}"
    with found.engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE {table} (n INTEGER)")
    try:
        gen = found.get_db()
        db = next(gen)
        db.execute(text(f"INSERT INTO {table} (n) VALUES (1)"))
        with pytest.raises(RuntimeError):
            gen.throw(RuntimeError("the route failed"))
        db.close()
        with found.engine.connect() as connection:
            kept = connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
    finally:
        with found.engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE {table}")
    assert kept == 0, (
        f"when the route raises, get_db committed what the request wrote: close the session "
        f"in the finally block (closing rolls back), do not commit there ({SESSION})"
    )


@pytest.mark.until(11, "chapter 12 moves users and items into the database")
@pytest.mark.usefixtures("as_bob")
@pytest.mark.exercise("10.1")
def test_requests_give_their_connections_back(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.orm import Session

    for _ in range(3):
        r = client.get(DATABASE)
        assert r.status_code == 200, f"GET {DATABASE} answered {why(r)}: see {SYSTEM}"
    assert lent_out() == 0, (
        f"after 3 requests to GET {DATABASE}, {lent_out()} connections were not given back: "
        f"close the session in get_db ({SESSION})"
    )
    execute = Session.execute

    def execute_then_fail(self: Session, *args: Any, **kwargs: Any) -> Any:
        execute(self, *args, **kwargs)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Session, "execute", execute_then_fail)
    r = client.get(DATABASE)
    assert r.status_code == 500, f"GET {DATABASE} with a failing query answered {why(r)}"
    assert lent_out() == 0, (
        f"a failed GET {DATABASE} kept its connection: close the session in a finally block "
        f"in get_db ({SESSION})"
    )


# --- the dependencies of app/api/deps.py -------------------------------------------------


@pytest.mark.until(12, "chapter 13 makes the engine, the sessions and get_db async")
def test_session_dep_is_an_annotated_alias_of_get_db() -> None:
    from sqlalchemy.orm import Session

    found = deps()
    args = typing.get_args(found.SessionDep)
    dependency = getattr(args[1], "dependency", None) if len(args) == 2 else None
    assert args and args[0] is Session and dependency is session_module().get_db, (
        f"SessionDep is {found.SessionDep!r}: SessionDep = Annotated[Session, Depends(get_db)] "
        f"in {DEPS}"
    )


def test_item_filters_is_a_class_dependency() -> None:
    found = deps()
    args = typing.get_args(found.ItemFiltersDep)
    dependency = getattr(args[1], "dependency", "none") if len(args) == 2 else "none"
    assert (
        isinstance(found.ItemFilters, type)
        and args[0] is found.ItemFilters
        and dependency in (None, found.ItemFilters)
    ), (
        f"ItemFiltersDep is {found.ItemFiltersDep!r}: declare the class ItemFilters and "
        f"ItemFiltersDep = Annotated[ItemFilters, Depends()] in {DEPS}"
    )


@pytest.mark.until(11, "chapter 12 moves users and items into the database")
@pytest.mark.parametrize(
    ("filters", "item", "keep"),
    [
        ({}, {"tags": ["books"], "price": 3.0}, True),
        ({"tag": "games"}, {"tags": ["books"], "price": 3.0}, False),
        ({"tag": "games"}, {"tags": ["games", "sale"], "price": 3.0}, True),
        ({"tag": "sale"}, {"tags": ["games", "sale"], "price": 3.0}, True),
        ({"min_price": 5}, {"tags": [], "price": 4.99}, False),
        ({"min_price": 5}, {"tags": [], "price": 5.0}, True),
        ({"max_price": 20}, {"tags": [], "price": 20.0}, True),
        ({"max_price": 20}, {"tags": [], "price": 20.5}, False),
    ],
    ids=["none", "other tag", "tag", "second tag", "below min", "at min", "at max", "above max"],
)
@pytest.mark.exercise("10.2")
def test_item_filters_match(filters: dict[str, Any], item: dict[str, Any], keep: bool) -> None:
    got = deps().ItemFilters(**filters).matches({"id": 1, "name": "Item", **item})
    assert got is keep, (
        f"ItemFilters({filters}).matches(an item with tags {item['tags']} and price "
        f"{item['price']}) is {got!r}, not {keep}: finish matches in {DEPS} (bounds included)"
    )


def ids_and_total(r: httpx.Response) -> tuple[list[Any], Any] | str:
    answer = body(r)
    if r.status_code != 200 or not isinstance(answer, dict):
        return why(r)[:160]
    return [i.get("id") for i in answer.get("items", [])], answer.get("total")


@pytest.mark.until(11, "chapter 12 moves users and items into the database")
@pytest.mark.exercise("10.2")
def test_items_are_filtered_before_paging(client: TestClient) -> None:
    items = module("app.db.memory").ITEMS
    wanted = [i["id"] for i in items if "games" in i["tags"] and 5 <= i["price"] <= 20]
    r = client.get(ITEMS, params={"tag": "games", "min_price": 5, "max_price": 20})
    got = ids_and_total(r)
    assert got == (wanted, len(wanted)), (
        f"GET {ITEMS}?tag=games&min_price=5&max_price=20 answered the ids and total {got}, "
        f"not {(wanted, len(wanted))}: take filters: ItemFiltersDep in list_items, keep the "
        f"items filters.matches(), then page them; total counts them ({ITEMS_ROUTES})"
    )
    books = [i["id"] for i in items if "books" in i["tags"]]
    r = client.get(ITEMS, params={"tag": "books", "size": 2, "page": 2})
    got = ids_and_total(r)
    assert got == (books[2:4], len(books)), (
        f"GET {ITEMS}?tag=books&size=2&page=2 answered the ids and total {got}, not "
        f"{(books[2:4], len(books))}: filter first, then page, in list_items ({ITEMS_ROUTES})"
    )


def test_item_filters_refuse_a_negative_price(client: TestClient) -> None:
    r = client.get(ITEMS, params={"min_price": -1, "max_price": -2})
    details = body(r).get("error", {}).get("details") or [] if isinstance(body(r), dict) else []
    where = sorted(str(d.get("loc")) for d in details)
    assert r.status_code == 422 and where == [
        "['query', 'max_price']",
        "['query', 'min_price']",
    ], (
        f"GET {ITEMS}?min_price=-1&max_price=-2 answered {why(r)[:200]}: declare both prices "
        f"with Query(ge=0) in ItemFilters.__init__ ({DEPS})"
    )


def test_session_token_comes_from_the_cookie() -> None:
    found = deps()
    errors = module("app.core.errors")
    with pytest.raises(errors.UnauthorizedError) as raised:
        found.get_session_token(None)
    assert raised.value.message == "Not logged in", (
        f"get_session_token without a cookie raised {raised.value.message!r}: raise "
        f'UnauthorizedError("Not logged in") in {DEPS}'
    )
    assert found.get_session_token("abc") == "abc", (
        f"get_session_token does not answer the cookie's token: return session_id in {DEPS}"
    )


@pytest.mark.until(11, "chapter 12 moves users and items into the database")
@pytest.mark.exercise("10.3")
def test_current_user_follows_the_token(logged_in: dict[str, str]) -> None:
    found = deps()
    errors = module("app.core.errors")
    token = logged_in["Cookie"].removeprefix("session_id=")
    try:
        user = found.get_current_user(token)
    except errors.UnauthorizedError:
        pytest.fail(
            f"get_current_user refused the token of a live session: look the token up in "
            f"SESSIONS and the user in USERS ({DEPS})"
        )
    assert getattr(user, "email", None) == "bob@example.com", (
        f"get_current_user answered {user!r} for a session of Bob's: USERS[SESSIONS[token]] "
        f"({DEPS})"
    )
    try:
        stranger = found.get_current_user("no-such-session")
    except errors.UnauthorizedError:
        return
    except Exception as error:
        pytest.fail(
            f"get_current_user raised {type(error).__name__} for an unknown token: look both "
            f'up with .get() and raise UnauthorizedError("Not logged in") ({DEPS})'
        )
    pytest.fail(
        f"get_current_user answered {stranger!r} for an unknown token: raise "
        f'UnauthorizedError("Not logged in") ({DEPS})'
    )


def _calls(route: APIRoute) -> set[Any]:
    """Every callable a route depends on, through chains and its router."""
    seen: set[Any] = set()
    todo = list(route.dependant.dependencies)
    while todo:
        dependant = todo.pop()
        seen.add(dependant.call)
        todo.extend(dependant.dependencies)
    return seen


def _get_routes(app: FastAPI) -> dict[str, APIRoute]:
    """The app's GET routes by full path, those of included routers too."""
    return {
        context.path: route
        for context in iter_route_contexts(app.routes)
        if isinstance(route := context.original_route, APIRoute) and "GET" in route.methods
    }


def _route(app: FastAPI, path: str) -> APIRoute:
    route = _get_routes(app).get(path)
    if route is None:
        pytest.fail(f"the app has no GET {path}")
    return route


@pytest.mark.until(14, "chapter 15: get_current_user reads a bearer token, not the cookie")
@pytest.mark.exercise("10.3")
def test_me_uses_the_dependency_chain(app: FastAPI, client: TestClient) -> None:
    found = deps()
    calls = _calls(_route(app, ME))
    assert {found.get_current_user, found.get_session_token} <= calls, (
        f"GET {ME} does not depend on get_current_user (and through it on "
        f"get_session_token): declare user: CurrentUser in read_session_user ({SESSION_ROUTES})"
    )
    r = client.get(ME, headers={"Cookie": "session_id=not-a-session"})
    assert r.status_code == 401 and "Not logged in" in r.text, (
        f"GET {ME} with an unknown session answered {why(r)}: get_current_user raises "
        f'UnauthorizedError("Not logged in") ({DEPS})'
    )


# --- a dependency for a whole router ------------------------------------------------------


@pytest.mark.exercise("10.4")
def test_system_router_requires_a_login_for_every_route(app: FastAPI, client: TestClient) -> None:
    system = module("app.api.v1.routes.system")
    declared = [getattr(d, "dependency", None) for d in system.router.dependencies]
    assert deps().get_current_user in declared, (
        f"the system router declares the dependencies {declared}: "
        f"APIRouter(..., dependencies=[Depends(get_current_user)]) in {SYSTEM}"
    )
    paths = [path for path in _get_routes(app) if path.startswith("/api/v1/system/")]
    assert DATABASE in paths, f"the app has no GET {DATABASE}: see {SYSTEM}"
    for path in paths:
        r = client.get(path)
        assert r.status_code == 401 and "Not logged in" in r.text, (
            f"GET {path} without a login answered {why(r)}: every route of the system "
            f"router requires get_current_user ({SYSTEM})"
        )


@pytest.mark.until(11, "chapter 12 moves users and items into the database")
@pytest.mark.usefixtures("as_bob")
def test_system_database_answers_through_the_session(client: TestClient) -> None:
    r = client.get(DATABASE)
    assert r.status_code == 200 and body(r) == {"database": "ok", "dialect": "sqlite"}, (
        f"GET {DATABASE} logged in answered {why(r)}, not "
        f'{{"database": "ok", "dialect": "sqlite"}}: run SELECT 1 through db: SessionDep '
        f"({SYSTEM})"
    )


# --- app.dependency_overrides --------------------------------------------------------------


@pytest.mark.until(11, "chapter 12 moves users and items into the database")
def test_overrides_replace_get_db_and_the_user(
    client: TestClient, overrides: dict[Any, Any], tmp_path: Path
) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    test_engine = create_engine(f"sqlite:///{tmp_path / 'override.db'}")
    given: list[Session] = []

    def get_test_db() -> Iterator[Session]:
        with Session(test_engine) as db:
            given.append(db)
            yield db

    bob = module("app.db.memory").USERS[2]
    overrides[session_module().get_db] = get_test_db
    overrides[deps().get_current_user] = lambda: bob
    try:
        me = client.get(ME)
        database = client.get(DATABASE)
    finally:
        test_engine.dispose()
    assert me.status_code == 200 and body(me).get("email") == "bob@example.com", (
        f"GET {ME} with get_current_user overridden answered {why(me)}: read_session_user "
        f"must get its user from CurrentUser ({SESSION_ROUTES})"
    )
    assert database.status_code == 200 and len(given) == 1, (
        f"GET {DATABASE} with get_db overridden answered {why(database)} and used "
        f"{len(given)} sessions of the test: the route takes db: SessionDep ({SYSTEM})"
    )


def test_overrides_are_gone_after_the_test(app: FastAPI, client: TestClient) -> None:
    assert not app.dependency_overrides, "a test left app.dependency_overrides set"
    r = client.get(ME)
    assert r.status_code == 401, f"GET {ME} without a cookie answered {why(r)}: see {DEPS}"


# --- for real ----------------------------------------------------------------------------


@pytest.mark.until(14, "chapter 15: the system routes take a bearer token, not the session cookie")
@pytest.mark.slow
def test_sessions_across_threads_over_real_http(live_server: LiveServer) -> None:
    login = live_server.post(
        "/api/v1/session/login", json={"email": "bob@example.com", "password": "bob-secret-1"}
    )
    assert login.status_code == 200, f"under uvicorn, logging in answered {why(login)}"
    cookie = {"Cookie": f"session_id={login.cookies.get('session_id', '')}"}
    me = live_server.get(ME, headers=cookie)
    assert me.status_code == 200, (
        f"under uvicorn, GET {ME} right after logging in answered {why(me)}: see "
        f"get_current_user ({DEPS})"
    )
    # uvicorn's thread pool: get_db, the route and the cleanup run in different threads.
    answers = [live_server.get(DATABASE, headers=cookie) for _ in range(5)]
    failed = [why(r) for r in answers if r.status_code != 200]
    first = failed[0][:120] if failed else ""
    assert not failed, (
        f"under uvicorn, GET {DATABASE} failed {len(failed)} of 5 times ({first}): pass "
        f'connect_args={{"check_same_thread": False}} and close sessions in get_db ({SESSION})'
    )
    r = live_server.get(DATABASE)
    assert r.status_code == 401, (
        f"under uvicorn, GET {DATABASE} without a login answered {why(r)}: the system router "
        f"requires get_current_user ({SYSTEM})"
    )
