"""Alembic from inside the app: the revision of the database, the head, an upgrade.

`alembic upgrade head` (alembic.ini, migrations/) is how production migrates, once, before
the server starts (start.sh). The functions here do the same from Python, on a connection
the caller holds: the lifespan of a development server (one process) upgrades itself, and
the readiness probe compares the database's revision with the code's head.
"""

from functools import lru_cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from app.core.config import WORKSPACE_DIR

ALEMBIC_INI = WORKSPACE_DIR / "alembic.ini"


def alembic_config() -> Config:
    """alembic.ini's settings, wherever the process was started from."""
    return Config(ALEMBIC_INI)


@lru_cache
def head_revision() -> str | None:
    """The newest revision of migrations/versions: what the code expects (read once)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision alembic_version records; None for a database Alembic never touched."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(connection: Connection) -> None:
    """Run every migration the database lacks, on this connection, in its transaction.

    Synchronous, like Alembic: an AsyncConnection runs it with run_sync. A database made by
    create_all (chapters 11 to 26) is brought under Alembic by 0001 (see its docstring).
    """
    config = alembic_config()
    # migrations/env.py runs the migrations on this connection, not on an engine of its own.
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
