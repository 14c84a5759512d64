"""The database engine, and one session per request.

The engine holds the connection pool, one for the whole app. A session is one
unit of work: get_db opens one for each request that asks for it, and closes it
when the request is over, which gives its connection back to the pool.
"""

from collections.abc import Iterator
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import settings

# A SQLite connection refuses, by default, to be used by a thread other than the one
# that opened it. FastAPI runs plain `def` dependencies and routes in a thread pool:
# get_db, the route and get_db's cleanup may each run in another thread. One request
# at a time uses a session, so allowing it is safe. Other databases have no such option.
connect_args: dict[str, Any] = {}
if settings.DATABASE_URL.startswith("sqlite"):
    connect_args["check_same_thread"] = False
    # SQLite lets one connection write at a time; the others wait for the lock, up to
    # `timeout` seconds, then fail with "database is locked". Said here, not left to
    # the driver's default (5 s): concurrent writes (chapter 12) rely on this wait.
    connect_args["timeout"] = 30

# hide_parameters=True: a failed statement's error quotes the SQL and, by default,
# the values bound to it. That error is logged with the 500's traceback, and the
# values of a sign-up are the user's name, email and password: keep them out of it.
engine = create_engine(settings.DATABASE_URL, connect_args=connect_args, hide_parameters=True)

# autoflush=False: nothing is sent to the database before you flush or commit.
# expire_on_commit=False: objects keep their values after a commit, so a route can
# still answer them once the transaction is over.
SessionLocal = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)


def get_db() -> Iterator[Session]:
    """One session for the request; closed when the request is over, whatever happened."""
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()
