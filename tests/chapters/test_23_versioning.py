"""Chapter 23: /api/v2 next to a deprecated /api/v1, one OpenAPI document, a v1 client replayed.

The recorded session (tests/chapters/data/v1_session.json, written by `python -m
workbook.v1_session record` against checkpoint 22) is what a v1 client saw before version 2
existed; the replay must see the same answers, and the deprecation headers besides.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import bearer, body, import_app_module, unique, why
from fastapi.testclient import TestClient

from workbook import v1_session

V1 = "/api/v1"
V2 = "/api/v2"
MIDDLEWARE = "app/core/deprecation.py"
V2_ITEMS = "app/api/v2/routes/items.py"
V2_SCHEMAS = "app/schemas/item_v2.py"
RECORDING = Path(__file__).parent / "data" / "v1_session.json"
PASSWORD = "versions-secret-12"


def settings() -> Any:
    return import_app_module("app.core.config").settings  # type: ignore[attr-defined]


def writer(client: Any) -> dict[str, str]:
    """A token of a new user, with a user's scopes (items:write), from the app's own JWTs."""
    user = {"name": "Vera", "email": f"{unique('ver')}@example.com", "password": PASSWORD}
    r = client.post(f"{V1}/users", json=user)
    assert r.status_code == 201, f"POST {V1}/users answered {why(r)}"
    token = import_app_module("app.core.jwt_tokens").create_access_token(  # type: ignore[attr-defined]
        r.json()["id"], ["items:write", "users:write"]
    )
    return bearer(token)


def v2_item(client: Any, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    item = {"title": unique("lamp"), "price": 3.5, **fields}
    r = client.post(f"{V2}/items", json=item, headers=headers)
    assert r.status_code == 201, (
        f"POST {V2}/items with a title answered {why(r)}: the v2 routes of {V2_ITEMS}, "
        f"included by app/api/v2/router.py under {V2} in app/main.py"
    )
    return dict(r.json())


# --- exercise 23.1: the deprecation headers ------------------------------------------------


def deprecation_of(r: Any, what: str) -> tuple[str, str, str]:
    names = ("deprecation", "sunset", "link")
    missing = [name.title() for name in names if name not in r.headers]
    assert not missing, (
        f"{what} answered {r.status_code} without {', '.join(missing)}: every answer under "
        f"{V1}, errors included, carries them (DeprecationMiddleware in {MIDDLEWARE}, added "
        f"in app/main.py)"
    )
    return r.headers["deprecation"], r.headers["sunset"], r.headers["link"]


@pytest.mark.exercise("23.1")
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", f"{V1}/items", 200),
        ("GET", f"{V1}/items/2147483000", 404),
        ("GET", f"{V1}/items/lamp", 422),
        ("GET", f"{V1}/users/me", 401),
        ("GET", f"{V1}/no-such-route", 404),
    ],
)
def test_every_v1_answer_says_it_is_deprecated(
    client: TestClient, method: str, path: str, status: int
) -> None:
    r = client.request(method, path)
    assert r.status_code == status, f"{method} {path} answered {why(r)}, not {status}"
    deprecation_of(r, f"{method} {path}")


@pytest.mark.exercise("23.1")
def test_the_deprecation_headers_say_the_dates_of_the_settings(client: TestClient) -> None:
    deprecation, sunset, _ = deprecation_of(client.get(f"{V1}/items"), f"GET {V1}/items")
    since = settings().V1_DEPRECATED_AT
    assert deprecation == f"@{int(since.timestamp())}", (
        f"Deprecation is {deprecation!r}: RFC 9745 wants '@' and the Unix seconds of "
        f"V1_DEPRECATED_AT (@{int(since.timestamp())}), in {MIDDLEWARE}"
    )
    assert re.fullmatch(
        r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT", sunset
    ), (
        f"Sunset is {sunset!r}: RFC 8594 wants an HTTP-date ('Fri, 01 Jan 2027 00:00:00 GMT', "
        f"email.utils.format_datetime(..., usegmt=True)), not ISO 8601, in {MIDDLEWARE}"
    )
    assert parsedate_to_datetime(sunset) == settings().V1_SUNSET, (
        f"Sunset is {sunset!r}, V1_SUNSET is {settings().V1_SUNSET}: send the setting's date "
        f"({MIDDLEWARE})"
    )


@pytest.mark.exercise("23.1")
def test_the_link_names_the_same_path_in_v2(client: TestClient) -> None:
    _, _, link = deprecation_of(client.get(f"{V1}/items/7"), f"GET {V1}/items/7")
    assert link == f'<{V2}/items/7>; rel="successor-version"', (
        f"Link is {link!r}: the successor of {V1}/items/7 is <{V2}/items/7>, with "
        f'rel="successor-version" ({MIDDLEWARE})'
    )
    _, _, odd = deprecation_of(client.get(f"{V1}/items/a>b"), f"GET {V1}/items/a>b")
    assert ">b" not in odd.split(";")[0][:-1], (
        f"Link is {odd!r} for the path {V1}/items/a>b: percent-encode the path (urllib.parse."
        f'quote(..., safe="/")), or a ">" of the path ends the link ({MIDDLEWARE})'
    )


@pytest.mark.exercise("23.1")
def test_v2_and_the_rest_of_the_app_are_not_deprecated(client: TestClient) -> None:
    for path in (f"{V2}/items", "/health", "/", "/api/v10"):
        r = client.get(path)
        assert "deprecation" not in r.headers and "sunset" not in r.headers, (
            f"GET {path} says Deprecation or Sunset: only {V1} and the paths under {V1}/ are "
            f"deprecated ({MIDDLEWARE}: compare the path with the prefix and the prefix + '/')"
        )


# --- exercise 23.2: PATCH in v2 --------------------------------------------------------------


@pytest.mark.exercise("23.2")
def test_a_v2_patch_of_the_title_renames_the_item(client: TestClient) -> None:
    headers = writer(client)
    item = v2_item(client, headers)
    new_title = unique("desk lamp")
    r = client.patch(f"{V2}/items/{item['id']}", json={"title": new_title}, headers=headers)
    assert r.status_code == 200, (
        f"PATCH {V2}/items/{{id}} with a title answered {why(r)} (ItemV2Update.to_service, "
        f"{V2_SCHEMAS})"
    )
    assert body(r).get("title") == new_title, (
        f"PATCH {V2}/items/{{id}} with a title answered {body(r)!r}: the title did not change; "
        f"to_service must hand `title` over as the service's `name` ({V2_SCHEMAS})"
    )
    v1 = body(client.get(f"{V1}/items/{item['id']}"))
    assert v1.get("name") == new_title, (
        f"after the v2 rename, GET {V1}/items/{{id}} says {v1!r}: both versions read one table "
        f"through one service ({V2_SCHEMAS})"
    )


@pytest.mark.exercise("23.2")
def test_a_v2_patch_of_the_price_keeps_the_title(client: TestClient) -> None:
    headers = writer(client)
    item = v2_item(client, headers, tags=["kept"])
    r = client.patch(f"{V2}/items/{item['id']}", json={"price": 9.75}, headers=headers)
    assert r.status_code == 200, (
        f"PATCH {V2}/items/{{id}} with only a price answered {why(r)}: to_service hands the "
        f"service only the fields the client sent (model_dump(exclude_unset=True)), "
        f"{V2_SCHEMAS}"
    )
    changed = body(r)
    assert changed.get("price") == 9.75 and changed.get("title") == item["title"], (
        f"PATCH {V2}/items/{{id}} with only a price answered {changed!r}: the price changes, "
        f"the title stays {item['title']!r} ({V2_SCHEMAS})"
    )
    assert changed.get("tags") == ["kept"], (
        f"PATCH {V2}/items/{{id}} with only a price answered {changed!r}: the tags stay "
        f"(only the fields sent change, {V2_SCHEMAS})"
    )


# --- exercise 23.3: the v2 listing ---------------------------------------------------------


@pytest.mark.exercise("23.3")
def test_the_v2_listing_answers_the_page_envelope(client: TestClient) -> None:
    headers = writer(client)
    tag = unique("v2tag")
    made = [v2_item(client, headers, tags=[tag]) for _ in range(3)]
    r = client.get(f"{V2}/items", params={"tag": tag, "size": 2, "page": 1})
    assert r.status_code == 200, f"GET {V2}/items answered {why(r)} ({V2_ITEMS})"
    page = body(r)
    assert isinstance(page, dict) and set(page) == {"items", "total", "page", "size", "pages"}, (
        f"GET {V2}/items answered {page!r}: a Page[ItemV2Out] (items, total, page, size, "
        f"pages; app/schemas/page.py) from list_items_v2 in {V2_ITEMS}"
    )
    assert page["total"] == 3, (
        f"GET {V2}/items?tag=...&size=2 says total {page['total']} for 3 matching items: "
        f"total counts every item that passes the filters, not this page (items.page "
        f"returns it) ({V2_ITEMS})"
    )
    assert page["pages"] == 2 and page["page"] == 1 and page["size"] == 2, (
        f"GET {V2}/items says pages {page['pages']}, page {page['page']}, size {page['size']} "
        f"for 3 items, 2 a page: pages is page_count(total, size), 2 ({V2_ITEMS})"
    )
    assert [item["id"] for item in page["items"]] == [made[0]["id"], made[1]["id"]], (
        f"GET {V2}/items?size=2 gave {page['items']!r}: the first two items of the tag, "
        f"in id order ({V2_ITEMS})"
    )
    assert all("title" in item and "name" not in item for item in page["items"]), (
        f"GET {V2}/items lists {page['items'][:1]!r}: v2 items say title, never name "
        f"(ItemV2Out.of, {V2_SCHEMAS})"
    )
    empty = body(client.get(f"{V2}/items", params={"tag": unique("none")}))
    assert isinstance(empty, dict) and empty.get("total") == 0 and empty.get("pages") == 0, (
        f"GET {V2}/items of a tag no item has answered {empty!r}: total 0, pages 0 ({V2_ITEMS})"
    )


def test_a_v2_patch_refuses_null_and_a_v1_field(client: TestClient) -> None:
    headers = writer(client)
    item = v2_item(client, headers)
    for patch in ({"title": None}, {"title": "   "}, {"price": -1}):
        r = client.patch(f"{V2}/items/{item['id']}", json=patch, headers=headers)
        assert r.status_code == 422, (
            f"PATCH {V2}/items/{{id}} with {patch} answered {why(r)}, not 422 ({V2_SCHEMAS})"
        )


# --- the two versions side by side -----------------------------------------------------------


def test_v2_creates_with_title_and_v1_still_says_name(client: TestClient) -> None:
    headers = writer(client)
    item = v2_item(client, headers, tags=["both"])
    assert set(item) == {"id", "title", "price", "tags"}, (
        f"POST {V2}/items answered {item!r}: id, title, price, tags (ItemV2Out, {V2_SCHEMAS})"
    )
    r = client.get(f"{V1}/items/{item['id']}")
    v1 = body(r)
    assert r.status_code == 200 and v1.get("name") == item["title"] and "title" not in v1, (
        f"GET {V1}/items/{{id}} of an item made in v2 answered {why(r)}: v1 keeps its contract "
        f"(name, never title): the rename lives in {V2_SCHEMAS}, not in app/schemas/item.py"
    )
    r = client.post(f"{V2}/items", json={"name": "Old field", "price": 1}, headers=headers)
    assert r.status_code == 422, (
        f"POST {V2}/items with name instead of title answered {why(r)}: v2 asks for title "
        f"({V2_SCHEMAS})"
    )
    r = client.post(f"{V1}/items", json={"title": "New field", "price": 1}, headers=headers)
    assert r.status_code == 422, (
        f"POST {V1}/items with title instead of name answered {why(r)}: v1 asks for name, as "
        f"before chapter 23"
    )


def test_v2_items_read_delete_and_export(client: TestClient) -> None:
    headers = writer(client)
    item = v2_item(client, headers)
    r = client.get(f"{V2}/items/{item['id']}")
    assert r.status_code == 200 and body(r) == item, f"GET {V2}/items/{{id}} answered {why(r)}"
    r = client.get(f"{V2}/items/export.csv")
    assert r.status_code == 200 and r.text.startswith("id,title,price,tags"), (
        f"GET {V2}/items/export.csv answered {why(r)}: a CSV whose header says title"
    )
    r = client.delete(f"{V2}/items/{item['id']}")
    assert r.status_code == 401, f"DELETE {V2}/items/{{id}} without a token answered {why(r)}"
    r = client.delete(f"{V2}/items/{item['id']}", headers=headers)
    assert r.status_code == 204, f"DELETE {V2}/items/{{id}} answered {why(r)}"
    r = client.get(f"{V2}/items/{item['id']}")
    assert r.status_code == 404 and "deprecation" not in r.headers, (
        f"GET {V2}/items/{{id}} of a deleted item answered {why(r)}"
    )


def test_unchanged_domains_answer_the_same_in_both_versions(client: TestClient) -> None:
    headers = writer(client)
    for path in ("/users/me", "/orders/limits", "/health"):
        one = client.get(f"{V1}{path}", headers=headers)
        two = client.get(f"{V2}{path}", headers=headers)
        assert two.status_code == one.status_code == 200 and body(two) == body(one), (
            f"GET {V2}{path} answered {why(two)}, {V1}{path} {why(one)}: unchanged domains are "
            f"mounted in both versions (app/api/v2/router.py includes v1's route modules)"
        )


def test_one_openapi_document_with_v1_deprecated(client: TestClient) -> None:
    spec = body(client.get("/openapi.json"))
    paths = spec.get("paths", {}) if isinstance(spec, dict) else {}
    for path in (f"{V1}/items", f"{V2}/items", f"{V2}/orders", f"{V2}/users/me"):
        assert path in paths, f"/openapi.json has no {path}: include both routers in app/main.py"
    for path, methods in paths.items():
        for method, operation in methods.items():
            deprecated = operation.get("deprecated", False)
            tags = operation.get("tags", [])
            if path.startswith(f"{V1}/"):
                assert deprecated is True and "v2" not in tags, (
                    f"{method.upper()} {path} in /openapi.json: deprecated {deprecated}, tags "
                    f"{tags}: include the v1 router with deprecated=True, its tags as they were"
                )
            if path.startswith(f"{V2}/"):
                assert not deprecated and tags[:1] == ["v2"], (
                    f"{method.upper()} {path} in /openapi.json: deprecated {deprecated}, tags "
                    f"{tags}: include the v2 router with tags=['v2'], not deprecated"
                )
    item_out = spec["paths"][f"{V2}/items/{{item_id}}"]["get"]["responses"]["200"]
    assert "ItemV2Out" in json.dumps(item_out), (
        f"GET {V2}/items/{{item_id}} is documented as {item_out}: ItemV2Out (return annotation)"
    )
    docs = client.get("/docs")
    assert docs.status_code == 200 and "cdn.jsdelivr" not in docs.text, (
        f"GET /docs answered {why(docs)}: FastAPIOffline serves the docs' scripts itself"
    )


def test_the_v1_dates_are_settings_bounded_and_ordered() -> None:
    config = import_app_module("app.core.config")
    s = config.Settings(V1_DEPRECATED_AT="2026-03-01T00:00:00Z", V1_SUNSET="2026-09-01T12:00:00Z")  # type: ignore[attr-defined]
    assert s.V1_SUNSET == datetime(2026, 9, 1, 12, tzinfo=UTC), (
        f"V1_SUNSET='2026-09-01T12:00:00Z' gave {s.V1_SUNSET!r}: a field of Settings "
        f"(app/core/config.py), read from the environment"
    )
    for wrong in ("1999-12-31T00:00:00Z", "2027-01-01T00:00:00", "soon"):
        with pytest.raises(ValueError):
            config.Settings(V1_SUNSET=wrong)  # type: ignore[attr-defined]
    later = config.Settings(
        V1_DEPRECATED_AT="2027-06-01T00:00:00Z", V1_SUNSET="2027-01-01T00:00:00Z"
    )  # type: ignore[attr-defined]
    problems = config.startup_problems(later)  # type: ignore[attr-defined]
    assert any("V1_SUNSET" in p for p in problems), (
        f"a sunset before the deprecation starts with no problem ({problems}): "
        f"startup_problems in app/core/config.py refuses it"
    )


def test_a_nul_in_the_login_form_is_a_422_in_both_versions(client: TestClient) -> None:
    for version in (V1, V2):
        form = {"username": "nul\x00@example.com", "password": "whatever-1"}
        r = client.post(f"{version}/auth/token", data=form)
        assert r.status_code == 422, (
            f"POST {version}/auth/token with a NUL in the username answered {why(r)}: "
            f"PostgreSQL cannot hold a NUL; username is a NoNulStr (app/schemas/token.py)"
        )


# --- the recorded v1 client ----------------------------------------------------------------


def test_a_recorded_v1_client_gets_the_same_answers(client: TestClient) -> None:
    recording = json.loads(RECORDING.read_text(encoding="utf-8"))
    values: dict[str, Any] = {"email": f"{unique('rec')}@example.com", "tag": unique("rec")}
    for number, entry in enumerate(recording["steps"], start=1):
        step, expected = entry["step"], entry["answer"]
        response = v1_session.run_step(client, step, values)
        got = v1_session.answer_of(response, values)
        where = (
            f"step {number} of {RECORDING.name} ({step['name']}: {step['method']} {step['path']})"
        )
        assert got == expected, (
            f"{where} answered {json.dumps(got)[:300]}, checkpoint 22 answered "
            f"{json.dumps(expected)[:300]}: version 1 must not change"
        )
        deprecation_of(response, where)
