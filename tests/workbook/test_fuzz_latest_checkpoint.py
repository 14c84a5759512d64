"""The latest checkpoint, fuzzed by schemathesis over HTTP, on SQLite and on PostgreSQL.

Every operation of its OpenAPI document, whatever the chapters have added so
far: no 5xx, no answer that breaks its documented schema, no request the schema
allows refused, no undocumented status code (workbook/fuzz.py holds the checks
and the bounds). A failure shows each failing case as the request to repeat and
the answer it got, in a few lines.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from workbook import fuzz, paths, postgres
from workbook.chapters import Chapter
from workbook.server import LiveServer

from .conftest import CHAPTERS

LATEST = CHAPTERS[-1]

pytestmark = pytest.mark.fuzz


def _fuzz(app_dir: Path, database_url: str, database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    # bcrypt's cheapest cost (chapter 16's setting): every sign-up of the fuzzer hashes.
    monkeypatch.setenv("BCRYPT_ROUNDS", "4")
    # Chapter 17 makes this admin at startup; the hooks log in as it for the admin routes.
    monkeypatch.setenv("FIRST_ADMIN_EMAIL", "fuzz-admin@example.com")
    monkeypatch.setenv("FIRST_ADMIN_PASSWORD", "fuzz-admin-password-1")
    # Chapter 18 throttles failed logins per account and per client: the fuzzer fails logins
    # by the hundred, from one address, and must still reach every route behind a login.
    monkeypatch.setenv("LOGIN_MAX_FAILURES", "1000000")
    monkeypatch.setenv("LOGIN_MAX_FAILURES_PER_CLIENT", "1000000")
    with LiveServer(app_dir) as server:
        fuzzed = fuzz.run(server.url)
        log = server.log()
    # In the git-ignored reports/, as verify's timings: pytest's temporary folders are
    # deleted once three later pytest runs have started.
    saved = paths.ROOT / "reports" / f"fuzz-{database.lower()}.txt"
    saved.parent.mkdir(exist_ok=True)
    saved.write_text(fuzzed.output, encoding="utf-8")
    problem = fuzz.verdict(fuzzed, server.url, log, database, saved)
    if problem:  # the report alone: pytest's view of the objects would bury it
        pytest.fail(problem, pytrace=False)


def test_latest_checkpoint_survives_fuzzing_on_sqlite(
    fresh_checkpoint: Callable[[Chapter], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new SQLite file in a private copy of the checkpoint."""
    app_dir = fresh_checkpoint(LATEST)
    _fuzz(app_dir, f"sqlite:///{app_dir / 'fuzz.db'}", "SQLite", monkeypatch)


def test_latest_checkpoint_survives_fuzzing_on_postgresql(
    fresh_checkpoint: Callable[[Chapter], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new database on the PostgreSQL server, dropped afterwards."""
    server = os.environ.get(postgres.SERVER_VARIABLE, postgres.DEFAULT_SERVER)
    reason = postgres.unreachable(server)
    if reason:
        pytest.skip(f"{reason}; set {postgres.SERVER_VARIABLE} to a server URL to fuzz on it")
    with postgres.fresh_database(server) as url:
        _fuzz(fresh_checkpoint(LATEST), url, "PostgreSQL", monkeypatch)
