"""A database of its own for each PostgreSQL check: created, then dropped with its connections."""

from __future__ import annotations

import os
import time

import psycopg
import pytest

from workbook import postgres

SERVER = os.environ.get(postgres.SERVER_VARIABLE, postgres.DEFAULT_SERVER)


def databases() -> set[str]:
    with psycopg.connect(SERVER.replace("postgresql+psycopg", "postgresql")) as connection:
        return {row[0] for row in connection.execute("SELECT datname FROM pg_database")}


def test_a_server_that_does_not_answer_is_one_line() -> None:
    reason = postgres.unreachable("postgresql://postgres:secret@127.0.0.1:9/postgres")
    assert reason is not None and "\n" not in reason, reason
    assert reason.startswith("no PostgreSQL at postgresql://postgres:***@127.0.0.1:9/postgres")


def test_each_run_gets_a_new_database_dropped_afterwards() -> None:
    reason = postgres.unreachable(SERVER)
    if reason:
        pytest.skip(reason)
    with postgres.fresh_database(SERVER) as first, postgres.fresh_database(SERVER) as second:
        names = {first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]}
        assert len(names) == 2 and names <= databases()
        # A connection left open (a live server a test did not stop) must not keep it alive.
        leftover = psycopg.connect(first)
    try:
        assert not names & databases()
        assert leftover.closed or leftover.broken or _fails(leftover)
    finally:
        leftover.close()


def _fails(connection: psycopg.Connection[tuple[object, ...]]) -> bool:
    try:
        connection.execute("SELECT 1")
    except psycopg.OperationalError:
        return True
    return False


def test_a_database_left_by_a_killed_check_is_dropped_a_day_later() -> None:
    reason = postgres.unreachable(SERVER)
    if reason:
        pytest.skip(reason)
    day_old = f"{postgres.PREFIX}{int(time.time()) - postgres.STALE_SECONDS - 60}_dead"
    recent = f"{postgres.PREFIX}{int(time.time()) - 60}_busy"
    with psycopg.connect(SERVER, autocommit=True) as connection:
        for name in (day_old, recent):
            connection.execute(f'CREATE DATABASE "{name}"')
    try:
        with postgres.fresh_database(SERVER):
            left = databases()
        assert day_old not in left and recent in left, sorted(left)
    finally:
        with psycopg.connect(SERVER, autocommit=True) as connection:
            for name in (day_old, recent):
                connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
