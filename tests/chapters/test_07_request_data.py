"""Chapter 07: request data: a JSON body (items), headers (echo), cookies (a login session).

POST /api/v1/items takes an ItemCreate body; GET /api/v1/echo/headers reads
User-Agent and X-Trace-Id; /api/v1/session/* logs a user in with an HttpOnly
session cookie. Each test signs up its own users, so the order does not matter.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from http.cookies import Morsel, SimpleCookie
from typing import Any

import httpx
import pytest
from conftest import body, import_app_module, login_headers, why
from fastapi.testclient import TestClient

ITEMS = "/api/v1/items"
ECHO = "/api/v1/echo/headers"
LOGIN = "/api/v1/session/login"
ME = "/api/v1/session/me"
LOGOUT = "/api/v1/session/logout"
ITEM_SCHEMAS = "app/schemas/item.py"
ITEM_ROUTES = "app/api/v1/routes/items.py"
ECHO_ROUTES = "app/api/v1/routes/echo.py"
SESSION_ROUTES = "app/api/v1/routes/session.py"
PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


def sign_up(client: TestClient) -> dict[str, Any]:
    """A new user of this test alone, with the password PASSWORD."""
    email = f"ch07-user-{next(_numbers)}@example.com"
    r = client.post("/api/v1/users", json={"name": "Ada", "email": email, "password": PASSWORD})
    assert r.status_code == 201, f"signing up answered {why(r)}: see chapter 06's checks"
    return dict(body(r))


def session_cookie(r: httpx.Response) -> Morsel[str] | None:
    """The session_id cookie a response sets (the last one, as a browser keeps it)."""
    found = None
    for header in r.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        found = cookie.get("session_id", found)
    return found


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> httpx.Response:
    r = client.post(LOGIN, json={"email": email, "password": password})
    client.cookies.clear()  # each test sends the cookie it means to send, by hand
    return r


def token_of(client: TestClient, email: str) -> str:
    r = log_in(client, email)
    assert r.status_code == 200, (
        f"POST {LOGIN} with the right email and password answered {why(r)}: see login in "
        f"{SESSION_ROUTES}"
    )
    cookie = session_cookie(r)
    assert cookie is not None and cookie.value, (
        f"POST {LOGIN} sets no session_id cookie: call response.set_cookie in login "
        f"({SESSION_ROUTES})"
    )
    return cookie.value


# --- a JSON body: items -----------------------------------------------------------------


def test_item_schemas_define_create_and_out() -> None:
    module = import_app_module("app.schemas.item")
    create, out = getattr(module, "ItemCreate", None), getattr(module, "ItemOut", None)
    assert create is not None and out is not None, (
        f"{ITEM_SCHEMAS} must define ItemCreate and ItemOut: run its %%app cell"
    )
    assert issubclass(out, create) and "id" in out.model_fields, (
        f"ItemOut in {ITEM_SCHEMAS} is ItemCreate plus id: class ItemOut(ItemCreate)"
    )
    assert set(create.model_fields) == {"name", "price", "tags"}, (
        f"ItemCreate in {ITEM_SCHEMAS} has the fields {sorted(create.model_fields)}: it takes "
        f"name, price and tags (the id comes from the server)"
    )


@pytest.mark.exercise("07.2")
def test_create_item_answers_201_and_the_item_is_listed(client: TestClient) -> None:
    before = body(client.get(ITEMS)).get("total", 0)
    item = {"name": "Keyboard", "price": 49.5, "tags": ["desk", "usb"]}
    r = client.post(ITEMS, json=item, headers=login_headers(client))
    assert r.status_code != 405, (
        f"POST {ITEMS} is not allowed: add create_item to the router in {ITEM_ROUTES}"
    )
    assert r.status_code == 201, (
        f"POST {ITEMS} answered {why(r)}, not 201: create_item in {ITEM_ROUTES} stores the "
        f"item with a new id and returns its ItemOut"
    )
    created = body(r)
    assert isinstance(created.get("id"), int) and {**item, "id": created["id"]} == created, (
        f"POST {ITEMS} answered {created!r}: answer the ItemOut (the body plus a new id)"
    )
    listing = body(client.get(ITEMS, params={"page": 1, "size": 100}))
    assert listing.get("total") == before + 1 and created in listing.get("items", []), (
        f"GET {ITEMS} does not list the new item: append it to ITEMS in create_item ({ITEM_ROUTES})"
    )


@pytest.mark.exercise("07.2")
def test_new_items_get_new_ids_from_the_server(client: TestClient) -> None:
    first = client.post(
        ITEMS, json={"name": "Mouse", "price": 20, "id": 1}, headers=login_headers(client)
    )
    second = client.post(ITEMS, json={"name": "Mouse", "price": 20}, headers=login_headers(client))
    for r in (first, second):
        assert r.status_code == 201, (
            f"POST {ITEMS} answered {why(r)}: finish create_item in {ITEM_ROUTES}"
        )
    ids = [body(r).get("id") for r in (first, second)]
    assert None not in ids and ids[0] != ids[1] and 1 not in ids, (
        f"two new items got the ids {ids}: create_item in {ITEM_ROUTES} gives each a new id "
        f"(next_item_id()), never one from the body"
    )


def test_items_keep_their_shape_in_the_listing(client: TestClient) -> None:
    r = client.get(ITEMS, params={"page": 1, "size": 2})
    page = body(r)
    assert r.status_code == 200 and {"page", "size", "total", "items"} <= set(page), (
        f"GET {ITEMS} answered {why(r)}: list_items in {ITEM_ROUTES} keeps page, size, total, items"
    )
    shapes = {tuple(sorted(item)) for item in page["items"]}
    assert shapes == {("id", "name", "price", "tags")}, (
        f"GET {ITEMS} lists items with the keys {sorted(shapes)}: answer ItemOut items"
    )


@pytest.mark.parametrize(
    ("field", "item"),
    [
        pytest.param("price", {"name": "Free lunch", "price": 0}, id="price 0"),
        pytest.param("price", {"name": "Debt", "price": -1}, id="price -1"),
        pytest.param("name", {"name": "", "price": 1}, id="empty name"),
        pytest.param("name", {"name": "   ", "price": 1}, id="blank name"),
        pytest.param("name", {"name": "n" * 101, "price": 1}, id="name of 101 characters"),
        pytest.param("tags", {"name": "Lamp", "price": 1, "tags": "lamp"}, id="tags not a list"),
    ],
)
@pytest.mark.exercise("07.1")
def test_create_item_refuses_invalid_bodies_naming_the_field(
    client: TestClient, request: pytest.FixtureRequest, field: str, item: dict[str, Any]
) -> None:
    r = client.post(ITEMS, json=item, headers=login_headers(client))
    case = request.node.callspec.id
    fix = {
        "price": "price: float = Field(gt=0)",
        "name": "name: 1 to 100 characters once stripped (StringConstraints)",
        "tags": "tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)",
    }[field]
    assert r.status_code == 422, (
        f"POST {ITEMS} with {case} answered {why(r)}, not 422: in ItemCreate "
        f"({ITEM_SCHEMAS}; from chapter 13 on, ItemBase in app/models/item.py), {fix}"
    )
    assert field in r.text, f"the 422 for {case} does not name the field {field!r}"


@pytest.mark.parametrize(
    "tags",
    [
        pytest.param(["t"] * 21, id="21 tags"),
        pytest.param(["t" * 51], id="a tag of 51 characters"),
        pytest.param([""], id="an empty tag"),
        # The 20 MB list of the fuzzing report, in small: 5,000 tags, 40 kB of JSON (under
        # chapter 09's 64 KiB body cap, which would answer 413 before the model is read).
        pytest.param(["games"] * 5_000, id="5000 tags"),
    ],
)
def test_create_item_bounds_the_tags(client: TestClient, tags: list[str]) -> None:
    before = body(client.get(ITEMS, params={"size": 1})).get("total")
    r = client.post(
        ITEMS, json={"name": "Tagged", "price": 1, "tags": tags}, headers=login_headers(client)
    )
    assert r.status_code == 422 and "tags" in r.text, (
        f"POST {ITEMS} with {len(tags)} tags of up to {max(map(len, tags))} characters answered "
        f"{why(r)}, not a 422 naming tags: tags: list[Tag] = Field(default_factory=list, "
        f"max_length=MAX_TAGS), Tag of 1 to 50 characters, in ItemCreate ({ITEM_SCHEMAS}; from "
        f"chapter 13 on, ItemBase in app/models/item.py)"
    )
    after = body(client.get(ITEMS, params={"size": 1})).get("total")
    assert after == before, f"POST {ITEMS} refused the tags but stored the item ({before}, {after})"


def test_create_item_takes_twenty_tags_of_fifty_characters(client: TestClient) -> None:
    tags = [f"{n:02d}" + "t" * 48 for n in range(20)]
    r = client.post(
        ITEMS, json={"name": "Tagged", "price": 1, "tags": tags}, headers=login_headers(client)
    )
    assert r.status_code == 201 and body(r).get("tags") == tags, (
        f"POST {ITEMS} with 20 tags of 50 characters answered {why(r)}: the bounds are inclusive, "
        f"MAX_TAGS = 20 and max_length=50 ({ITEM_SCHEMAS})"
    )


# --- headers ------------------------------------------------------------------------------


@pytest.mark.exercise("07.3")
def test_echo_reads_user_agent_and_trace_id(client: TestClient) -> None:
    headers = {"User-Agent": "workbook-test/1.0", "X-Trace-Id": "trace-0042"}
    r = client.get(ECHO, headers=headers)
    assert r.status_code == 200, (
        f"GET {ECHO} answered {why(r)}: add echo_headers in {ECHO_ROUTES} and include the echo "
        f"router in app/api/v1/router.py"
    )
    assert body(r) == {"user_agent": "workbook-test/1.0", "trace_id": "trace-0042"}, (
        f"GET {ECHO} with X-Trace-Id answered {body(r)!r}: read x_trace_id with Header() and "
        f"keep convert_underscores on (the default), in {ECHO_ROUTES}"
    )
    assert r.headers.get("x-trace-id") == "trace-0042", (
        f"GET {ECHO} did not send X-Trace-Id back: set response.headers['X-Trace-Id'] in "
        f"echo_headers ({ECHO_ROUTES})"
    )


@pytest.mark.exercise("07.3")
def test_echo_without_trace_id_answers_null_and_no_header(client: TestClient) -> None:
    r = client.get(ECHO, headers={"User-Agent": "workbook-test/1.0"})
    assert r.status_code == 200 and body(r) == {
        "user_agent": "workbook-test/1.0",
        "trace_id": None,
    }, f"GET {ECHO} without X-Trace-Id answered {why(r)} {body(r)!r}: x_trace_id defaults to None"
    assert "x-trace-id" not in r.headers, (
        f"GET {ECHO} without X-Trace-Id answers one anyway: set it only when the request has one"
    )


def test_echo_requires_a_user_agent(client: TestClient) -> None:
    del client.headers["user-agent"]  # the test client sends one unless told not to
    r = client.get(ECHO)
    assert r.status_code == 422 and "user-agent" in r.text.lower(), (
        f"GET {ECHO} without a User-Agent answered {r.status_code}, not 422 naming user-agent: "
        f"declare user_agent: Annotated[str, Header()] with no default ({ECHO_ROUTES})"
    )


# --- cookies: a login session ----------------------------------------------------------------


def test_settings_have_cookie_secure_off_by_default() -> None:
    settings = getattr(import_app_module("app.core.config"), "settings", None)
    assert getattr(settings, "COOKIE_SECURE", None) is False, (
        "settings.COOKIE_SECURE must exist and be False by default: add COOKIE_SECURE: bool = "
        "False to Settings in app/core/config.py"
    )


@pytest.mark.exercise("07.4")
def test_login_sets_an_httponly_lax_session_cookie(client: TestClient) -> None:
    user = sign_up(client)
    r = log_in(client, user["email"])
    assert r.status_code == 200 and body(r) == {"logged_in": True}, (
        f"POST {LOGIN} with the right email and password answered {why(r)}: login in "
        f'{SESSION_ROUTES} answers {{"logged_in": true}}'
    )
    cookie = session_cookie(r)
    assert cookie is not None, (
        f"POST {LOGIN} sets no session_id cookie: call response.set_cookie in login "
        f"({SESSION_ROUTES})"
    )
    attributes = {
        "HttpOnly": (bool(cookie["httponly"]), True),
        "SameSite": (cookie["samesite"].lower(), "lax"),
        "Max-Age": (cookie["max-age"], "3600"),
        "Path": (cookie["path"], "/"),
        "Secure (off by default)": (bool(cookie["secure"]), False),
    }
    wrong = [f"{name} is {got!r}" for name, (got, wanted) in attributes.items() if got != wanted]
    assert not wrong, (
        f"the session cookie's {', '.join(wrong)}: set httponly=True, samesite='lax', "
        f"max_age=3600, path='/', secure=settings.COOKIE_SECURE in login ({SESSION_ROUTES})"
    )


@pytest.mark.exercise("07.4")
@pytest.mark.until(
    20,
    "chapter 21: the settings are pydantic-settings and the route reads them through "
    "get_settings; test_21 overrides that dependency instead",
)
def test_login_cookie_is_secure_when_the_settings_say_so(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = sign_up(client)
    config = import_app_module("app.core.config")
    secure = dataclasses.replace(config.settings, COOKIE_SECURE=True)
    monkeypatch.setattr(config, "settings", secure)
    session = import_app_module("app.api.v1.routes.session")
    if hasattr(session, "settings"):
        monkeypatch.setattr(session, "settings", secure)
    cookie = session_cookie(log_in(client, user["email"]))
    assert cookie is not None and cookie["secure"], (
        f"with settings.COOKIE_SECURE = True the session cookie is not Secure: pass "
        f"secure=settings.COOKIE_SECURE to set_cookie in login ({SESSION_ROUTES})"
    )


def test_each_login_gets_a_new_random_token(client: TestClient) -> None:
    user = sign_up(client)
    tokens = {token_of(client, user["email"]) for _ in range(2)}
    assert len(tokens) == 2 and min(map(len, tokens)) >= 32, (
        f"two logins got the session tokens {sorted(tokens)}: make each one "
        f"secrets.token_urlsafe(32) in login ({SESSION_ROUTES})"
    )


@pytest.mark.parametrize("wrong", ["password", "email"])
def test_login_refuses_wrong_credentials_with_one_message(client: TestClient, wrong: str) -> None:
    user = sign_up(client)
    credentials = {"email": user["email"], "password": PASSWORD}
    credentials[wrong] = "nobody@example.com" if wrong == "email" else "not the password"
    r = client.post(LOGIN, json=credentials)
    assert r.status_code == 401 and "Invalid email or password" in r.text, (
        f"POST {LOGIN} with a wrong {wrong} answered {why(r)}: 401 'Invalid email or password' "
        f"for a wrong email and a wrong password alike ({SESSION_ROUTES})"
    )
    assert session_cookie(r) is None, f"a failed login sets a session cookie ({SESSION_ROUTES})"


def test_me_answers_the_logged_in_user_without_password(client: TestClient) -> None:
    user = sign_up(client)
    token = token_of(client, user["email"])
    r = client.get(ME, headers={"Cookie": f"session_id={token}"})
    assert r.status_code == 200 and body(r) == user, (
        f"GET {ME} with the session cookie answered {why(r)}: read session_id with Cookie() "
        f"and answer that user's UserOut ({SESSION_ROUTES})"
    )
    assert "password" not in r.text and PASSWORD not in r.text, (
        f"GET {ME} shows a password: answer UserOut ({SESSION_ROUTES})"
    )


@pytest.mark.parametrize("cookie", [None, "session_id=not-a-session"], ids=["none", "unknown"])
def test_me_without_a_valid_session_is_401(client: TestClient, cookie: str | None) -> None:
    r = client.get(ME, headers={"Cookie": cookie} if cookie else {})
    assert r.status_code == 401 and "Not logged in" in r.text, (
        f"GET {ME} with {'no' if cookie is None else 'an unknown'} session cookie answered "
        f"{why(r)}: answer 401 'Not logged in' ({SESSION_ROUTES})"
    )


def test_logout_ends_the_session_and_deletes_the_cookie(client: TestClient) -> None:
    user = sign_up(client)
    token = token_of(client, user["email"])
    r = client.post(LOGOUT, headers={"Cookie": f"session_id={token}"})
    assert r.status_code == 204 and not r.content, (
        f"POST {LOGOUT} answered {r.status_code} {r.text!r}: 204 with no body ({SESSION_ROUTES})"
    )
    cookie = session_cookie(r)
    assert cookie is not None and cookie["max-age"] == "0" and not cookie.value, (
        f"POST {LOGOUT} does not delete the cookie: call response.delete_cookie('session_id') "
        f"in logout ({SESSION_ROUTES})"
    )
    r = client.get(ME, headers={"Cookie": f"session_id={token}"})
    assert r.status_code == 401, (
        f"after logout, the old session cookie still works (GET {ME} answered {r.status_code}): "
        f"remove the session from SESSIONS in logout ({SESSION_ROUTES})"
    )


# --- the session store is bounded -------------------------------------------------------

MEMORY = "app/db/memory.py"


def session_store() -> Any:
    """SESSIONS of app/db/memory.py, failing in one line when it is a plain dict."""
    sessions = getattr(import_app_module("app.db.memory"), "SESSIONS", None)
    missing = [
        name for name in ("ttl_seconds", "max_sessions", "clock") if not hasattr(sessions, name)
    ]
    if missing:
        pytest.fail(
            f"SESSIONS is a {type(sessions).__name__} with no {', '.join(missing)}: a session "
            f"must end on the server after a while, and the store must not grow without "
            f"bound; make it a SessionStore ({MEMORY})"
        )
    return sessions


def test_a_session_expires_on_the_server(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = session_store()
    token = token_of(client, sign_up(client)["email"])
    later = time.monotonic() + sessions.ttl_seconds + 1
    monkeypatch.setattr(sessions, "clock", lambda: later)
    r = client.get(ME, headers={"Cookie": f"session_id={token}"})
    assert r.status_code == 401, (
        f"GET {ME} with a session cookie {sessions.ttl_seconds} s after the login answered "
        f"{why(r)}, not 401: SessionStore.get must drop an expired session ({MEMORY})"
    )


def test_the_session_store_keeps_the_newest_sessions_for_a_while() -> None:
    sessions = session_store()
    assert 0 < sessions.max_sessions <= 1_000_000 and 0 < sessions.ttl_seconds <= 86_400, (
        f"SESSIONS keeps {sessions.max_sessions} sessions for {sessions.ttl_seconds} s: bound "
        f"both, to at most a million sessions and a day ({MEMORY})"
    )
    now = [1000.0]
    store = type(sessions)(ttl_seconds=60, max_sessions=3, clock=lambda: now[0])
    for n in range(5):
        store[f"token-{n}"] = n
        now[0] += 1
    kept = [n for n in range(5) if store.get(f"token-{n}") is not None]
    assert kept == [2, 3, 4] and len(store) == 3, (
        f"a SessionStore(max_sessions=3) after 5 logins keeps the sessions {kept}, not "
        f"[2, 3, 4]: a login into a full store ends the oldest session ({MEMORY})"
    )
    store.pop("token-3", None)
    now[0] += 60
    left = [n for n in range(5) if store.get(f"token-{n}") is not None]
    assert left == [] and len(store) == 0, (
        f"a SessionStore(ttl_seconds=60), 60 s after the logins, still has the sessions "
        f"{left}: get() and len() must drop expired sessions ({MEMORY})"
    )
