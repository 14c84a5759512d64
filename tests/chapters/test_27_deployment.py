"""Chapter 27: Alembic migrations instead of create_all, a production server configuration,
container files, liveness and readiness, and a real start and graceful stop."""

from __future__ import annotations

import configparser
import os
import re
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import body, import_app_module, said, stored_value, unique, why
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from workbook import postgres

MIGRATION = "migrations/versions/0002_orders_listing_index.py"
READINESS = "app/db/readiness.py"
GUNICORN = "gunicorn.conf.py"
READY = "/health/ready"
GOOD_KEY = "c2VjcmV0LWtleS1mb3ItdGhlLXByb2R1Y3Rpb24tdGVzdA-x7Q"


# --- helpers ------------------------------------------------------------------------------


def sync_engine(url: str) -> Engine:
    """A synchronous engine of the tests' own on a database URL (pysqlite, psycopg)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return create_engine(parsed.set(drivername="sqlite"))
    return create_engine(parsed.set(drivername="postgresql+psycopg"))


def alembic(app_dir: Path, engine: Engine, verb: str, revision: str) -> None:
    """`alembic upgrade|downgrade REVISION` on the engine, through the workspace's env.py."""
    from alembic import command
    from alembic.config import Config

    config = Config(app_dir / "alembic.ini")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        try:
            getattr(command, verb)(config, revision)
        except Exception as error:  # the learner's migration: any error is theirs to see
            pytest.fail(
                f"alembic {verb} {revision} raised {type(error).__name__}: "
                f"{' '.join(str(error).split())[:200]} ({MIGRATION}, migrations/env.py)"
            )


def drift(engine: Engine) -> list[Any]:
    """What autogenerate would write: the differences between the models and the database."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    base = import_app_module("app.db.base")
    import_app_module("app.models")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, base.Base.metadata))


def order_indexes(engine: Engine) -> dict[str, list[str]]:
    return {
        str(index["name"]): [str(c) for c in index["column_names"]]
        for index in inspect(engine).get_indexes("orders")
    }


def revision_of(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def postgres_server() -> str:
    return os.environ.get(postgres.SERVER_VARIABLE) or postgres.DEFAULT_SERVER


@contextmanager
def fresh(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own on the backend, with a sync engine; dropped after."""
    if backend == "postgresql":
        reason = postgres.unreachable(postgres_server())
        if reason:
            pytest.skip(f"{reason}: the PostgreSQL half of the round trip needs a server")
        urls: AbstractContextManager[str] = postgres.fresh_database(postgres_server())
    else:
        urls = nullcontext(f"sqlite:///{tmp_path / f'{secrets.token_hex(4)}.db'}")
    with urls as url:
        engine = sync_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def round_trip(app_dir: Path, engine: Engine) -> None:
    """upgrade head, downgrade to 0001, downgrade base, upgrade head: each step checked."""
    alembic(app_dir, engine, "upgrade", "head")
    assert revision_of(engine) == "0002", (
        f"after alembic upgrade head the database is at {revision_of(engine)!r}, not 0002: "
        f"0002 revises 0001 ({MIGRATION})"
    )
    found = drift(engine)
    assert not found, (
        f"after upgrade head autogenerate still finds {found[:3]}: the migrations must make "
        f"exactly the models' schema ({MIGRATION}, app/models/order.py)"
    )
    alembic(app_dir, engine, "downgrade", "0001")
    indexes = order_indexes(engine)
    assert indexes == {"ix_orders_user_id": ["user_id"]}, (
        f"after downgrade to 0001 the orders table has the indexes {indexes}, not 0001's "
        f"{{'ix_orders_user_id': ['user_id']}}: downgrade() must undo upgrade() ({MIGRATION})"
    )
    alembic(app_dir, engine, "downgrade", "base")
    left = sorted(set(inspect(engine).get_table_names()) - {"alembic_version"})
    assert not left, f"after downgrade base the tables {left} are left (0001's downgrade)"
    alembic(app_dir, engine, "upgrade", "head")
    found = drift(engine)
    assert not found and revision_of(engine) == "0002", (
        f"upgrade head after a downgrade to base finds {found[:3]} at {revision_of(engine)!r}: "
        f"downgrade() must leave what upgrade() can build on again ({MIGRATION})"
    )


# --- Alembic's files ------------------------------------------------------------------------


def test_alembic_ini_names_the_scripts_and_no_database(app_dir: Path) -> None:
    path = app_dir / "alembic.ini"
    assert path.is_file(), "no alembic.ini in the workspace: write it (step 1)"
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(path, encoding="utf-8")
    assert ini.has_section("alembic") and "migrations" in ini.get(
        "alembic", "script_location", fallback=""
    ), "alembic.ini's [alembic] must say script_location = %(here)s/migrations"
    url = ini.get("alembic", "sqlalchemy.url", fallback="").strip()
    assert not url, (
        "alembic.ini holds sqlalchemy.url: the URL (and its password) comes from the app's "
        "settings in migrations/env.py, never from a file that is committed"
    )


def test_env_py_takes_the_url_from_the_settings_in_batch_mode(app_dir: Path) -> None:
    path = app_dir / "migrations" / "env.py"
    assert path.is_file(), "no migrations/env.py in the workspace: write it (step 1)"
    source = path.read_text(encoding="utf-8")
    assert "render_as_batch=True" in source, (
        "migrations/env.py must pass render_as_batch=True to context.configure: SQLite "
        "alters most of a table only by copying it (batch mode)"
    )
    assert "get_settings" in source or "settings" in source, (
        "migrations/env.py must read DATABASE_URL from the app's settings (app/core/config.py)"
    )


def test_the_migrations_are_one_chain_0001_then_0002(app_dir: Path) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(Config(app_dir / "alembic.ini"))
    heads = scripts.get_heads()
    assert heads == ["0002"], f"the migrations' heads are {heads}, not ['0002'] (migrations/)"
    second = scripts.get_revision("0002")
    assert second is not None and second.down_revision == "0001", (
        f"0002 revises {getattr(second, 'down_revision', None)!r}, not 0001 ({MIGRATION})"
    )


# --- upgrade, downgrade, upgrade; no drift --------------------------------------------------


@pytest.mark.exercise("27.1")
def test_migrations_round_trip_on_sqlite(app_dir: Path, tmp_path: Path) -> None:
    with fresh("sqlite", tmp_path) as engine:
        round_trip(app_dir, engine)


@pytest.mark.slow
@pytest.mark.exercise("27.1")
def test_migrations_round_trip_on_postgresql(app_dir: Path, tmp_path: Path) -> None:
    with fresh("postgresql", tmp_path) as engine:
        round_trip(app_dir, engine)


@pytest.mark.exercise("27.1")
def test_the_started_app_is_at_head_with_no_drift(client: TestClient, own_engine: Engine) -> None:
    r = client.get("/health")
    assert r.status_code == 200, f"GET /health answered {why(r)}"
    revision = revision_of(own_engine)
    assert revision == "0002", (
        f"the check's database, started once by the lifespan, is at {revision!r}, not 0002: "
        f"the lifespan upgrades to head in development (app/core/lifespan.py)"
    )
    found = drift(own_engine)
    assert not found, (
        f"the models and the migrated database differ: {found[:3]} ({MIGRATION}, app/models/)"
    )


def test_the_orders_listing_index_is_in_the_model(app_dir: Path) -> None:
    models = import_app_module("app.models")
    indexes = {i.name: [c.name for c in i.columns] for i in models.Order.__table__.indexes}
    assert indexes.get("ix_orders_user_id_id") == ["user_id", "id"], (
        f"Order's indexes are {indexes}: declare Index('ix_orders_user_id_id', 'user_id', 'id') "
        f"in __table_args__ (app/models/order.py), as migration 0002 makes it"
    )


def test_a_fresh_database_gets_its_tables_at_startup(
    client: TestClient, own_engine: Engine
) -> None:
    tables = set(inspect(own_engine).get_table_names())
    wanted = {"users", "items", "orders", "order_lines", "outbox", "service_events"}
    assert wanted <= tables, (
        f"the check's fresh database lacks {sorted(wanted - tables)} after the start: the "
        f"lifespan runs upgrade_to_head when MIGRATE_ON_STARTUP is on (app/core/lifespan.py)"
    )
    kinds = stored_value(own_engine, "SELECT count(*) FROM service_events WHERE kind = 'startup'")
    assert kinds and kinds >= 1, "no startup event in service_events (app/core/lifespan.py)"


def test_a_database_of_create_all_is_brought_under_alembic(app_dir: Path, tmp_path: Path) -> None:
    """A database of chapters 11-26: every table of 0001, made by create_all, no version."""
    with fresh("sqlite", tmp_path) as engine:
        alembic(app_dir, engine, "upgrade", "0001")
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE alembic_version"))
            connection.execute(
                text(
                    "INSERT INTO users (name, email, password, role, is_active) "
                    "VALUES ('Old', 'old@example.com', 'x', 'user', 1)"
                )
            )
        alembic(app_dir, engine, "upgrade", "head")
        users = stored_value(engine, "SELECT count(*) FROM users")
        found = drift(engine)
        assert users == 1 and not found and revision_of(engine) == "0002", (
            f"upgrading a create_all database gave {users} user(s), drift {found[:3]}, revision "
            f"{revision_of(engine)!r}: 0001 creates only what is missing (IF NOT EXISTS)"
        )


def test_an_items_table_of_chapter_15_gets_its_owner(app_dir: Path, tmp_path: Path) -> None:
    with fresh("sqlite", tmp_path) as engine:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "CREATE TABLE items (name VARCHAR NOT NULL, price FLOAT NOT NULL, "
                    "tags JSON NOT NULL, id INTEGER PRIMARY KEY AUTOINCREMENT)"
                )
            )
            connection.execute(text("INSERT INTO items (name, price, tags) VALUES ('a', 1, '[]')"))
        alembic(app_dir, engine, "upgrade", "head")
        columns = {c["name"] for c in inspect(engine).get_columns("items")}
        names = stored_value(engine, "SELECT name FROM items")
        table = str(stored_value(engine, "SELECT sql FROM sqlite_master WHERE name = 'items'"))
        assert "AUTOINCREMENT" in table.upper(), (
            "after upgrade head a chapter-15 items table lost AUTOINCREMENT: batch mode copies "
            "the table; pass table_kwargs={'sqlite_autoincrement': True} (0001_initial.py)"
        )
        assert "owner_id" in columns and names == "a", (
            f"after upgrade head a chapter-15 items table has {sorted(columns)} and {names!r}: "
            f"0001 adds owner_id to it and keeps its rows (migrations/versions/0001_initial.py)"
        )


def test_one_process_migrates_itself_and_gunicorn_workers_never(
    app_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = import_app_module("app.core.config")
    assert config.Settings(ENVIRONMENT="production").MIGRATE_ON_STARTUP is True, (
        "MIGRATE_ON_STARTUP must default to true (app/core/config.py): a single process "
        "migrates its database at startup"
    )
    lifespan = (app_dir / "app/core/lifespan.py").read_text(encoding="utf-8")
    assert "create_all" not in lifespan and "MIGRATE_ON_STARTUP" in lifespan, (
        "app/core/lifespan.py must upgrade with Alembic when MIGRATE_ON_STARTUP is on, and "
        "call create_all no more"
    )
    conf = gunicorn_settings(app_dir, monkeypatch)
    assert "MIGRATE_ON_STARTUP=false" in (conf.get("raw_env") or []), (
        f"{GUNICORN} must set raw_env = ['MIGRATE_ON_STARTUP=false']: workers that start at "
        f"once must not all migrate (start.sh migrates before them)"
    )


# --- readiness ------------------------------------------------------------------------------


@contextmanager
def readiness_on(app: FastAPI, url: str, timeout: float = 2.0) -> Iterator[None]:
    """GET /health/ready probes an engine on `url`, with READINESS_TIMEOUT_SECONDS=timeout."""
    from sqlalchemy.ext.asyncio import create_async_engine

    readiness = import_app_module("app.db.readiness")
    config = import_app_module("app.core.config")
    session = import_app_module("app.db.session")
    engine = create_async_engine(session.async_database_url(url))
    settings = config.get_settings().model_copy(update={"READINESS_TIMEOUT_SECONDS": timeout})
    app.dependency_overrides[readiness.get_engine] = lambda: engine
    app.dependency_overrides[config.get_settings] = lambda: settings
    try:
        yield
    finally:
        app.dependency_overrides.pop(readiness.get_engine, None)
        app.dependency_overrides.pop(config.get_settings, None)


def not_ready(r: httpx.Response, what: str, url: str) -> None:
    assert r.status_code == 503, (
        f"GET {READY} with {what} answered {why(r)}, not 503: database_problem must say why "
        f"({READINESS})"
    )
    error = body(r).get("error") if isinstance(body(r), dict) else None
    assert isinstance(error, dict) and error.get("code") == "not_ready", (
        f"GET {READY} with {what} answered {body(r)!r}, not the error envelope with code "
        f"not_ready (app/api/v1/routes/health.py)"
    )
    hidden = make_url(url)
    for secret in filter(None, (hidden.password, hidden.host, hidden.database)):
        assert secret not in r.text, (
            f"GET {READY} shows {secret!r} of the database URL: answer a sentence of your "
            f"own, not the driver's message ({READINESS})"
        )


@pytest.mark.exercise("27.2")
def test_ready_when_the_database_answers_at_head(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}, "GET /health changed (liveness)"
    r = client.get(READY)
    assert r.status_code == 200 and body(r) == {"status": "ready"}, (
        f"GET {READY} answered {why(r)} on a migrated database: database_problem returns None "
        f"when SELECT 1 works and the revision is head_revision() ({READINESS})"
    )


@pytest.mark.exercise("27.2")
def test_not_ready_when_the_database_is_down(
    app: FastAPI, client: TestClient, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'secret-name.db'}"
    with readiness_on(app, url):
        r = client.get(READY)
    not_ready(r, "a database that cannot be opened", url)


@pytest.mark.exercise("27.2")
def test_not_ready_in_time_when_the_database_hangs(app: FastAPI, client: TestClient) -> None:
    answers: list[httpx.Response] = []
    # A server that takes the connection and never answers: a lost network, a full database.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"postgresql://app:pw-7s3cr3t@127.0.0.1:{silent.getsockname()[1]}/hidden_db"
        with readiness_on(app, url, timeout=0.2):
            probe = threading.Thread(target=lambda: answers.append(client.get(READY)))
            probe.start()
            probe.join(1.5)
            in_time = bool(answers)
            # Closing the silent server ends a probe that waits without a timeout of its own.
            silent.close()
            probe.join(10)
    assert in_time, (
        f"GET {READY} did not answer within 1.5 s on a database that never answers, with a "
        f"timeout of 0.2 s: wrap the probe in asyncio.timeout(timeout) ({READINESS})"
    )
    not_ready(answers[0], "a database that never answers", url)


@pytest.mark.exercise("27.2")
def test_not_ready_says_nothing_of_the_url(app: FastAPI, client: TestClient) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    # Nothing listens there: the driver's error names the host and the port.
    url = f"postgresql://app:pw-7s3cr3t@127.0.0.1:{port}/hidden_db"
    with readiness_on(app, url):
        r = client.get(READY)
    not_ready(r, "a database that refuses the connection", url)
    assert str(port) not in r.text, (
        f"GET {READY} shows the database's port {port}: answer a sentence of your own, not "
        f"the driver's message ({READINESS})"
    )


@pytest.mark.exercise("27.2")
def test_not_ready_while_a_migration_is_missing(
    app_dir: Path, app: FastAPI, client: TestClient, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    engine = sync_engine(url)
    alembic(app_dir, engine, "upgrade", "0001")
    engine.dispose()
    with readiness_on(app, url):
        r = client.get(READY)
    not_ready(r, "a database at revision 0001 (the code's head is 0002)", url)


# --- the production server --------------------------------------------------------------------


def gunicorn_settings(app_dir: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    path = app_dir / GUNICORN
    assert path.is_file(), f"no {GUNICORN} in the workspace: write it (exercise 27.3)"
    for name in ("HOST", "PORT", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return {k: v for k, v in runpy.run_path(str(path)).items() if not k.startswith("_")}


@pytest.mark.exercise("27.3")
def test_gunicorn_runs_uvicorn_workers_from_the_environment(
    app_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = gunicorn_settings(app_dir, monkeypatch, WEB_CONCURRENCY="3", PORT="9123")
    assert conf.get("worker_class") == "uvicorn_worker.UvicornWorker", (
        f"worker_class is {conf.get('worker_class')!r}: uvicorn_worker.UvicornWorker (the "
        f"uvicorn-worker package; uvicorn.workers is deprecated) ({GUNICORN})"
    )
    assert conf.get("workers") == 3, (
        f"with WEB_CONCURRENCY=3 workers is {conf.get('workers')!r}: read it from the "
        f"environment, as an int ({GUNICORN})"
    )
    bind = conf.get("bind")
    binds = [bind] if isinstance(bind, str) else list(bind or [])
    assert binds and all(b.endswith(":9123") for b in binds), (
        f"with PORT=9123 bind is {bind!r}: bind to HOST:PORT ({GUNICORN})"
    )
    default = gunicorn_settings(app_dir, monkeypatch)
    assert isinstance(default.get("workers"), int) and default["workers"] >= 2, (
        f"without WEB_CONCURRENCY workers is {default.get('workers')!r}: 2 by default ({GUNICORN})"
    )


@pytest.mark.exercise("27.3")
def test_gunicorn_stops_gracefully_and_trusts_only_its_proxy(
    app_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = gunicorn_settings(app_dir, monkeypatch)
    timeout, graceful = conf.get("timeout"), conf.get("graceful_timeout")
    assert isinstance(graceful, int) and 5 <= graceful < 30, (
        f"graceful_timeout is {graceful!r}: long enough for a request in flight (5 s or more), "
        f"shorter than the orchestrator's 30 s before its SIGKILL ({GUNICORN})"
    )
    assert isinstance(timeout, int) and timeout > 0, f"timeout is {timeout!r} ({GUNICORN})"
    keepalive = conf.get("keepalive")
    assert isinstance(keepalive, int) and keepalive > 60, (
        f"keepalive is {keepalive!r}: longer than a load balancer's idle timeout (60 s) "
        f"({GUNICORN})"
    )
    allowed = conf.get("forwarded_allow_ips")
    assert allowed and "*" not in str(allowed), (
        f"forwarded_allow_ips is {allowed!r}: only the proxy's addresses may set "
        f"X-Forwarded-For, never '*' ({GUNICORN})"
    )
    assert conf.get("accesslog") is None, (
        f"accesslog is {conf.get('accesslog')!r}: None, the app logs its requests itself "
        f"({GUNICORN})"
    )
    from gunicorn.config import Config

    checked = Config()
    for name, value in conf.items():
        if name in checked.settings:
            checked.set(name, value)  # gunicorn's own validation of each value
    assert checked.worker_class_str == "uvicorn_worker.UvicornWorker", f"worker_class ({GUNICORN})"


def test_two_workers_making_the_first_admin_at_once_both_start(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What two gunicorn workers do at the same moment: look the admin up, find nobody, insert."""
    import asyncio

    from pydantic import SecretStr

    first_admin = import_app_module("app.core.first_admin")
    session = import_app_module("app.db.session")
    config = import_app_module("app.core.config")
    email = f"{unique('root')}@example.com"
    settings = config.get_settings().model_copy(
        update={"FIRST_ADMIN_EMAIL": email, "FIRST_ADMIN_PASSWORD": SecretStr("root-secret-4711")}
    )
    monkeypatch.setattr(first_admin, "get_settings", lambda: settings)

    async def one_worker() -> None:
        async with session.SessionLocal() as db:
            await first_admin.ensure_first_admin(db)

    async def two_workers() -> list[Any]:
        return list(await asyncio.gather(one_worker(), one_worker(), return_exceptions=True))

    failed = [said(r) for r in client.portal.call(two_workers) if isinstance(r, BaseException)]
    assert not failed, (
        f"two workers making the first admin at once: one raised {failed[0]}; the unique "
        f"index decides, the other worker accepts it (catch AlreadyExists, app/core/first_admin.py)"
    )


# --- the container files ------------------------------------------------------------------------


def instructions(app_dir: Path) -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments out."""
    path = app_dir / "Dockerfile"
    assert path.is_file(), "no Dockerfile in the workspace: write it (step 4)"
    joined = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def test_the_dockerfile_pins_its_base_and_runs_as_a_user(app_dir: Path) -> None:
    steps = instructions(app_dir)
    bases = [args for word, args in steps if word == "FROM"]
    assert bases and re.fullmatch(
        r"python:3\.\d+\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?|python:[\w.-]+@sha256:[0-9a-f]{64}",
        bases[-1].split()[0],
    ), (
        f"the Dockerfile's FROM is {bases}: an exact version (python:3.11.7-slim-bookworm) or a "
        f"digest, never python:3.11-slim (a tag that moves)"
    )
    users = [args.split(":")[0] for word, args in steps if word == "USER"]
    assert users and users[-1] not in ("root", "0"), (
        f"the Dockerfile's USER is {users}: the app runs as a user of its own, never root"
    )
    last_user = max(i for i, (word, _) in enumerate(steps) if word == "USER")
    run_after = [args for word, args in steps[last_user:] if word == "CMD"]
    assert run_after, "the Dockerfile's CMD must come after its USER line"


def test_the_dockerfile_checks_health_and_migrates_first(app_dir: Path) -> None:
    steps = instructions(app_dir)
    checks = [args for word, args in steps if word == "HEALTHCHECK"]
    assert checks and "NONE" not in checks[-1].upper() and "/health" in checks[-1], (
        f"the Dockerfile's HEALTHCHECK is {checks}: probe /health (python's urllib: the slim "
        f"image has no curl)"
    )
    starts = " ".join(args for word, args in steps if word in ("CMD", "ENTRYPOINT"))
    assert "start.sh" in starts, f"the Dockerfile starts {starts!r}, not start.sh"
    script = (app_dir / "start.sh").read_text(encoding="utf-8")
    lines = [line.strip() for line in script.splitlines() if line.strip() and line[0] != "#"]
    migrate = next((i for i, line in enumerate(lines) if "alembic upgrade head" in line), None)
    serve = next((i for i, line in enumerate(lines) if "gunicorn" in line), None)
    assert migrate is not None and serve is not None and migrate < serve, (
        "start.sh must run `alembic upgrade head`, then the server: the migrations once, "
        "before any worker"
    )
    assert lines[serve].startswith("exec "), (
        "start.sh must `exec gunicorn ...`: else the shell gets the SIGTERM, not gunicorn"
    )
    assert "set -e" in lines, "start.sh must `set -e`: a failed migration stops the start"


def test_the_requirements_are_pinned(app_dir: Path) -> None:
    path = app_dir / "requirements.txt"
    assert path.is_file(), "no requirements.txt in the workspace (step 4)"
    wanted = [
        line.split("#")[0].strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.split("#")[0].strip()
    ]
    loose = [line for line in wanted if not re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[\w.+]+", line)]
    assert wanted and not loose, f"requirements.txt has unpinned lines {loose[:3]}: name==version"
    names = {line.split("==")[0].lower() for line in wanted}
    needed = {"fastapi", "gunicorn", "uvicorn-worker", "alembic", "sqlalchemy", "asyncpg"}
    assert needed <= names, f"requirements.txt lacks {sorted(needed - names)}"


def test_the_dockerignore_keeps_secrets_and_state_out(app_dir: Path) -> None:
    path = app_dir / ".dockerignore"
    assert path.is_file(), "no .dockerignore in the workspace (step 4)"
    patterns = {line.strip() for line in path.read_text(encoding="utf-8").splitlines()}
    for needed in (".env", "*.db", ".venv", "__pycache__", ".pytest_cache"):
        assert needed in patterns or f"{needed}/" in patterns, (
            f".dockerignore does not list {needed}: it would go into the image"
        )


# --- for real: two workers, a request in flight, SIGTERM -----------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found |= {int(p) for p in task.read_text().split()}
    return found


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


METRICS_TOKEN = "drain-test-metrics-token"


def in_flight(base: str, timeout: float = 10.0) -> None:
    """Wait until a worker handles a request besides the /metrics that asks (chapter 26's
    http_requests_in_progress, summed over the workers), at most `timeout` seconds: a fixed
    sleep sends the SIGTERM too early on a loaded machine, before the login has arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            text = httpx.get(
                f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=2
            ).text
        except httpx.TransportError:
            text = ""
        gauge = "http_requests_in_progress "
        now = [line.split()[-1] for line in text.splitlines() if line.startswith(gauge)]
        if now and float(now[0]) >= 2:
            return
        time.sleep(0.05)
    pytest.fail(
        f"no worker was handling the login {timeout:.0f} s after it was sent "
        f"(http_requests_in_progress of /metrics, app/core/metrics.py): {text[-300:]!r}"
    )


@pytest.mark.slow
def test_the_production_command_drains_in_flight_requests_on_sigterm(
    app_dir: Path, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.db'}",
        "ENVIRONMENT": "production",
        "SECRET_KEY": GOOD_KEY,
        "TRUSTED_HOSTS": "127.0.0.1",
        "FIRST_ADMIN_EMAIL": "root@example.com",
        "FIRST_ADMIN_PASSWORD": "root-secret-4711",
        # A login of about a second: the request still in flight when SIGTERM comes.
        "BCRYPT_ROUNDS": "14",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        # The workers' metrics (chapter 26) in this test's own folder, never a shared /tmp/metrics;
        # the test reads them to know when the login is in flight.
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "METRICS_TOKEN": METRICS_TOKEN,
    }
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            ["sh", "start.sh"], cwd=app_dir, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        ready = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                ready = httpx.get(f"{base}{READY}", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        tail = log.read_text(errors="replace")[-400:]
        assert ready is not None and ready.status_code == 200, (
            f"sh start.sh did not serve {READY} within 60 s: {tail!r}"
        )
        workers = children(server.pid)
        assert len(workers) == 2, (
            f"gunicorn runs {len(workers)} worker(s), not WEB_CONCURRENCY=2 ({GUNICORN})"
        )
        answers: list[httpx.Response | Exception] = []

        def log_in() -> None:
            form = {"username": "root@example.com", "password": "root-secret-4711"}
            try:
                answers.append(httpx.post(f"{base}/api/v1/auth/token", data=form, timeout=30))
            except httpx.HTTPError as error:
                answers.append(error)

        login = threading.Thread(target=log_in)
        login.start()
        in_flight(base)  # the request has arrived; bcrypt works on it
        server.send_signal(signal.SIGTERM)
        login.join(30)
        code = server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    tail = log.read_text(errors="replace")[-400:]
    answer = answers[0] if answers else None
    assert isinstance(answer, httpx.Response) and answer.status_code == 200, (
        f"the login in flight at SIGTERM got {answer!r}: gunicorn's graceful_timeout lets the "
        f"workers finish it ({GUNICORN}); log: {tail!r}"
    )
    assert code == 0, f"gunicorn exited with {code} after SIGTERM, not 0: {tail!r}"
    orphans = [pid for pid in workers if alive(pid)]
    assert not orphans, f"workers {orphans} still run after gunicorn stopped"
