"""Chapter 05: the users router: HTTP methods, typed path and query parameters, route order, 404s.

Bodies are plain dicts in this chapter; chapter 06 gives them models and a
password. The tests that create users send a password too, so that they hold
in later chapters, except the one that pins the body of chapter 05.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import body, import_app_module, raised
from fastapi import APIRouter
from fastapi.testclient import TestClient

USERS_URL = "/api/v1/users"
USERS_FILE = "app/api/v1/routes/users.py"
PASSWORD = "a-long-secret-1"


def unique_email(name: str) -> str:
    """An address no other test (nor an earlier run) has registered."""
    return f"{name}.{uuid.uuid4().hex[:8]}@example.com"


def not_the_route(r: httpx.Response, route: str) -> str | None:
    """Why an answer did not come from the route at all (405, 500), or None."""
    where = f"{r.request.method} {r.url.path}"
    if r.status_code == 405:
        return f"{where} answered 405: add {route} for {r.request.method} in {USERS_FILE}"
    if r.status_code == 500:
        return (
            f"{where} answered 500{raised() or ', the route raised an exception'}: "
            f"finish {route} (and "
            f"get_user_or_404) in {USERS_FILE}"
        )
    return None


def from_the_route(r: httpx.Response, route: str) -> httpx.Response:
    """``r``, after failing with the likely cause if the route did not answer it."""
    why = not_the_route(r, route)
    if why:
        pytest.fail(why)
    return r


def new_user(client: TestClient, name: str) -> dict[str, Any]:
    """Create a user through the API, with a password as later chapters require."""
    payload = {"name": name, "email": unique_email(name.split()[0].lower()), "password": PASSWORD}
    r = from_the_route(client.post(USERS_URL, json=payload), "create_user")
    assert r.status_code == 201, (
        f"POST {USERS_URL} answered {r.status_code}: create_user in {USERS_FILE} answers 201 "
        f"(status_code=status.HTTP_201_CREATED) with the new user"
    )
    user = body(r)
    assert isinstance(user, dict) and isinstance(user.get("id"), int), (
        f"POST {USERS_URL} answered {user!r}: create_user in {USERS_FILE} answers the stored "
        f"user, with its new id"
    )
    return user


def get_user(client: TestClient, user_id: int) -> httpx.Response:
    return client.get(f"{USERS_URL}/{user_id}")


# --- the router ---------------------------------------------------------------------------


def test_users_module_has_a_router_with_prefix_and_tag(app_dir: Path) -> None:
    router = getattr(import_app_module("app.api.v1.routes.users"), "router", None)
    assert isinstance(router, APIRouter), f"{USERS_FILE} must define `router = APIRouter(...)`"
    assert router.prefix == "/users", (
        f"the users router has the prefix {router.prefix!r}: create it with "
        f'APIRouter(prefix="/users", ...) in {USERS_FILE}'
    )
    assert "users" in router.tags, (
        f'the users router has the tags {router.tags}: give it tags=["users"] in {USERS_FILE}'
    )


def test_users_are_listed(client: TestClient, as_admin: None) -> None:
    r = client.get(USERS_URL)
    if r.history:
        pytest.fail(
            f"GET {USERS_URL} was redirected to {r.url.path}: declare the listing with "
            f'@router.get("") in {USERS_FILE}, not "/"'
        )
    assert r.status_code == 200, (
        f"GET {USERS_URL} answered {r.status_code}: include users.router in api_router "
        f"(app/api/v1/router.py) and finish list_users in {USERS_FILE}"
    )
    users = body(r)
    names = (
        {user.get("name") for user in users if isinstance(user, dict)}
        if isinstance(users, list)
        else set()
    )
    assert {"Alice", "Bob"} <= names, (
        f"GET {USERS_URL} answered {str(users)[:100]}: list_users in {USERS_FILE} answers the "
        f"list of users, Alice and Bob included (USERS in app/db/memory.py)"
    )


# --- path parameters and 404s ---------------------------------------------------------------


@pytest.mark.exercise("05.2")
def test_user_is_read_by_id(client: TestClient, as_admin: None) -> None:
    r = from_the_route(get_user(client, 1), "read_user")
    assert r.status_code == 200, (
        f"GET {USERS_URL}/1 answered {r.status_code}: read_user in {USERS_FILE} answers the "
        f"user found by get_user_or_404"
    )
    user = body(r)
    found = (
        {key: user.get(key) for key in ("id", "name", "email")} if isinstance(user, dict) else user
    )
    assert found == {"id": 1, "name": "Alice", "email": "alice@example.com"}, (
        f"GET {USERS_URL}/1 answered {found!r}: answer the user with id 1, Alice ({USERS_FILE})"
    )


@pytest.mark.parametrize(
    "method",
    [
        pytest.param("GET", marks=pytest.mark.exercise("05.2")),
        pytest.param("PUT", marks=pytest.mark.exercise("05.2")),
        pytest.param("DELETE", marks=pytest.mark.exercise("05.4")),
    ],
)
def test_unknown_user_answers_404(client: TestClient, method: str, as_admin: None) -> None:
    url = f"{USERS_URL}/999999"
    payload = {"name": "Nobody", "email": "nobody@example.com"} if method == "PUT" else None
    route = {"GET": "read_user", "PUT": "replace_user", "DELETE": "delete_user"}[method]
    r = from_the_route(client.request(method, url, json=payload), route)
    assert r.status_code == 404, (
        f"{method} {url} answered {r.status_code}, not 404: get_user_or_404 in {USERS_FILE} "
        f"raises HTTPException(status.HTTP_404_NOT_FOUND, ...) for an unknown id"
    )
    assert "User 999999 not found" in r.text, (
        f"{method} {url} answered {r.text[:100]}: the 404 of get_user_or_404 in {USERS_FILE} "
        f'says "User 999999 not found"'
    )


@pytest.mark.parametrize("user_id", ["0", "-1", "abc"])
@pytest.mark.exercise("05.1")
def test_user_id_must_be_a_positive_int(client: TestClient, user_id: str, as_admin: None) -> None:
    url = f"{USERS_URL}/{user_id}"
    r = client.get(url)
    assert r.status_code == 422, (
        f"GET {url} answered {r.status_code}, not 422: type the path parameter as "
        f"UserId = Annotated[int, Path(gt=0)] in {USERS_FILE}, and use it in read_user"
    )
    assert "user_id" in r.text, f"GET {url} was refused without naming user_id: {r.text[:100]}"


@pytest.mark.parametrize("user_id", [2**31, 2**63], ids=["2**31", "2**63"])
@pytest.mark.exercise("05.1")
def test_user_id_has_an_upper_bound(client: TestClient, user_id: int, as_admin: None) -> None:
    # Past 2**31 - 1 PostgreSQL's INTEGER overflows, past 2**63 - 1 SQLite's: from
    # chapter 12 such an id reaches the database driver and fails with a 500.
    url = f"{USERS_URL}/{user_id}"
    r = client.get(url)
    assert r.status_code == 422 and "user_id" in r.text, (
        f"GET {url} answered {r.status_code}, not a 422 naming user_id: bound the id with "
        f"Path(gt=0, le=MAX_ID), MAX_ID = 2**31 - 1, in UserId ({USERS_FILE})"
    )


# --- query parameters and route order --------------------------------------------------


def search(client: TestClient, params: dict[str, Any]) -> httpx.Response:
    return client.get(f"{USERS_URL}/search", params=params)


@pytest.mark.exercise("05.3")
def test_search_is_not_taken_for_a_user_id(client: TestClient, as_admin: None) -> None:
    r = search(client, {"q": "alice"})
    assert not (r.status_code == 422 and "user_id" in r.text), (
        f"GET {USERS_URL}/search was routed to read_user (user_id='search'): add "
        f'@router.get("/search") in {USERS_FILE}, declared before @router.get("/{{user_id}}")'
    )
    assert r.status_code == 200, (
        f"GET {USERS_URL}/search?q=alice answered {r.status_code} {r.text[:120]}: finish "
        f"search_users in {USERS_FILE}"
    )


@pytest.mark.exercise("05.3")
def test_search_finds_users_by_name_ignoring_case(client: TestClient, as_admin: None) -> None:
    r = search(client, {"q": "LIC"})
    answer = body(r)
    assert r.status_code == 200 and isinstance(answer, dict), (
        f"GET {USERS_URL}/search?q=LIC answered {r.status_code} {r.text[:120]}: finish "
        f"search_users in {USERS_FILE}"
    )
    assert answer.get("q") == "LIC", (
        f"GET {USERS_URL}/search?q=LIC answered q={answer.get('q')!r}: echo q as given "
        f"({USERS_FILE})"
    )
    results = answer.get("results")
    names = (
        [u.get("name") for u in results if isinstance(u, dict)] if isinstance(results, list) else []
    )
    assert "Alice" in names and "Bob" not in names, (
        f"GET {USERS_URL}/search?q=LIC found {names}: answer in results the users whose name "
        f"contains q anywhere, not only at the start, ignoring case (q.casefold() in "
        f"name.casefold()) in {USERS_FILE}"
    )


@pytest.mark.parametrize(
    ("tags", "expected"),
    [(["python", "backend"], ["python", "backend"]), ([], [])],
    ids=["tags=python&tags=backend", "no tags"],
)
@pytest.mark.exercise("05.3")
def test_search_takes_repeated_tags(
    client: TestClient, tags: list[str], expected: list[str], as_admin: None
) -> None:
    r = search(client, {"q": "bob", "tags": tags})
    answer = body(r)
    if r.status_code == 422 and "tags" in r.text:
        pytest.fail(
            f"GET {r.url.path}?{r.url.query.decode()} was refused for tags: give tags its "
            f"default, Query(default_factory=list), in {USERS_FILE}"
        )
    assert r.status_code == 200 and isinstance(answer, dict), (
        f"GET {r.url.path}?{r.url.query.decode()} answered {r.status_code} {r.text[:120]}: "
        f"finish search_users in {USERS_FILE}"
    )
    assert answer.get("tags") == expected, (
        f"with ?{r.url.query.decode()}, search_users answered tags={answer.get('tags')!r}, not "
        f"{expected}: declare tags: Annotated[list[str], Query(default_factory=list)] in "
        f"{USERS_FILE}"
    )


@pytest.mark.parametrize(
    "params",
    [{"q": "al"}, {"q": "x" * 51}, {}],
    ids=["2 characters", "51 characters", "no q"],
)
@pytest.mark.exercise("05.3")
def test_search_query_is_validated(
    client: TestClient, params: dict[str, str], as_admin: None
) -> None:
    r = search(client, params)
    assert r.status_code == 422, (
        f"GET {USERS_URL}/search with {params or 'no q'} answered {r.status_code}, not 422: "
        f"declare q: Annotated[str, Query(min_length=3, max_length=50)] (required) in "
        f"{USERS_FILE}"
    )
    assert '"q"' in r.text, (
        f"GET {USERS_URL}/search with {params or 'no q'} was refused without naming q: add "
        f"search_users before read_user in {USERS_FILE} (see the lines above)"
    )


# --- methods and status codes ------------------------------------------------------------


@pytest.mark.until(5, "chapter 06 requires a password")
def test_user_is_created(client: TestClient) -> None:
    email = unique_email("carol")
    r = from_the_route(
        client.post(USERS_URL, json={"name": "Carol", "email": email}), "create_user"
    )
    assert r.status_code == 201, (
        f"POST {USERS_URL} answered {r.status_code}, not 201: give create_user "
        f"status_code=status.HTTP_201_CREATED in {USERS_FILE}"
    )
    user = body(r)
    new_id = user.get("id") if isinstance(user, dict) else None
    assert user == {"id": new_id, "name": "Carol", "email": email} and new_id not in (None, 1, 2), (
        f"POST {USERS_URL} answered {user!r}: answer the stored user, with a new id from "
        f"next_user_id() ({USERS_FILE})"
    )
    again = from_the_route(get_user(client, new_id), "read_user")
    assert again.status_code == 200 and body(again) == user, (
        f"GET {USERS_URL}/{new_id} after creating it answered {again.status_code} "
        f"{body(again)!r}: store the new user in USERS ({USERS_FILE})"
    )


def test_created_user_keeps_no_password(client: TestClient) -> None:
    user = new_user(client, "Dora Secret")
    again = from_the_route(get_user(client, user["id"]), "read_user")
    for shown in (user, body(again)):
        assert "password" not in str(shown) and PASSWORD not in str(shown), (
            f"the created user is answered as {shown!r}: keep only name and email from the "
            f"body in create_user ({USERS_FILE}); a password is never sent back"
        )


def test_user_is_replaced(client: TestClient, as_admin: None) -> None:
    user = new_user(client, "Dave Draft")
    url = f"{USERS_URL}/{user['id']}"
    replacement = {"name": "Dave Final", "email": unique_email("dave")}
    r = from_the_route(client.put(url, json=replacement), "replace_user")
    assert r.status_code == 200, (
        f"PUT {url} answered {r.status_code}: replace_user in {USERS_FILE} answers 200 with "
        f"the replaced user"
    )
    answer = body(r)
    expected = {"id": user["id"], **replacement}
    shown = {key: answer.get(key) for key in expected} if isinstance(answer, dict) else answer
    assert shown == expected, f"PUT {url} answered {shown!r}, not {expected!r} ({USERS_FILE})"
    again = body(from_the_route(get_user(client, user["id"]), "read_user"))
    stored = {key: again.get(key) for key in expected} if isinstance(again, dict) else again
    assert stored == expected, (
        f"GET {url} after PUT answered {stored!r}: replace_user must store the new name and "
        f"email in USERS ({USERS_FILE})"
    )


@pytest.mark.exercise("05.4")
def test_user_is_deleted(client: TestClient, as_admin: None) -> None:
    user = new_user(client, "Erin Gone")
    url = f"{USERS_URL}/{user['id']}"
    r = from_the_route(client.delete(url), "delete_user")
    assert r.status_code == 204, (
        f"DELETE {url} answered {r.status_code}, not 204: give delete_user "
        f"status_code=status.HTTP_204_NO_CONTENT in {USERS_FILE}"
    )
    assert r.content == b"", (
        f"DELETE {url} answered the body {r.text[:60]!r}: a 204 has no body; delete_user "
        f"returns None ({USERS_FILE})"
    )
    gone = from_the_route(get_user(client, user["id"]), "read_user")
    assert gone.status_code == 404, (
        f"GET {url} after DELETE answered {gone.status_code}, not 404: delete_user must remove "
        f"the user from USERS ({USERS_FILE})"
    )


def test_docs_list_the_user_operations(client: TestClient) -> None:
    spec = body(client.get("/openapi.json"))
    paths = spec.get("paths", {}) if isinstance(spec, dict) else {}
    expected = {
        USERS_URL: {"get", "post"},
        f"{USERS_URL}/search": {"get"},
        f"{USERS_URL}/{{user_id}}": {"get", "put", "delete"},
    }
    for path, methods in expected.items():
        missing = methods - set(paths.get(path, {}))
        assert not missing, (
            f"/openapi.json has no {', '.join(sorted(m.upper() for m in missing))} {path}: "
            f"add the route in {USERS_FILE}"
        )
        for method in methods:
            tags = paths[path][method].get("tags", [])
            assert "users" in tags, (
                f"{method.upper()} {path} has the tags {tags} in /openapi.json: create the router "
                f'with tags=["users"] in {USERS_FILE}'
            )
