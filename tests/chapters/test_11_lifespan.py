"""Chapter 11: a lifespan that creates the tables, records starts and stops, and
opens and releases the resources every request shares."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import body, import_app_module, own_engine_for, sync_engine_of
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, inspect, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from workbook.server import LiveServer

LIFESPAN = "app/core/lifespan.py"
SYSTEM = "app/api/v1/routes/system.py"
ALICE = {"email": "alice@example.com", "password": "alice-secret-1"}


def modules() -> tuple[Any, Any]:
    """app.db.session (engine) and app.models (ServiceEvent)."""
    return import_app_module("app.db.session"), import_app_module("app.models")


def kinds(newest: int) -> list[str]:
    """The kinds of the newest events in the database, newest first."""
    _, models = modules()
    event_model = models.ServiceEvent
    newest_first = select(event_model.kind).order_by(event_model.id.desc()).limit(newest)
    return list(read_table(lambda db: db.scalars(newest_first).all()))


def event_count() -> int:
    _, models = modules()
    return len(read_table(lambda db: db.scalars(select(models.ServiceEvent.id)).all()))


def read_table(query: Callable[[Any], Sequence[Any]]) -> Sequence[Any]:
    """What query(db) reads, through the tests' own engine on the check's database."""
    try:
        with Session(own_engine_for(os.environ["DATABASE_URL"])) as db:
            return query(db)
    except DBAPIError as error:
        pytest.fail(
            f"reading service_events failed ({error.orig}): create the tables with "
            f"Base.metadata.create_all(engine) before the yield in {LIFESPAN}, and pass "
            f"lifespan=lifespan to the app in app/main.py"
        )


@contextmanager
def own_lifespan(app: FastAPI, running: TestClient) -> Iterator[TestClient]:
    """Start and stop the app's lifespan with a TestClient of this test's own.

    The shared `client` of the check (`running`) keeps running meanwhile: what this
    lifespan puts on app.state is put back as it was afterwards, for the tests that
    come later. Each TestClient runs its own event loop, and an async engine's
    connections belong to the loop that opened them (asyncpg refuses any other):
    the pool's idle connections are closed in the shared client's loop first.
    """
    engine = getattr(import_app_module("app.db.session"), "engine", None)
    if isinstance(engine, AsyncEngine):
        running.portal.call(engine.dispose)
    saved = dict(app.state._state)
    client = TestClient(app, raise_server_exceptions=False)
    try:
        lifespan_half("startup", client.__enter__)
        try:
            yield client
        finally:
            lifespan_half("shutdown", lambda: client.__exit__(None, None, None))
    finally:
        app.state._state.clear()
        app.state._state.update(saved)


def lifespan_half(half: str, run: Callable[[], object]) -> None:
    try:
        run()
    except Exception as error:  # the learner's lifespan: any error is theirs to see
        pytest.fail(f"the lifespan raised at {half}: {type(error).__name__}: {error} ({LIFESPAN})")


def logged_in(client: TestClient | httpx.Client) -> dict[str, str]:
    """The headers of a logged-in request to the system routes: up to chapter 14 the
    session cookie (kept by the client), from chapter 15 on a bearer token."""
    r = client.post("/api/v1/session/login", json=ALICE)
    assert r.status_code == 200, f"POST /api/v1/session/login answered {r.status_code}"
    form = {"username": ALICE["email"], "password": ALICE["password"]}
    token = client.post("/api/v1/auth/token", data=form)
    if token.status_code == 200:  # chapter 15's token route
        return {"Authorization": f"Bearer {token.json().get('access_token')}"}
    return {}


# --- the model ---------------------------------------------------------------------------


def test_base_knows_the_service_events_table(app_dir: Path) -> None:
    base = import_app_module("app.db.base")
    _, models = modules()
    table = base.Base.metadata.tables.get("service_events")
    assert table is not None and getattr(models, "ServiceEvent", None) is not None, (
        "Base.metadata has no table service_events: define ServiceEvent(Base) in "
        "app/models/event.py and import it in app/models/__init__.py"
    )
    assert {"id", "kind", "at"} <= set(table.columns.keys()), (
        f"service_events has the columns {sorted(table.columns.keys())}: it needs id, kind, at "
        f"(app/models/event.py)"
    )


# --- startup -----------------------------------------------------------------------------


@pytest.mark.until(
    26,
    "chapter 27: Alembic makes the tables, and a table dropped behind its back is not made "
    "again (test_27's fresh database gets its tables at startup)",
)
def test_startup_creates_the_tables_and_records_a_startup(
    app: FastAPI, own_engine: Engine, client: TestClient
) -> None:
    _, models = modules()
    models.ServiceEvent.__table__.drop(own_engine, checkfirst=True)
    with own_lifespan(app, client):
        created = inspect(own_engine).has_table("service_events")
        assert created, (
            f"the table service_events does not exist while the app runs: call "
            f"Base.metadata.create_all(engine) before the yield in {LIFESPAN}, and pass "
            f"lifespan=lifespan to the app in app/main.py"
        )
        assert kinds(5) == ["startup"], (
            f"after one start the database holds the events {kinds(5)}, not ['startup']: "
            f'record_event("startup", ...) at startup, in {LIFESPAN}'
        )


def test_no_on_event_handlers_are_left(app: FastAPI, app_dir: Path) -> None:
    handlers = [*app.router.on_startup, *app.router.on_shutdown]
    assert not handlers, (
        f"the app still has on_event handlers {[h.__name__ for h in handlers]}: FastAPI skips "
        f"them when a lifespan is given; move their code into lifespan ({LIFESPAN})"
    )
    decorated = re.compile(r"^\s*@\w+\.on_event\(|on_startup=|on_shutdown=", re.MULTILINE)
    for path in sorted((app_dir / "app").rglob("*.py")):
        found = decorated.search(path.read_text())
        assert found is None, (
            f"{path.relative_to(app_dir)} uses {found.group().strip() if found else ''}, "
            f"deprecated: put startup and shutdown code in lifespan ({LIFESPAN})"
        )


def test_app_state_holds_the_resources_while_the_app_runs(app: FastAPI, client: TestClient) -> None:
    before = datetime.now(UTC)
    with own_lifespan(app, client):
        started_at = getattr(app.state, "started_at", None)
        http_client = getattr(app.state, "http_client", None)
        assert isinstance(started_at, datetime) and started_at.tzinfo is not None, (
            f"app.state.started_at is {started_at!r}: set it to datetime.now(UTC) at startup "
            f"in {LIFESPAN}"
        )
        assert before - timedelta(seconds=1) <= started_at <= datetime.now(UTC), (
            f"app.state.started_at is {started_at}, not the time of this start: set it in "
            f"lifespan, not at import ({LIFESPAN})"
        )
        assert isinstance(http_client, httpx.AsyncClient) and not http_client.is_closed, (
            f"app.state.http_client is {http_client!r}: open one httpx.AsyncClient at startup "
            f"in {LIFESPAN}"
        )


# --- shutdown ----------------------------------------------------------------------------


@pytest.mark.exercise("11.1")
def test_shutdown_records_a_shutdown_and_closes_the_http_client(
    app: FastAPI, client: TestClient
) -> None:
    with own_lifespan(app, client):
        http_client = getattr(app.state, "http_client", None)
    assert kinds(2) == ["shutdown", "startup"], (
        f"after a start and a stop the newest events are {kinds(2)}, not ['shutdown', "
        f"'startup']: record_event(\"shutdown\", ...) after the yield in {LIFESPAN}"
    )
    assert isinstance(http_client, httpx.AsyncClient) and http_client.is_closed, (
        f"app.state.http_client is still open after shutdown: await "
        f"app.state.http_client.aclose() after the yield in {LIFESPAN}"
    )


@pytest.mark.exercise("11.1")
def test_shutdown_disposes_of_the_engine(app: FastAPI, client: TestClient) -> None:
    session, _ = modules()
    disposed: list[object] = []

    def on_dispose(engine: object) -> None:
        disposed.append(engine)

    engine = sync_engine_of(session.engine)
    try:
        with own_lifespan(app, client):
            # Listening from here: own_lifespan itself may dispose of the pool at its start.
            event.listen(engine, "engine_disposed", on_dispose)
    finally:
        if event.contains(engine, "engine_disposed", on_dispose):
            event.remove(engine, "engine_disposed", on_dispose)
    assert disposed, (
        f"the engine was not disposed of at shutdown: call engine.dispose() after the yield "
        f"in {LIFESPAN}"
    )
    assert session.engine.pool.checkedout() == 0, (
        f"{session.engine.pool.checkedout()} database connections are still checked out after "
        f"shutdown: close every session you open in {LIFESPAN}"
    )


@pytest.mark.exercise("11.1")
def test_a_restart_keeps_the_earlier_events(app: FastAPI, client: TestClient) -> None:
    before = event_count()
    with own_lifespan(app, client):
        pass
    with own_lifespan(app, client):
        pass
    added = event_count() - before
    assert added == 4 and kinds(4) == ["shutdown", "startup", "shutdown", "startup"], (
        f"two starts and stops added {added} events, newest first {kinds(4)}: each start and "
        f"each stop adds one row, and create_all never drops a table ({LIFESPAN})"
    )


# --- the system routes -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/system/status", "/api/v1/system/events"])
def test_system_routes_need_a_login(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 401 and "Not logged in" in r.text, (
        f"GET {path} without a session answered {r.status_code} {body(r)!r}, not 401 Not "
        f"logged in: declare it on the system router, which depends on get_current_user ({SYSTEM})"
    )


@pytest.mark.exercise("11.2")
def test_status_answers_when_the_app_started(client: TestClient, app: FastAPI) -> None:
    r = client.get("/api/v1/system/status", headers=logged_in(client))
    assert r.status_code == 200, (
        f"GET /api/v1/system/status answered {r.status_code} {body(r)!r}: "
        f"fix read_status in {SYSTEM}"
    )
    answer = body(r)
    assert isinstance(answer, dict) and set(answer) == {"started_at", "uptime_seconds"}, (
        f"GET /api/v1/system/status answered {answer!r}: answer started_at and uptime_seconds "
        f"(SystemStatus) in {SYSTEM}"
    )
    started_at = datetime.fromisoformat(answer["started_at"])
    assert started_at == app.state.started_at, (
        f"GET /api/v1/system/status answered started_at {answer['started_at']}, not "
        f"app.state.started_at ({app.state.started_at.isoformat()}): read it from "
        f"request.app.state in read_status ({SYSTEM})"
    )
    expected = (datetime.now(UTC) - started_at).total_seconds()
    assert 0 <= answer["uptime_seconds"] <= expected + 1, (
        f"uptime_seconds is {answer['uptime_seconds']}, not the seconds since started_at "
        f"(about {expected:.1f}): compute datetime.now(UTC) - started_at in read_status ({SYSTEM})"
    )


def test_events_answer_the_newest_twenty_first(client: TestClient) -> None:
    _, models = modules()
    start = datetime(2020, 1, 1, tzinfo=UTC)
    seeds = [
        models.ServiceEvent(kind=("startup", "shutdown")[n % 2], at=start + timedelta(hours=n))
        for n in range(24)  # more events than the route answers
    ]

    def seed(db: Any) -> Sequence[Any]:
        db.add_all(seeds)
        db.commit()
        newest = select(models.ServiceEvent).order_by(models.ServiceEvent.id.desc()).limit(20)
        return [(row.kind, row.at) for row in db.scalars(newest)]

    expected = read_table(seed)
    r = client.get("/api/v1/system/events", headers=logged_in(client))
    assert r.status_code == 200, (
        f"GET /api/v1/system/events answered {r.status_code} {body(r)!r}: "
        f"fix read_events in {SYSTEM}"
    )
    answer = body(r)
    found = (
        [(e.get("kind"), datetime.fromisoformat(e.get("at", ""))) for e in answer]
        if isinstance(answer, list) and all(isinstance(e, dict) and "at" in e for e in answer)
        else answer
    )
    assert found == expected, (
        f"GET /api/v1/system/events answered {answer!r:.200}: answer the 20 newest events, "
        f'newest first, as [{{"kind", "at"}}] with at in UTC, in read_events ({SYSTEM})'
    )


@pytest.mark.slow
def test_uvicorn_runs_the_lifespan_at_start_and_at_stop(app_dir: Path) -> None:
    server = LiveServer(app_dir)
    with server, httpx.Client(base_url=server.url) as browser:
        r = browser.get("/api/v1/system/status", headers=logged_in(browser))
    errors = [line for line in server.log().splitlines() if "Error" in line]
    assert r.status_code == 200, (
        f"GET /api/v1/system/status under uvicorn answered {r.status_code} {body(r)!r}: "
        f"the lifespan must set app.state.started_at ({LIFESPAN})"
    )
    # The server is stopped (SIGTERM, as by Ctrl+C or an orchestrator): shutdown has run.
    assert kinds(2) == ["shutdown", "startup"], (
        f"after a start and a stop under uvicorn the newest events are {kinds(2)}, not "
        f"['shutdown', 'startup']: record the shutdown after the yield in {LIFESPAN} "
        f"{'; the server logged: ' + errors[-1] if errors else ''}"
    )
