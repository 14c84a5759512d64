"""The attack suite (workbook/attacks.py) against checkpoint 18 and the latest one.

A real uvicorn server, started as production starts it (ENVIRONMENT=production,
a strong SECRET_KEY, one allowed CORS origin, trusted hosts, low login limits),
on a new SQLite file and on a new PostgreSQL database. Every attack must be
refused with the right status; afterwards the database holds what it held
before, row for row, but for the one plain user a sign-up with "role": "admin"
may have made. The outcomes are written to reports/attacks-<database>.md.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from workbook import attacks, paths, postgres
from workbook.chapters import Chapter
from workbook.server import LiveServer

from .conftest import CHAPTERS

FIRST = 18  # the chapter whose checkpoint the suite first applies to
# The first checkpoint it applies to and the latest, the finished app. Checkpoints are
# cumulative, so those in between hold nothing the two miss that a chapter's own session
# has not attacked already (its checkpoint was the latest then); each one costs CI about
# 40 s of a worker.
ATTACKED = [
    pytest.param(chapter, id=chapter.name)
    for chapter in CHAPTERS
    if chapter.number == FIRST or chapter is CHAPTERS[-1]
]

Rows = dict[str, set[tuple[Any, ...]]]


def read_database(url: str) -> Rows:
    """Every row of every table, read with a connection of the test's own."""
    from sqlalchemy import MetaData, create_engine, select
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    sync = "sqlite" if parsed.get_backend_name() == "sqlite" else "postgresql+psycopg"
    engine = create_engine(parsed.set(drivername=sync))
    try:
        tables = MetaData()
        tables.reflect(engine)
        with engine.connect() as db:
            return {
                name: {hashable(row) for row in db.execute(select(t))}
                for name, t in tables.tables.items()
            }
    finally:
        engine.dispose()


def hashable(row: Any) -> tuple[Any, ...]:
    """A row as a tuple that a set can hold: JSON columns (an item's tags) as their text."""
    return tuple(json.dumps(v) if isinstance(v, list | dict) else v for v in row)


def changes(before: Rows, after: Rows) -> list[str]:
    """What the attacks changed, in words; a plain user made by a sign-up is allowed."""
    found = []
    for name in sorted(before.keys() | after.keys()):
        gone = before.get(name, set()) - after.get(name, set())
        new = after.get(name, set()) - before.get(name, set())
        found += [f"{name}: row {row[:3]}… changed or deleted" for row in gone]
        found += [f"{name}: new row {row[:4]}…" for row in new if not plain_mallory(name, row)]
    return found


def plain_mallory(table: str, row: tuple[Any, ...]) -> bool:
    """The user that signing up with "role": "admin" made: allowed when its role is "user".
    From chapter 19 on, each sign-up's welcome mail goes to the outbox after the answer, so
    one may land after the snapshot taken before the attacks: the users table judges the
    sign-up, and its welcome row is allowed."""
    text = [str(value) for value in row]
    if table == "outbox":
        return "welcome" in text
    return table == "users" and any(v.startswith("mallory-") for v in text) and "admin" not in text


def attack(
    app_dir: Path, database_url: str, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = attacks.Settings(
        secret_key=secrets.token_urlsafe(32),
        admin_email="attack-admin@example.com",
        admin_password="attack-admin-password-1",
        allowed_origin="https://app.example.com",
        max_failures=3,
        max_failures_per_client=10,
    )
    for name, value in {
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "production",
        "SECRET_KEY": settings.secret_key,
        "FIRST_ADMIN_EMAIL": settings.admin_email,
        "FIRST_ADMIN_PASSWORD": settings.admin_password,
        "CORS_ORIGINS": settings.allowed_origin,
        "TRUSTED_HOSTS": "127.0.0.1,localhost",
        "LOGIN_MAX_FAILURES": str(settings.max_failures),
        "LOGIN_MAX_FAILURES_PER_CLIENT": str(settings.max_failures_per_client),
        "LOGIN_WINDOW_SECONDS": "300",
        "BCRYPT_ROUNDS": "4",
    }.items():
        monkeypatch.setenv(name, value)
    # No proxy in front: uvicorn must not take the client's address from X-Forwarded-For.
    with (
        LiveServer(app_dir, "app.main:app", "--no-proxy-headers") as server,
        attacks.client(server.url) as (http, seen),
    ):
        world = attacks.make_world(http, seen, settings)
        before = read_database(database_url)
        outcomes = attacks.attack_all(world)
        after = read_database(database_url)
        log = server.log()
    report = paths.ROOT / "reports" / f"attacks-{app_dir.name}-{database.lower()}.md"
    report.parent.mkdir(exist_ok=True)
    report.write_text(attacks.table(outcomes), encoding="utf-8")
    failed = [o for o in outcomes if not o.ok]
    changed = changes(before, after)
    leaked = [line for line in log.splitlines() if settings.secret_key in line or "$2b$" in line]
    problems = [f"{o.attack}: {o.request} answered {o.got}, expected {o.expected}" for o in failed]
    problems += [f"the database changed: {change}" for change in changed]
    problems += [f"the server log shows a secret: {line[:120]}" for line in leaked]
    if problems:
        listed = "\n  ".join(problems)
        pytest.fail(
            f"{len(problems)} attacks got through on {database} (report: {report}):\n  {listed}",
            pytrace=False,
        )


@pytest.mark.parametrize("chapter", ATTACKED)
def test_attacks_are_refused_on_sqlite(
    chapter: Chapter, fresh_checkpoint: Callable[[Chapter], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    app_dir = fresh_checkpoint(chapter)
    attack(app_dir, f"sqlite:///{app_dir / 'attacks.db'}", "SQLite", monkeypatch)


@pytest.mark.parametrize("chapter", ATTACKED)
def test_attacks_are_refused_on_postgresql(
    chapter: Chapter, fresh_checkpoint: Callable[[Chapter], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = os.environ.get(postgres.SERVER_VARIABLE, postgres.DEFAULT_SERVER)
    reason = postgres.unreachable(server)
    if reason:
        pytest.skip(f"{reason}; set {postgres.SERVER_VARIABLE} to a server URL to attack on it")
    with postgres.fresh_database(server) as url:
        attack(fresh_checkpoint(chapter), url, "PostgreSQL", monkeypatch)
