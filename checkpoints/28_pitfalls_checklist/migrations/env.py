"""How Alembic reaches the app's database: run by `alembic upgrade head` and by the app.

The URL is the app's own (DATABASE_URL, app/core/config.py, with its async driver as in
app/db/session.py): alembic.ini holds none, so there is one place for it and its password.
The tables to compare with are the models' (Base.metadata, every model registered by
importing app.models): `alembic revision --autogenerate` writes what differs.

Two ways in. The command line: env.py opens an async engine of its own and runs the
migrations on one of its connections. The app (app/db/migrations.py): the caller hands a
connection in config.attributes["connection"], and the migrations run on it, in its
transaction, with the app's logging untouched.
"""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import get_settings
from app.db.base import Base
from app.db.session import async_database_url

# Importing the package registers every table on Base.metadata (app/models/__init__.py).
import app.models  # noqa: F401  isort: skip

config = context.config
target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most of a table (a constraint, a column's type): in batch
        # mode Alembic copies the table into a new one instead. PostgreSQL alters in place.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_on_own_engine() -> None:
    url = async_database_url(get_settings().DATABASE_URL.get_secret_value())
    # NullPool: one connection, closed at the end; a migration run keeps no pool.
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them on the database")

given = config.attributes.get("connection")
if given is not None:
    run_migrations(given)
else:
    if config.config_file_name is not None:
        # The command line's log (alembic.ini); existing loggers keep theirs.
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    asyncio.run(run_on_own_engine())
