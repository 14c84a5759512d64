"""Chapter 26: JSON log lines with request ids, a pure ASGI request log, Prometheus /metrics.

The request id comes from a safe X-Request-ID or is made new, goes back in the answer and is
in every log line written while the request runs. /metrics counts requests by method, route
TEMPLATE and status, sums every worker (prometheus-client's multiprocess mode, with real
`uvicorn --workers 2` in a slow test), and is guarded by METRICS_TOKEN. No log line, at DEBUG,
holds a password, a token, an Authorization header or SECRET_KEY.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import copy_context
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import bearer, body, import_app_module, unique, why
from fastapi.testclient import TestClient

from workbook.server import free_port

REQUEST_ID = "app/core/request_id.py"
LOGS = "app/core/logs.py"
METRICS = "app/core/metrics.py"
MIDDLEWARE = "RequestLogMiddleware (app/core/middleware.py)"
METRICS_ROUTE = "app/api/v1/routes/metrics.py"
PASSWORD = "observed-secret-26"
# What a generated id and a kept one look like: the safe charset, 1 to 64 characters.
SAFE = re.compile(r"[A-Za-z0-9._-]{1,64}")
# One sample of the text format: name{labels} value.
SAMPLE = re.compile(r"^(?P<name>[a-z_:]+)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def module(name: str) -> Any:
    return import_app_module(f"app.core.{name}")


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """The samples of one metric in Prometheus's text format, as (labels, value)."""
    found = []
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match and match["name"] == name:
            found.append((dict(LABEL.findall(match["labels"] or "")), float(match["value"])))
    return found


def requests_counted(text: str, **labels: str) -> float:
    """The sum of http_requests_total over the samples with these labels."""
    return sum(
        value
        for sample, value in samples(text, "http_requests_total")
        if all(sample.get(key) == wanted for key, wanted in labels.items())
    )


def metrics(client: Any, headers: dict[str, str] | None = None) -> str:
    r = client.get("/metrics", headers=headers or {})
    assert r.status_code == 200, (
        f"GET /metrics answered {why(r)}: serve metrics_text() ({METRICS}) from {METRICS_ROUTE}, "
        f"included in app/main.py"
    )
    return str(r.text)


class Captured(logging.Handler):
    """Every record, formatted by the app's JsonFormatter while it is logged (in the request)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []
        self.setFormatter(module("logs").JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("httpx", "httpcore")):  # the test's client, not the app
            return
        self.records.append(record)
        try:
            self.lines.append(self.format(record))
        except Exception as error:  # the formatter's own mistake, reported by the test
            self.lines.append(f"<the formatter raised {type(error).__name__}: {error}>")


@contextmanager
def captured_logs(level: int = logging.DEBUG) -> Iterator[Captured]:
    root, app_logger = logging.getLogger(), logging.getLogger("app")
    handler, levels = Captured(), (root.level, app_logger.level)
    root.addHandler(handler)
    root.setLevel(level)
    app_logger.setLevel(level)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        app_logger.setLevel(levels[1])


def as_json(line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError:
        pytest.fail(f"the log line {line[:120]!r} is no JSON: JsonFormatter.format ({LOGS})")
    assert isinstance(value, dict), f"the log line {line[:120]!r} is no JSON object ({LOGS})"
    return value


def scope_with(*headers: tuple[bytes, bytes]) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": "/health", "headers": list(headers)}


# --- exercise 26.1: the request id -----------------------------------------------------------


@pytest.mark.exercise("26.1")
def test_a_safe_request_id_from_the_client_is_kept_and_returned(client: TestClient) -> None:
    sent = f"req-{unique('id')}"[:64]
    r = client.get("/health", headers={"X-Request-ID": sent})
    assert r.headers.get("x-request-id") == sent, (
        f"GET /health with X-Request-ID {sent!r} answered X-Request-ID "
        f"{r.headers.get('x-request-id')!r}: keep a safe incoming id (request_id_from, "
        f"{REQUEST_ID}), and send it back ({MIDDLEWARE})"
    )


@pytest.mark.exercise("26.1")
def test_every_request_without_an_id_gets_a_new_one(client: TestClient) -> None:
    ids = [client.get("/health").headers.get("x-request-id") for _ in range(3)]
    assert all(ids), (
        f"GET /health answered without X-Request-ID: add it to the answer's first message in "
        f"{MIDDLEWARE}"
    )
    assert len(set(ids)) == 3, (
        f"three requests without X-Request-ID got the ids {ids}: make a new one for each, "
        f"str(uuid.uuid4()), in request_id_from ({REQUEST_ID})"
    )
    assert all(SAFE.fullmatch(i or "") and len(i or "") >= 16 for i in ids), (
        f"the ids made are {ids}: use str(uuid.uuid4()) in request_id_from ({REQUEST_ID})"
    )


BAD_IDS = {
    "a newline (a forged log line)": b'x\n{"level": "INFO", "message": "admin logged in"}',
    "a carriage return": b"abc\rdef",
    "a quote": b'abc"def',
    "a space": b"abc def",
    "65 characters": b"a" * 65,
    "10 000 characters": b"b" * 10_000,
    "a non-ASCII letter": "r\u00e9sum\u00e9".encode(),
    "empty": b"",
}


@pytest.mark.exercise("26.1")
@pytest.mark.parametrize("what", list(BAD_IDS))
def test_an_unsafe_request_id_is_replaced(what: str) -> None:
    request_id_from = module("request_id").request_id_from
    value = BAD_IDS[what]
    made = request_id_from(scope_with((b"x-request-id", value)))
    shown = value[:40]
    assert isinstance(made, str) and SAFE.fullmatch(made) and made.encode() != value, (
        f"request_id_from kept the X-Request-ID {shown!r}... ({what}) as {str(made)[:40]!r}: "
        f"keep only ids that SAFE_REQUEST_ID.fullmatch()es, make a new one for any other "
        f"({REQUEST_ID})"
    )
    again = request_id_from(scope_with((b"x-request-id", value)))
    assert again != made, (
        f"request_id_from answered {made!r} twice for an unsafe X-Request-ID ({what}): a "
        f"replaced id is new each time, str(uuid.uuid4()) ({REQUEST_ID})"
    )


@pytest.mark.exercise("26.1")
def test_an_unsafe_request_id_never_reaches_the_answer(client: TestClient) -> None:
    sent = "x" * 200
    r = client.get("/health", headers={"X-Request-ID": sent})
    answered = r.headers.get("x-request-id", "")
    assert answered and answered != sent and SAFE.fullmatch(answered), (
        f"GET /health with a 200-character X-Request-ID answered X-Request-ID "
        f"{answered[:70]!r}: bound the length, make a new id instead ({REQUEST_ID})"
    )


def test_the_request_id_is_in_every_log_line_of_the_request(client: TestClient) -> None:
    user = {"name": "Ida", "email": f"{unique('ida')}@example.com", "password": PASSWORD}
    with captured_logs(logging.INFO) as logs:
        r = client.post("/api/v1/users", json=user)
    assert r.status_code == 201, f"POST /api/v1/users answered {why(r)}"
    request_id = r.headers.get("x-request-id")
    lines = [as_json(line) for line in logs.lines]
    mine = [line for line in lines if line.get("logger") in ("app.requests", "app.tasks")]
    assert len(mine) >= 2, (
        f"a signup logged {[line.get('message') for line in lines]}: the welcome task's line "
        f"and one line of {MIDDLEWARE} were expected"
    )
    without = [line.get("message") for line in mine if line.get("request_id") != request_id]
    assert not without, (
        f"the lines {without} of a signup that answered X-Request-ID {request_id} do not carry "
        f'it as "request_id": set request_id_var in {MIDDLEWARE}, read it in {LOGS}'
    )


# --- exercise 26.3: the route template --------------------------------------------------------


@pytest.mark.exercise("26.3")
def test_requests_are_counted_by_route_template(client: TestClient) -> None:
    before = metrics(client)
    for item_id in (1, 2, 3):
        client.get(f"/api/v1/items/{item_id}")
    client.get("/api/v2/items/1")
    after = metrics(client)
    routes = {labels.get("route") for labels, _ in samples(after, "http_requests_total")}
    raw = sorted(str(route) for route in routes if re.search(r"/items/\d", str(route)))
    assert not raw, (
        f"/metrics labels requests with the paths {raw}: label them with the route's template "
        f'("/api/v1/items/{{item_id}}"), one series per route, not per id (route_template, '
        f"{METRICS})"
    )
    for prefix, count in (("/api/v1", 3), ("/api/v2", 1)):
        template = f"{prefix}/items/{{item_id}}"
        grew = requests_counted(after, route=template, method="GET", status="200")
        grew -= requests_counted(before, route=template, method="GET", status="200")
        assert grew == count, (
            f"{count} GETs of {prefix}/items/N added {grew:g} to http_requests_total"
            f'{{route="{template}"}}; the labels are {sorted(map(str, routes))[:8]}: the '
            f"route's path_format with its router's prefix (route_template, {METRICS})"
        )


@pytest.mark.exercise("26.3")
def test_unmatched_paths_share_one_label(client: TestClient) -> None:
    before = metrics(client)
    lost = unique("lost")
    client.get(f"/{lost}")
    client.get(f"/api/v1/{lost}/deeper")
    after = metrics(client)
    assert lost not in after, (
        f"/metrics names the path /{lost}, which no route matches: any client could add a "
        f'series per URL; count them all under route="<unmatched>" (UNMATCHED, {METRICS})'
    )
    grew = requests_counted(after, route="<unmatched>", status="404")
    grew -= requests_counted(before, route="<unmatched>", status="404")
    assert grew == 2, (
        f'two 404s of unknown paths added {grew:g} to http_requests_total{{route="<unmatched>"}}: '
        f"answer UNMATCHED without a route (route_template, {METRICS})"
    )


@pytest.mark.exercise("26.3")
@pytest.mark.parametrize(
    ("route_path", "path", "wanted"),
    [
        ("/items/{item_id}", "/api/v1/items/7", "/api/v1/items/{item_id}"),
        ("/items/{item_id}", "/api/v2/items/7", "/api/v2/items/{item_id}"),
        ("/orders/{order_id}/items", "/api/v1/orders/3/items", "/api/v1/orders/{order_id}/items"),
        ("/health", "/health", "/health"),
        ("/", "/", "/"),
    ],
    ids=["v1", "v2", "nested", "root route", "slash"],
)
def test_the_route_template_has_its_routers_prefix(route_path: str, path: str, wanted: str) -> None:
    from starlette.routing import Route

    route_template = module("metrics").route_template
    route = Route(route_path, endpoint=lambda request: None)
    got = route_template(route, path)
    assert got == wanted, (
        f"route_template(a route {route_path!r}, {path!r}) is {got!r}, not {wanted!r}: the "
        f"route's path_format after the part of the path before the segments it matched "
        f"({METRICS})"
    )


@pytest.mark.exercise("26.3")
def test_a_request_no_route_matched_is_unmatched() -> None:
    metrics_module = module("metrics")
    got = metrics_module.route_template(None, f"/{unique('nowhere')}/x")
    assert got == metrics_module.UNMATCHED, (
        f"route_template(None, a path) is {got!r}: UNMATCHED, one label for every path no "
        f"route matched ({METRICS})"
    )


def test_fastapis_own_routes_are_counted_under_their_paths(client: TestClient) -> None:
    before = requests_counted(metrics(client), route="/openapi.json", status="200")
    client.get("/openapi.json")
    after = requests_counted(metrics(client), route="/openapi.json", status="200")
    assert after - before == 1, (
        f"GET /openapi.json added {after - before:g} to http_requests_total"
        f'{{route="/openapi.json"}}: matched() finds the Starlette route whose endpoint '
        f"answered ({METRICS})"
    )


@pytest.mark.exercise("26.3")
def test_a_405_is_counted_under_its_route(client: TestClient) -> None:
    before = requests_counted(metrics(client), route="/health", method="DELETE", status="405")
    client.delete("/health")
    after = requests_counted(metrics(client), route="/health", method="DELETE", status="405")
    assert after - before == 1, (
        f'DELETE /health (405) added {after - before:g} to http_requests_total{{route="/health",'
        f'method="DELETE",status="405"}}: the router gives the route that matched the path '
        f"for a 405 too (route_template, {METRICS})"
    )


# --- exercise 26.2: the JSON formatter --------------------------------------------------------


def formatted(record: logging.LogRecord, request_id: str | None = None) -> dict[str, Any]:
    formatter = module("logs").JsonFormatter()
    var = module("request_id").request_id_var

    def run() -> str:
        if request_id is not None:
            var.set(request_id)
        return str(formatter.format(record))

    line = copy_context().run(run)
    assert "\n" not in line, (
        f"JsonFormatter.format wrote {line[:100]!r}, more than one line: json.dumps of one "
        f"dict escapes every newline ({LOGS})"
    )
    return as_json(line)


def record(msg: str, *args: Any, **extra: Any) -> logging.LogRecord:
    made = logging.getLogger("app.test").makeRecord(
        "app.test", logging.WARNING, __file__, 1, msg, args, None, extra=extra or None
    )
    return made


@pytest.mark.exercise("26.2")
def test_a_log_line_is_one_json_object_with_the_usual_fields() -> None:
    line = formatted(record("GET %s %d\nforged line", "/health", 200, route="/health", status=200))
    missing = [key for key in ("time", "level", "logger", "message") if key not in line]
    assert not missing, f"the JSON log line {line} has no {missing} ({LOGS})"
    assert line["message"] == "GET /health 200\nforged line", (
        f"the message is {line['message']!r}: record.getMessage() merges the arguments into "
        f"the message ({LOGS})"
    )
    assert (line["level"], line["logger"]) == ("WARNING", "app.test"), (
        f"level {line['level']!r} and logger {line['logger']!r}: record.levelname and "
        f"record.name ({LOGS})"
    )
    try:
        when = datetime.fromisoformat(str(line["time"]))
    except ValueError:
        pytest.fail(
            f"the time {line['time']!r} is not ISO 8601: datetime.fromtimestamp(...) ({LOGS})"
        )
    offset = when.utcoffset()
    assert offset is not None and offset.total_seconds() == 0, (
        f"the time {line['time']!r} is not in UTC with its zone: "
        f"datetime.fromtimestamp(record.created, UTC).isoformat() ({LOGS})"
    )
    assert (line.get("route"), line.get("status")) == ("/health", 200), (
        f"the line {line} lost the extras route and status: add each field of EXTRA_FIELDS "
        f"the record has ({LOGS})"
    )


@pytest.mark.exercise("26.2")
def test_a_log_line_carries_the_request_id_of_its_request() -> None:
    line = formatted(record("inside"), request_id="req-26-2")
    assert line.get("request_id") == "req-26-2", (
        f"a line logged while request_id_var is 'req-26-2' says {line}: add "
        f'"request_id": request_id_var.get() ({LOGS})'
    )
    outside = formatted(record("outside"))
    assert outside.get("request_id") in (None, ""), (
        f"a line logged outside any request says request_id {outside.get('request_id')!r} ({LOGS})"
    )


@pytest.mark.exercise("26.2")
def test_a_log_line_keeps_the_traceback() -> None:
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        failed = logging.getLogger("app.test").makeRecord(
            "app.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    line = formatted(failed)
    assert "ZeroDivisionError" in json.dumps(line), (
        f"logger.exception(...) gave the line {line}: add self.formatException(record.exc_info) "
        f"when the record has exc_info ({LOGS})"
    )


# --- the middleware and logging.json ----------------------------------------------------------


def test_the_request_log_is_a_pure_asgi_middleware(app: Any) -> None:
    from starlette.middleware.base import BaseHTTPMiddleware

    middleware = getattr(module("middleware"), "RequestLogMiddleware", None)
    assert middleware is not None, f"there is no {MIDDLEWARE}"
    classes = [entry.cls for entry in app.user_middleware]
    base = [getattr(c, "__name__", str(c)) for c in classes if c is BaseHTTPMiddleware]
    assert not base, (
        "app/main.py still adds a BaseHTTPMiddleware (@app.middleware('http')): register "
        f"{MIDDLEWARE} with app.add_middleware instead"
    )
    assert middleware in classes, f"app/main.py does not add {MIDDLEWARE} (app.add_middleware)"
    assert not issubclass(middleware, BaseHTTPMiddleware), (
        f"{MIDDLEWARE} subclasses BaseHTTPMiddleware: write __call__(scope, receive, send)"
    )


def test_a_page_of_another_origin_may_read_the_request_id(app: Any) -> None:
    exposed = [
        entry.kwargs.get("expose_headers") or []
        for entry in app.user_middleware
        if "CORS" in getattr(entry.cls, "__name__", "")
    ]
    assert exposed and any("X-Request-ID" in headers for headers in exposed), (
        f"the CORS middleware exposes {exposed}: add X-Request-ID to expose_headers in "
        f"app/main.py, so that a browser's script can quote it in a bug report"
    )


def test_the_log_line_names_the_route_and_no_query_string(client: TestClient) -> None:
    secret = unique("q-secret")
    with captured_logs(logging.INFO) as logs:
        r = client.get(f"/api/v1/items/2?access_token={secret}")
    lines = [as_json(line) for line in logs.lines]
    mine = [line for line in lines if line.get("logger") == "app.requests"]
    assert len(mine) == 1, f"GET /api/v1/items/2 logged {len(mine)} lines on app.requests"
    line = mine[0]
    assert secret not in json.dumps(lines), (
        f"a log line holds the query string ({line}): log scope['path'], never the URL "
        f"({MIDDLEWARE})"
    )
    wanted = {"method": "GET", "route": "/api/v1/items/{item_id}", "status": r.status_code}
    got = {key: line.get(key) for key in wanted}
    assert got == wanted, f"the request's line says {got}, not {wanted} ({MIDDLEWARE})"
    assert isinstance(line.get("duration_ms"), int | float), (
        f"the request's line has duration_ms {line.get('duration_ms')!r}: a number ({MIDDLEWARE})"
    )


def test_logging_json_writes_json_lines_without_uvicorns_access_log(app_dir: Path) -> None:
    config = json.loads((app_dir / "logging.json").read_text(encoding="utf-8"))
    factories = {f.get("()") for f in config.get("formatters", {}).values()}
    assert "app.core.logs.JsonFormatter" in factories, (
        'logging.json has no formatter {"()": "app.core.logs.JsonFormatter"}: uvicorn\'s '
        "--log-config builds it from there"
    )
    access = config.get("loggers", {}).get("uvicorn.access", {})
    level = logging.getLevelName(str(access.get("level", "NOTSET")))
    assert (
        access.get("handlers") == []
        and access.get("propagate") is False
        or (isinstance(level, int) and level > logging.INFO)
    ), (
        "logging.json lets uvicorn.access log at INFO: its lines hold the query string; set "
        '"uvicorn.access": {"level": "WARNING"} (app.requests logs each request instead)'
    )


def test_no_secret_in_any_log_line(client: TestClient) -> None:
    config = import_app_module("app.core.config")
    key = config.get_settings().SECRET_KEY.get_secret_value()  # type: ignore[attr-defined]
    email = f"{unique('sec')}@example.com"
    user = {"name": "Sam", "email": email, "password": PASSWORD}
    with captured_logs(logging.DEBUG) as logs:
        signup = client.post("/api/v1/users", json=user)
        login = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
        client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD + "x"})
        token = body(login).get("access_token", "") if login.status_code == 200 else ""
        client.get("/api/v1/users/me", headers=bearer(token))
        client.get(f"/api/v1/items?token={token}", headers={"Cookie": f"session={token}"})
    assert signup.status_code == 201 and token, (
        f"the signup answered {why(signup)}, the login {why(login)}"
    )
    secrets = {"the password": PASSWORD, "the token": token, "SECRET_KEY": key}
    secrets["the Authorization header"] = "Bearer "
    written = logs.lines + [f"{r.getMessage()} {r.__dict__}" for r in logs.records]
    for what, secret in secrets.items():
        leaks = [line for line in written if secret in line]
        assert not leaks, (
            f"{what} is in a log line: {leaks[0][:160]!r}: log no header, no query string, "
            f"no body, no password ({MIDDLEWARE}, {LOGS})"
        )


# --- /metrics -----------------------------------------------------------------------------


def test_metrics_speak_prometheus_and_stay_out_of_the_schema(client: TestClient) -> None:
    client.get("/health")
    r = client.get("/metrics")
    assert r.status_code == 200, f"GET /metrics answered {why(r)} ({METRICS_ROUTE})"
    assert r.headers.get("content-type", "").startswith("text/plain"), (
        f"GET /metrics is {r.headers.get('content-type')!r}: prometheus-client's "
        f"CONTENT_TYPE_LATEST ({METRICS_ROUTE})"
    )
    buckets = samples(r.text, "http_request_duration_seconds_bucket")
    assert any(labels.get("route") == "/health" for labels, _ in buckets), (
        f"/metrics has no http_request_duration_seconds histogram for /health ({METRICS})"
    )
    paths = client.get("/openapi.json").json().get("paths", {})
    assert "/metrics" not in paths, (
        f"/metrics is in /openapi.json: include_in_schema=False ({METRICS_ROUTE})"
    )


@pytest.fixture
def settings_with(app: Any) -> Iterator[Any]:
    config = import_app_module("app.core.config")

    def use(**changes: Any) -> None:
        changed = config.get_settings().model_copy(update=changes)  # type: ignore[attr-defined]
        app.dependency_overrides[config.get_settings] = lambda: changed  # type: ignore[attr-defined]

    yield use
    app.dependency_overrides.pop(config.get_settings, None)  # type: ignore[attr-defined]


def test_metrics_need_the_metrics_token_when_one_is_set(
    client: TestClient, settings_with: Any
) -> None:
    from pydantic import SecretStr

    token = unique("metrics-token")
    settings_with(METRICS_TOKEN=SecretStr(token))
    for what, headers in (
        ("no Authorization", {}),
        ("a wrong token", bearer(token + "x")),
        ("the token without Bearer", {"Authorization": token}),
    ):
        r = client.get("/metrics", headers=headers)
        assert r.status_code == 401, (
            f"GET /metrics with METRICS_TOKEN set and {what} answered {why(r)}: 401 "
            f"({METRICS_ROUTE})"
        )
        assert isinstance(body(r), dict) and "error" in body(r), (
            f"the 401 of /metrics is {body(r)!r}: the error envelope (UnauthorizedError)"
        )
    assert metrics(client, bearer(token)), "GET /metrics with the token answered nothing"


def test_metrics_are_not_served_in_production_without_a_token(
    client: TestClient, settings_with: Any
) -> None:
    settings_with(ENVIRONMENT="production")
    r = client.get("/metrics")
    assert r.status_code == 404, (
        f"GET /metrics in production without METRICS_TOKEN answered {why(r)}: 404, the "
        f"metrics are for the monitoring system only ({METRICS_ROUTE})"
    )


# --- several workers ----------------------------------------------------------------------


@pytest.mark.exercise("26.4")
def test_metrics_text_sums_the_files_of_every_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What two other workers wrote in PROMETHEUS_MULTIPROC_DIR, read by this process."""
    from prometheus_client.mmap_dict import MmapedDict, mmap_key

    labels = ["method", "route", "status"]
    for pid, value in ((90001, 3.0), (90002, 4.0)):
        key = mmap_key(
            "http_requests_total", "http_requests_total", labels, ["GET", "/sum", "200"], "help"
        )
        written = MmapedDict(str(tmp_path / f"counter_{pid}.db"))
        written.write_value(key, value, time.time())
        written.close()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    text = module("metrics").metrics_text().decode()
    total = requests_counted(text, route="/sum")
    assert total == 7, (
        f"two workers counted 3 and 4 requests of /sum, metrics_text() says {total:g}: with "
        f"PROMETHEUS_MULTIPROC_DIR set, read every worker's files with a MultiProcessCollector "
        f"on a new CollectorRegistry ({METRICS})"
    )


@pytest.mark.exercise("26.4")
def test_metrics_text_of_one_process_without_the_variable(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    client.get("/health")
    try:
        text = module("metrics").metrics_text().decode()
    except Exception as error:
        pytest.fail(
            f"metrics_text() without PROMETHEUS_MULTIPROC_DIR raised {type(error).__name__}: "
            f"{error}: one process, no folder: generate_latest(REGISTRY) ({METRICS})"
        )
    assert requests_counted(text, method="GET") >= 1, (
        f"metrics_text() without PROMETHEUS_MULTIPROC_DIR counts no request: the process's "
        f"own registry, REGISTRY ({METRICS})"
    )


def test_a_stopping_worker_removes_its_live_gauge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tmp_path / f"gauge_livesum_{os.getpid()}.db"
    mine.write_bytes(b"")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    module("metrics").stop_worker()
    assert not mine.exists(), (
        f"stop_worker() left {mine.name}: multiprocess.mark_process_dead(os.getpid()) "
        f"({METRICS}), called at shutdown (app/core/lifespan.py)"
    )


def _start_workers(app_dir: Path, folder: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "PYTHONUNBUFFERED": "1"}
    # The tables and the seed first, in one process: two workers starting on an empty
    # database would both create them.
    first = "from fastapi.testclient import TestClient\nfrom app.main import app\n"
    first += "with TestClient(app):\n    pass\n"
    subprocess.run([sys.executable, "-c", first], cwd=app_dir, env=env, check=True, timeout=60)
    for stale in folder.glob("*.db"):  # emptied before the server starts, as in production
        stale.unlink()
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--app-dir", str(app_dir)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    return subprocess.Popen(
        command,
        cwd=app_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def health_counted(url: str) -> float:
    r = httpx.get(f"{url}/metrics", headers={"Connection": "close"}, timeout=5)
    return requests_counted(r.text, route="/health", status="200")


@pytest.mark.slow
@pytest.mark.exercise("26.4")
def test_two_workers_count_together(app_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    port = free_port()
    server = _start_workers(app_dir, folder, port)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        sent = 0
        # A new connection for each request: the two workers take turns accepting them.
        while sent < 400 and (sent < 20 or len(list(folder.glob("counter_*.db"))) < 2):
            httpx.get(f"{url}/health", headers={"Connection": "close"}, timeout=5)
            sent += 1
        workers = len(list(folder.glob("counter_*.db")))
        assert workers == 2, (
            f"{sent} requests reached {workers} worker(s) of `uvicorn --workers 2`: each "
            f"worker writes its counters in PROMETHEUS_MULTIPROC_DIR ({METRICS})"
        )
        # A request is counted just after its answer is sent: the last may take a moment.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and health_counted(url) != sent:
            time.sleep(0.05)
        for _ in range(4):  # whichever worker answers /metrics
            counted = health_counted(url)
            assert counted == sent, (
                f"{sent} GET /health over two workers; /metrics counted {counted:g}: sum "
                f"every worker's files (metrics_text, {METRICS})"
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    left = sorted(path.name for path in folder.glob("gauge_livesum_*.db"))
    assert not left, (
        f"the stopped workers left {left}: call stop_worker() at shutdown "
        f"(app/core/lifespan.py, {METRICS})"
    )
    assert len(list(folder.glob("counter_*.db"))) == 2, (
        "the workers' counter files are gone: counts stay, only live gauges are removed"
    )
