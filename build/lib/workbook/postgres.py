"""A PostgreSQL database of its own for each check, created before and dropped after.

`workbook check NN --postgres` (and the PostgreSQL twin of the checkpoint
invariant) set WORKBOOK_TEST_POSTGRES to a server URL; the chapter tests'
conftest then gives the check a fresh database on that server, so that two
runs never see each other's rows.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # psycopg and SQLAlchemy load only when a check asks for PostgreSQL
    import psycopg

# What the tests connect to when asked for PostgreSQL: CI's server, trust auth.
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
# The environment variable that asks the chapter tests for PostgreSQL.
SERVER_VARIABLE = "WORKBOOK_TEST_POSTGRES"


# Databases of checks are named workbook_<unix time>_<random>.
PREFIX = "workbook_"
STALE_SECONDS = 24 * 3600


def _stale_databases(connection: psycopg.Connection[tuple[object, ...]], before: int) -> list[str]:
    """The checks' databases created before that time: left by a check that was killed."""
    names = connection.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s", (PREFIX + "%",)
    ).fetchall()
    stale = []
    for (name,) in names:
        created = str(name).removeprefix(PREFIX).split("_")[0]
        if created.isdigit() and int(created) < before:
            stale.append(str(name))
    return stale


def _connect(server: str) -> psycopg.Connection[tuple[object, ...]]:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server).set(drivername="postgresql")
    return psycopg.connect(url.render_as_string(hide_password=False), connect_timeout=3)


def unreachable(server: str) -> str | None:
    """Why no test can use this server (one line), or None when it answers."""
    import psycopg
    from sqlalchemy.engine import make_url

    try:
        with _connect(server) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        reason = (str(error).strip() or type(error).__name__).splitlines()[0]
        where = make_url(server).render_as_string(hide_password=True)
        return f"no PostgreSQL at {where} ({reason})"
    return None


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """The URL of a new, empty database on the server; dropped, with its connections, after.

    Its name holds its creation time: a check killed before its cleanup leaves its
    database behind, and the next check drops those older than a day.
    """
    from sqlalchemy.engine import make_url

    now = int(time.time())
    name = f"{PREFIX}{now}_{secrets.token_hex(4)}"
    with _connect(server) as connection:
        connection.autocommit = True
        for stale in _stale_databases(connection, now - STALE_SECONDS):
            connection.execute(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with _connect(server) as connection:
            connection.autocommit = True
            # FORCE: a live server a test left running must not keep the database alive.
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
