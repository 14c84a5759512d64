"""Chapter 04: the logging and timing middleware, the pagination dependency, GET /api/v1/items.

The middleware wraps every request (404s and 422s included); the pagination
limits are declared in the dependency's signature, so FastAPI refuses bad
values before the route runs and documents the limits.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from conftest import body, raised
from fastapi.testclient import TestClient

ITEMS_URL = "/api/v1/items"
MIDDLEWARE = "log_requests (app/core/middleware.py)"
ITEMS_ROUTE = "list_items in app/api/v1/routes/items.py"
DEPENDENCY = "get_pagination (app/api/deps.py)"
# "GET /api/v1/items 200 0.8ms": method, path (no query string), status, milliseconds.
LOG_LINE = re.compile(r"(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) \d+\.\dms")
SEEDED = 25


def items_page(client: TestClient, **params: Any) -> dict[str, Any]:
    """GET /api/v1/items with these query parameters, checked to be a page."""
    query = "&".join(f"{key}={value}" for key, value in params.items())
    url = f"{ITEMS_URL}?{query}" if query else ITEMS_URL
    r = client.get(url)
    if r.history:
        pytest.fail(
            f"GET {url} was redirected to {r.url.path}: declare the route with "
            f'@router.get("") in app/api/v1/routes/items.py, not "/"'
        )
    assert r.status_code != 404, (
        f'GET {url} answered 404: create router = APIRouter(prefix="/items", ...) in '
        f"app/api/v1/routes/items.py and include it in api_router (app/api/v1/router.py)"
    )
    assert r.status_code == 200, (
        f"GET {url} answered {r.status_code}{raised()}: finish {ITEMS_ROUTE}"
    )
    answer = body(r)
    keys = {"page", "size", "total", "items"}
    assert isinstance(answer, dict) and keys <= set(answer), (
        f"GET {url} answered {str(answer)[:120]}: {ITEMS_ROUTE} must answer a dict with the "
        f"keys page, size, total and items"
    )
    return answer


def ids(answer: dict[str, Any]) -> list[Any]:
    return [item.get("id") if isinstance(item, dict) else item for item in answer["items"]]


# --- the middleware -------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/health", "/no-such-page"])
@pytest.mark.exercise("04.1")
def test_middleware_sets_x_process_time(client: TestClient, url: str) -> None:
    r = client.get(url)
    value = r.headers.get("x-process-time")
    assert value is not None, (
        f"GET {url} has no X-Process-Time header: set it in {MIDDLEWARE}, and register the "
        f'middleware in app/main.py with app.middleware("http")(log_requests)'
    )
    assert re.fullmatch(r"\d+\.\d+", value), (
        f"X-Process-Time is {value!r}: write the seconds as a decimal, "
        f'f"{{duration:.6f}}", in {MIDDLEWARE}'
    )
    assert float(value) < 10, (
        f"X-Process-Time is {value}: send the duration of the request in seconds (the "
        f"perf_counter() after call_next minus the one before) in {MIDDLEWARE}"
    )


@pytest.mark.exercise("04.1")
def test_middleware_logs_one_line_per_request(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="app.requests"):
        client.get("/health?probe=1")
        client.get("/no-such-page")
    records = [record for record in caplog.records if record.name == "app.requests"]
    assert records, (
        f'nothing was logged on the logger "app.requests": log one line per request in '
        f'{MIDDLEWARE} with logging.getLogger("app.requests"), not print()'
    )
    lines = [record.getMessage() for record in records]
    assert len(records) == 2, (
        f"{len(records)} log lines for 2 requests ({lines}): log exactly one line per "
        f"request, after call_next, in {MIDDLEWARE}"
    )
    assert all(record.levelno == logging.INFO for record in records), (
        f"the request lines are logged at {records[0].levelname}: use logger.info in {MIDDLEWARE}"
    )
    expected = [("GET", "/health", "200"), ("GET", "/no-such-page", "404")]
    for line, (method, path, status) in zip(lines, expected, strict=True):
        match = LOG_LINE.fullmatch(line)
        assert match, (
            f'the middleware logged {line!r}: log "{{method}} {{path}} {{status}} '
            f'{{milliseconds:.1f}}ms", e.g. "GET /api/v1/items 200 0.8ms", in {MIDDLEWARE}'
        )
        assert match["path"] == path, (
            f"the middleware logged the path {match['path']!r} for {path}: log "
            f"request.url.path, without the query string, in {MIDDLEWARE}"
        )
        assert (match["method"], match["status"]) == (method, status), (
            f"the middleware logged {line!r} for {method} {path} answered {status}: log "
            f"request.method and response.status_code in {MIDDLEWARE}"
        )


# --- the items listing ------------------------------------------------------------------


@pytest.mark.exercise("04.3")
def test_items_answer_the_first_page_by_default(client: TestClient) -> None:
    answer = items_page(client)
    assert (answer["page"], answer["size"]) == (1, 10), (
        f"GET {ITEMS_URL} answered page {answer['page']}, size {answer['size']}: the defaults "
        f"of {DEPENDENCY} are page 1 and size 10"
    )
    assert ids(answer) == list(range(1, 11)), (
        f"GET {ITEMS_URL} answered the items {ids(answer)}: the first page holds the items 1 "
        f"to 10 (app/db/memory.py holds 25)"
    )
    total = answer["total"]
    assert isinstance(total, int) and total >= SEEDED, (
        f"GET {ITEMS_URL} says total {total!r}: total is the number of all items, "
        f"len(ITEMS), not of the page ({ITEMS_ROUTE})"
    )


@pytest.mark.parametrize(
    ("page", "size", "expected"),
    [(2, 5, [6, 7, 8, 9, 10]), (1, 3, [1, 2, 3]), (5, 5, [21, 22, 23, 24, 25])],
    ids=["page 2 of 5", "page 1 of 3", "page 5 of 5"],
)
@pytest.mark.exercise("04.3")
def test_items_pages_follow_page_and_size(
    client: TestClient, page: int, size: int, expected: list[int]
) -> None:
    answer = items_page(client, page=page, size=size)
    assert (answer["page"], answer["size"]) == (page, size), (
        f"GET {ITEMS_URL}?page={page}&size={size} answered page {answer['page']}, size "
        f"{answer['size']}: answer the page and size asked for ({ITEMS_ROUTE})"
    )
    assert ids(answer) == expected, (
        f"GET {ITEMS_URL}?page={page}&size={size} answered the items {ids(answer)}, not "
        f"{expected}: slice ITEMS from pagination.offset, pagination.size items ({ITEMS_ROUTE})"
    )


@pytest.mark.exercise("04.3")
def test_items_page_past_the_end_is_empty(client: TestClient) -> None:
    answer = items_page(client, page=1000, size=100)
    assert answer["items"] == [], (
        f"GET {ITEMS_URL}?page=1000&size=100 answered {len(answer['items'])} items: a page "
        f"past the end is an empty list ({ITEMS_ROUTE})"
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [("page=0", "page"), ("page=-1", "page"), ("size=0", "size"), ("size=101", "size")],
    ids=["page=0", "page=-1", "size=0", "size=101"],
)
@pytest.mark.exercise("04.2")
def test_items_refuse_pagination_out_of_bounds(client: TestClient, query: str, field: str) -> None:
    url = f"{ITEMS_URL}?{query}"
    r = client.get(url)
    limit = "Query(ge=1)" if field == "page" else "Query(ge=1, le=100)"
    assert r.status_code == 422, (
        f"GET {url} answered {r.status_code}, not 422: declare {field} as "
        f"Annotated[int, {limit}] in {DEPENDENCY}"
    )
    assert field in r.text, (
        f"GET {url} was refused without naming {field}: declare the limit on {field} in "
        f"{DEPENDENCY}"
    )


@pytest.mark.parametrize("page", [1_000_001, 2**63], ids=["page=1000001", "page=2**63"])
@pytest.mark.exercise("04.2")
def test_items_refuse_a_page_past_the_last(client: TestClient, page: int) -> None:
    # Python's int has no limit, a database's has: from chapter 12, the offset of
    # ?page=2**63 overflows the driver's 64-bit integer, a 500 unless refused here.
    url = f"{ITEMS_URL}?page={page}&size=100"
    r = client.get(url)
    assert r.status_code == 422 and "page" in r.text, (
        f"GET {url} answered {r.status_code}, not a 422 naming page: bound page with "
        f"Query(ge=1, le=MAX_PAGE) in {DEPENDENCY}"
    )


@pytest.mark.exercise("04.2")
def test_items_accept_the_last_page(client: TestClient) -> None:
    r = client.get(f"{ITEMS_URL}?page=1000000&size=100")
    assert r.status_code == 200, (
        f"GET {ITEMS_URL}?page=1000000&size=100 answered {r.status_code}{raised()}: the last page, "
        f"MAX_PAGE = 1_000_000, is allowed (le, not lt) in {DEPENDENCY}, and past the end "
        f"it is an empty page"
    )


@pytest.mark.exercise("04.2")
def test_items_accept_the_largest_size(client: TestClient) -> None:
    r = client.get(f"{ITEMS_URL}?size=100")
    assert r.status_code != 422, (
        f"GET {ITEMS_URL}?size=100 answered 422: 100 is allowed, size goes up to and including "
        f"100 (le=100) in {DEPENDENCY}"
    )
    assert len(items_page(client, size=100)["items"]) >= SEEDED, (
        f"GET {ITEMS_URL}?size=100 answered fewer than {SEEDED} items: a page of 100 holds them "
        f"all ({ITEMS_ROUTE})"
    )


@pytest.mark.exercise("04.2")
def test_docs_show_the_pagination_limits(client: TestClient) -> None:
    spec = body(client.get("/openapi.json"))
    operation = (
        spec.get("paths", {}).get(ITEMS_URL, {}).get("get") if isinstance(spec, dict) else None
    )
    if operation is None:
        pytest.fail(f"/openapi.json lists no GET {ITEMS_URL}: see the items lines above")
    assert "items" in operation.get("tags", []), (
        f"GET {ITEMS_URL} has the tags {operation.get('tags', [])}: create the router with "
        f'tags=["items"] in app/api/v1/routes/items.py'
    )
    schemas = {
        p["name"]: p.get("schema", {})
        for p in operation.get("parameters", [])
        if p.get("in") == "query"
    }
    expected = {
        "page": {"minimum": 1, "default": 1},
        "size": {"minimum": 1, "maximum": 100, "default": 10},
    }
    for name, limits in expected.items():
        documented = {key: schemas.get(name, {}).get(key) for key in limits}
        assert documented == limits, (
            f"the docs give {name} {documented}, not {limits}: declare the limits in the "
            f"signature of {DEPENDENCY} with Query(...), and use PaginationDep in {ITEMS_ROUTE}"
        )
