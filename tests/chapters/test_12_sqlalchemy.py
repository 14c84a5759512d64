"""Chapter 12: users and items in the database, through typed SQLAlchemy 2 models.

The tests read the database back with an engine of their own (own_engine, on the
check's own database, from DATABASE_URL): what the API answered must be what is stored.
They prove that nothing is lost (every committed row, concurrent creates, a
restart) and that nothing leaks (a failed request leaves no row, a taken email
ends in one row and a 409 however the requests interleave, connections go back).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
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
    unique,
    why,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from workbook.server import LiveServer

USER_MODEL = "app/models/user.py"
ITEM_MODEL = "app/models/item.py"
USERS_ROUTES = "app/api/v1/routes/users.py"
ITEMS_ROUTES = "app/api/v1/routes/items.py"
DEPS = "app/api/deps.py"
USERS = "/api/v1/users"
ITEMS = "/api/v1/items"
ME = "/api/v1/session/me"
PASSWORD = "a-long-secret-1"


def new_user(email: str) -> dict[str, str]:
    return {"name": "Dana", "email": email, "password": PASSWORD}


def in_threads(count: int, call: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """Run call(0) ... call(count - 1) at the same moment, one thread each."""
    start = threading.Barrier(count)
    answers: list[httpx.Response | None] = [None] * count

    def run(n: int) -> None:
        start.wait()
        answers[n] = call(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    missing = [n for n, answer in enumerate(answers) if answer is None]
    assert not missing, f"{len(missing)} of {count} concurrent requests never answered"
    return [answer for answer in answers if answer is not None]


# --- the models --------------------------------------------------------------------------


def test_models_declare_users_and_items(app: FastAPI) -> None:
    base = import_app_module("app.db.base")
    tables = base.Base.metadata.tables
    assert "users" in tables and "items" in tables, (
        f"Base.metadata knows the tables {sorted(tables)}: define User ({USER_MODEL}) and "
        f"Item ({ITEM_MODEL}) and import both in app/models/__init__.py"
    )
    users, items = tables["users"], tables["items"]
    wanted = {"id", "name", "email", "password", "role", "is_active", "profile"}
    assert wanted <= set(users.columns.keys()), (
        f"users has no column {sorted(wanted - set(users.columns.keys()))} ({USER_MODEL})"
    )
    assert {"id", "name", "price", "tags"} <= set(items.columns.keys()), (
        f"items has the columns {sorted(items.columns.keys())}: id, name, price, tags "
        f"({ITEM_MODEL})"
    )


@pytest.mark.exercise("12.1")
def test_email_is_unique_and_indexed(app: FastAPI) -> None:
    users = import_app_module("app.db.base").Base.metadata.tables["users"]
    email = users.columns["email"]
    indexed = any(email in index.columns.values() for index in users.indexes)
    unique_index = any(
        index.unique and list(index.columns) == [email] for index in users.indexes
    ) or bool(email.unique)
    assert indexed and unique_index, (
        f"users.email is {'' if indexed else 'not '}indexed and {'' if unique_index else 'not '}"
        f"unique: mapped_column(String(320), unique=True, index=True) in {USER_MODEL}"
    )


def test_no_legacy_query_api(app_dir: Path) -> None:
    found = [
        f"{path.relative_to(app_dir)}: {match.group(0)}"
        for path in sorted((app_dir / "app").rglob("*.py"))
        for match in re.finditer(r"\.query\(|declarative_base\(", path.read_text())
    ]
    assert not found, (
        f"the legacy API is still used: {', '.join(found)}: write session.get(User, id), "
        f"session.scalars(select(User)...), and class Base(DeclarativeBase)"
    )


# --- users in the database ---------------------------------------------------------------


@pytest.mark.exercise("12.2")
def test_user_crud_persists_in_the_database(
    client: TestClient, own_engine: Engine, as_admin: None
) -> None:
    email = f"{unique('dana')}@example.com"
    r = client.post(USERS, json=new_user(email.upper()))
    assert r.status_code == 201, f"POST {USERS} answered {why(r)}: see create_user ({USERS_ROUTES})"
    user_id = body(r)["id"]
    stored = stored_value(own_engine, "SELECT email FROM users WHERE id = :id", id=user_id)
    assert stored == email, (
        f"the users row {user_id} holds the email {stored!r}, not {email!r}: add the User to "
        f"the session and commit; store the email lower-cased ({USER_MODEL})"
    )
    assert body(r)["email"] == email and "password" not in body(r), (
        f"POST {USERS} answered {body(r)}: UserOut.model_validate(user), with the stored email "
        f"and no password ({USERS_ROUTES})"
    )
    r = client.patch(f"{USERS}/{user_id}", json={"name": "Dana Renamed"})
    stored = stored_value(own_engine, "SELECT name FROM users WHERE id = :id", id=user_id)
    assert r.status_code == 200 and stored == "Dana Renamed", (
        f"PATCH {USERS}/{user_id} answered {why(r)} and the row's name is {stored!r}: "
        f"set the fields, then commit ({USERS_ROUTES})"
    )
    r = client.delete(f"{USERS}/{user_id}")
    left = stored_value(own_engine, "SELECT count(*) FROM users WHERE id = :id", id=user_id)
    assert r.status_code == 204 and left == 0, (
        f"DELETE {USERS}/{user_id} answered {why(r)} and left {left} row: session.delete(user), "
        f"then commit ({USERS_ROUTES})"
    )
    r = client.get(f"{USERS}/{user_id}")
    assert r.status_code == 404, (
        f"GET {USERS}/{user_id} after its DELETE answered {why(r)}: session.get answers None, "
        f"raise NotFoundError ({USERS_ROUTES})"
    )


@pytest.mark.exercise("12.2", "12.1")
def test_duplicate_email_is_a_409_from_the_constraint(
    client: TestClient, own_engine: Engine, as_admin: None
) -> None:
    email = f"{unique('erin')}@example.com"
    first = client.post(USERS, json=new_user(email))
    again = client.post(USERS, json=new_user(email.upper()))
    rows = stored_value(own_engine, "SELECT count(*) FROM users WHERE lower(email) = :e", e=email)
    assert first.status_code == 201 and rows == 1, (
        f"two POST {USERS} with {email} (second in upper case) left {rows} rows: declare the "
        f"email unique and store it lower-cased ({USER_MODEL})"
    )
    assert again.status_code == 409 and "Email already registered" in again.text, (
        f"a second POST {USERS} with a taken email answered {why(again)}: catch IntegrityError "
        f'in commit_or_conflict, roll back, raise ConflictError("Email already registered") '
        f"({USERS_ROUTES}; from chapter 14 on, in UserRepository.commit)"
    )
    # The session was rolled back: the same client goes on working.
    r = client.get(f"{USERS}/{body(first)['id']}")
    assert r.status_code == 200, f"GET {USERS}/{body(first)['id']} after a 409 answered {why(r)}"


@pytest.mark.exercise("12.2", "12.1")
def test_two_concurrent_creates_with_one_email(client: TestClient, own_engine: Engine) -> None:
    email = f"{unique('race')}@example.com"
    answers = in_threads(2, lambda n: client.post(USERS, json=new_user(email)))
    statuses = sorted(r.status_code for r in answers)
    rows = stored_value(own_engine, "SELECT count(*) FROM users WHERE email = :e", e=email)
    assert rows == 1 and statuses == [201, 409], (
        f"two POST {USERS} at the same moment with one email answered {statuses} and left "
        f"{rows} rows, not [201, 409] and 1: a lookup before the INSERT cannot see the other "
        f"request's row; the unique index must decide, caught in commit_or_conflict "
        f"({USERS_ROUTES}; from chapter 14 on, in UserRepository.commit)"
    )


@pytest.mark.until(13, "chapter 14 moves the commit into UserRepository.commit")
def test_a_failed_request_leaves_no_partial_row(
    client: TestClient, own_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = import_app_module("app.api.v1.routes.users")
    if not hasattr(users, "commit_or_conflict"):
        pytest.fail(f"{USERS_ROUTES} defines no commit_or_conflict(db): see step 4")

    def fail_after_the_insert(db: Session | AsyncSession) -> Any:
        # The INSERT reaches the database, inside the open transaction; then a failure.
        if isinstance(db, AsyncSession):  # chapter 13 on: awaited by the route

            async def flush_then_fail() -> None:
                await db.flush()
                raise RuntimeError("the disk is full")

            return flush_then_fail()
        db.flush()
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(users, "commit_or_conflict", fail_after_the_insert)
    email = f"{unique('half')}@example.com"
    r = client.post(USERS, json=new_user(email))
    rows = stored_value(own_engine, "SELECT count(*) FROM users WHERE email = :e", e=email)
    assert r.status_code == 500 and rows == 0, (
        f"a POST {USERS} that failed after its INSERT answered {why(r)} and left {rows} rows: "
        f"nothing may commit but commit_or_conflict; get_db closes the session, which rolls "
        f"back (app/db/session.py)"
    )
    assert lent_out() == 0, (
        f"{lent_out()} connections are still lent out after the requests: get_db must close "
        f"the session in `finally` (app/db/session.py)"
    )


def test_a_failed_statement_does_not_quote_its_values(client: TestClient) -> None:
    """The message of a failed statement goes to the server log with the 500's traceback:
    it must not carry the values bound to it (a sign-up's password)."""
    engine = getattr(import_app_module("app.db.session"), "engine", None)
    if engine is None:
        pytest.fail("app/db/session.py defines no `engine`")
    secret = unique("never-logged")
    insert = text("INSERT INTO no_such_table (password) VALUES (:password)")
    if isinstance(engine, AsyncEngine):  # chapter 13 on: run in the client's event loop

        async def run() -> Any:
            async with engine.connect() as connection:
                return await outcome(connection.execute(insert, {"password": secret}))

        error = client.portal.call(run)
    else:
        with engine.connect() as connection:
            try:
                connection.execute(insert, {"password": secret})
            except DBAPIError as failed:
                error = failed
            else:
                error = None
    assert isinstance(error, DBAPIError), (
        f"an INSERT into a table that does not exist gave {said(error)}, not a DBAPIError"
    )
    quoted = " ".join(str(error)[str(error).find("[parameters") :].split())[:60]
    assert secret not in str(error), (
        f"the error of a failed INSERT quotes its values, the password among them: "
        f"{quoted}; create the engine with hide_parameters=True (app/db/session.py)"
    )


@pytest.mark.slow
def test_a_failed_sign_up_leaves_the_password_out_of_the_log(
    live_server: LiveServer, own_engine: Engine
) -> None:
    """Under uvicorn: a sign-up whose INSERT fails (the table is renamed away for a moment)
    answers 500, and nothing the server printed holds the password."""
    secret = unique("never-logged")
    with own_engine.begin() as connection:
        connection.execute(text("ALTER TABLE users RENAME TO users_away"))
    try:
        r = live_server.post(
            USERS,
            json={"name": "Dana", "email": f"{unique('dana')}@example.com", "password": secret},
        )
    finally:
        with own_engine.begin() as connection:
            connection.execute(text("ALTER TABLE users_away RENAME TO users"))
    assert r.status_code == 500, f"POST {USERS} with no users table answered {why(r)}, not 500"
    deadline = time.monotonic() + 5  # the traceback is written after the response
    while "Traceback" not in live_server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = live_server.log()
    assert secret not in log, (
        "the server log holds the password of a failed sign-up: create the engine with "
        "hide_parameters=True (app/db/session.py)"
    )


@pytest.mark.until(12, "chapter 13 makes commit_or_conflict async: test_13 checks it there")
@pytest.mark.exercise("12.2")
def test_only_a_refused_email_is_a_conflict(app: FastAPI) -> None:
    users = import_app_module("app.api.v1.routes.users")
    if not hasattr(users, "commit_or_conflict"):
        pytest.fail(f"{USERS_ROUTES} defines no commit_or_conflict(db): see step 4")
    try:
        users.commit_or_conflict(locked_session(awaitable=False))
    except Exception as error:  # the learner's code: any error but a conflict is right
        raised: Exception | None = error
    else:
        raised = None
    outcome = f"raised {type(raised).__name__}" if raised else "returned as if it had committed"
    assert raised is not None and not isinstance(raised, users.ConflictError), (
        f"commit_or_conflict, on a COMMIT that failed with OperationalError (database is "
        f"locked), {outcome}: catch IntegrityError only (the unique index refused the "
        f"email) and let every other error through ({USERS_ROUTES})"
    )


def test_current_user_is_read_from_the_database(client: TestClient) -> None:
    login = {"email": "BOB@example.com", "password": "bob-secret-1"}
    r = client.post("/api/v1/session/login", json=login)
    assert r.status_code == 200, (
        f"POST /api/v1/session/login as BOB@example.com answered {why(r)}: authenticate(db, "
        f"email, password) looks the lower-cased email up in users (app/core/security.py)"
    )
    me = client.get(ME)
    assert me.status_code == 200 and body(me).get("email") == "bob@example.com", (
        f"GET {ME} after Bob's login answered {why(me)}: get_current_user reads the user with "
        f"db.get(User, SESSIONS[token]) ({DEPS})"
    )
    sessions = import_app_module("app.db.memory").SESSIONS
    token = secrets.token_urlsafe(16)
    sessions[token] = 10**9  # a session whose user is not in the database
    try:
        gone = client.get(ME, headers={"Cookie": f"session_id={token}"})
    finally:
        sessions.pop(token, None)
    assert gone.status_code == 401, (
        f"GET {ME} with a session of a user who is not in the database answered {why(gone)}: "
        f'db.get answers None, raise UnauthorizedError("Not logged in") ({DEPS})'
    )


# --- items in the database -----------------------------------------------------------------


@pytest.mark.exercise("12.3")
def test_items_are_filtered_and_paged_in_sql(
    client: TestClient, own_engine: Engine, statements: list[str]
) -> None:
    tag = unique("tag")
    # Kept by ?tag=<tag>&min_price=5&max_price=20: Stored 0 and Stored 2 (bounds included).
    # "x<tag>" holds the tag as a part of another tag: a filter on the text must not keep it.
    rows = [([tag], 5.0), ([f"x{tag}"], 7.5), ([tag, "sale"], 20.0), ([tag], 4.99), ([tag], 20.5)]
    with Session(own_engine) as db:
        for n, (tags, price) in enumerate(rows):
            db.execute(
                text("INSERT INTO items (name, price, tags) VALUES (:name, :price, :tags)"),
                {"name": f"Stored {n}", "price": price, "tags": json.dumps(tags)},
            )
        db.commit()
    statements.clear()
    query = {"tag": tag, "min_price": 5, "max_price": 20, "size": 1, "page": 2}
    r = client.get(ITEMS, params=query)
    answer = body(r)
    got = (
        (answer.get("total"), [i.get("name") for i in answer.get("items", [])])
        if r.status_code == 200 and isinstance(answer, dict)
        else why(r)
    )
    assert got == (2, ["Stored 2"]), (
        f"GET {ITEMS}?tag={tag}&min_price=5&max_price=20&size=1&page=2 answered {got}, not "
        f"total 2 and the item 'Stored 2' (rows of the items table): select(Item).where("
        f"*filters.conditions()), count it, then order_by(Item.id).offset().limit() "
        f"({ITEMS_ROUTES}; the conditions in {DEPS})"
    )
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    paged = any("LIMIT" in s.upper() for s in selects)
    assert paged and len(selects) <= 2, (
        f"GET {ITEMS} ran {len(selects)} SELECTs{'' if paged else ', none with a LIMIT'}: one "
        f"COUNT and one page of rows (offset/limit in SQL), not every row or one query per "
        f"item ({ITEMS_ROUTES})"
    )


def test_tag_filter_compares_whole_tags(client: TestClient) -> None:
    tag = unique("tag")
    # Tags that hold the tag, quotes, commas or LIKE wildcards: only whole tags match.
    stored = {
        "Plain": [tag],
        "Second": ["other", tag],
        "Quoted": [f'not "{tag}'],
        "Comma": [f'{tag}", "x'],
        "Percent": [f"{tag}%"],
        "Accent": [f"café-{tag}"],
    }
    for name, tags in stored.items():
        r = client.post(
            ITEMS, json={"name": name, "price": 1.5, "tags": tags}, headers=login_headers(client)
        )
        assert r.status_code == 201, f"POST {ITEMS} with the tags {tags} answered {why(r)}"
    wanted = {
        tag: ["Plain", "Second"],
        f'not "{tag}': ["Quoted"],
        f'{tag}", "x': ["Comma"],
        f"{tag}%": ["Percent"],
        f"{tag[:-1]}_": [],
        f"café-{tag}": ["Accent"],
    }
    for asked, names in wanted.items():
        r = client.get(ITEMS, params={"tag": asked, "size": 100})
        answer = body(r)
        got = [i.get("name") for i in answer["items"]] if r.status_code == 200 else why(r)
        assert got == names, (
            f"GET {ITEMS}?tag={asked} answered {got}, not {names}: compare whole elements of "
            f"the JSON list, json_list_has(Item.tags, tag) from app/db/sql.py, not a LIKE on the "
            f"list's text, in the tag condition of {DEPS} (from chapter 14, "
            f"app/repositories/items.py)"
        )


# --- for real: a restart -------------------------------------------------------------------


@pytest.mark.slow
def test_concurrent_creates_survive_a_restart(app_dir: Path, own_engine: Engine) -> None:
    """Under uvicorn: 50 concurrent creates all stored, 10 concurrent sign-ups with one email
    one user, then every row still there after a stop and a start on the same DATABASE_URL
    (and the seed not inserted twice)."""
    email = f"{unique('kept')}@example.com"
    raced = f"{unique('raced')}@example.com"
    tag = unique("burst")
    count = 50
    with LiveServer(app_dir) as server:
        created = server.post(USERS, json=new_user(email))
        login = login_headers(server)
        answers = in_threads(
            count,
            lambda n: server.post(
                ITEMS, json={"name": f"Burst {n}", "price": 1.5, "tags": [tag]}, headers=login
            ),
        )
        sign_ups = in_threads(10, lambda n: server.post(USERS, json=new_user(raced)))
        before = body(server.get(ITEMS, params={"size": 1})).get("total")
    race = sorted(r.status_code for r in sign_ups)
    rows = stored_value(own_engine, "SELECT count(*) FROM users WHERE email = :e", e=raced)
    assert race == [201] + [409] * 9 and rows == 1, (
        f"under uvicorn, 10 concurrent POST {USERS} with one email answered {race} and left "
        f"{rows} rows, not one 201, nine 409 and 1 row: the unique index decides, caught in "
        f"commit_or_conflict ({USERS_ROUTES}; from chapter 14 on, in UserRepository.commit)"
    )
    statuses = sorted({r.status_code for r in answers})
    ids = {body(r).get("id") for r in answers if r.status_code == 201}
    assert created.status_code == 201 and statuses == [201] and len(ids) == count, (
        f"under uvicorn, POST {USERS} answered {why(created)}, and {count} concurrent POST "
        f"{ITEMS} the statuses {statuses} with {len(ids)} distinct ids: add each Item and "
        f"commit in create_item; the database gives the ids ({ITEMS_ROUTES})"
    )
    with LiveServer(app_dir) as server:
        # An admin reads any user record from chapter 17 on.
        user = server.get(f"{USERS}/{body(created)['id']}", headers=admin_headers(server))
        items = server.get(ITEMS, params={"tag": tag, "size": 100})
        after = body(server.get(ITEMS, params={"size": 1})).get("total")
    assert user.status_code == 200 and body(user).get("email") == email, (
        f"after a restart, GET {USERS}/{body(created)['id']} answered {why(user)}: the user "
        f"must be committed to the database file of DATABASE_URL ({USERS_ROUTES})"
    )
    kept = body(items).get("total") if isinstance(body(items), dict) else why(items)
    assert kept == count and after == before, (
        f"after a restart, {kept} of the {count} items created concurrently are left and the "
        f"total went from {before} to {after}: commit each item; seed only empty tables "
        f"(app/db/init_db.py)"
    )
