"""Fixtures of the chapter tests: the app under test, in-process and for real.

The app folder comes from WORKBOOK_APP_DIR (the learner's workspace, or a
checkpoint). Each run is a fresh process, so importing ``app`` once is safe.
"""

from __future__ import annotations

import functools
import importlib
import os
import secrets
import sys
import traceback
from collections.abc import Awaitable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from workbook import postgres
from workbook.server import LiveServer

# bcrypt's cheapest cost (chapter 16 hashes passwords): a hash in about 1 ms instead of
# 0.25 s, through the setting the app reads (app/core/config.py), never by patching the
# hasher. A live server started by a test inherits it. An app before chapter 16 ignores it.
os.environ.setdefault("BCRYPT_ROUNDS", "4")
# Login throttling (chapter 18) counts failed logins per account and per client: every test
# of a check shares one process, and TestClient's client is always "testclient", so the
# limits are out of reach here. Chapter 18's own tests start a server with low ones.
os.environ.setdefault("LOGIN_MAX_FAILURES", "1000000")
os.environ.setdefault("LOGIN_MAX_FAILURES_PER_CLIENT", "1000000")

if TYPE_CHECKING:  # SQLAlchemy loads only in checks that use a database (0.3 s)
    from sqlalchemy import Engine


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of this check's own, never the learner's app.db, in DATABASE_URL.

    An empty SQLite file; or, when WORKBOOK_TEST_POSTGRES names a server
    (`workbook check NN --postgres`), a new database there, dropped afterwards.
    The app reads DATABASE_URL when it is imported (from chapter 10 on), and a
    live server started by a test inherits it.
    """
    server = os.environ.get(postgres.SERVER_VARIABLE)
    if server:
        reason = postgres.unreachable(server)
        if reason:
            pytest.fail(f"{reason}: start PostgreSQL, or run the check without it")
        databases: AbstractContextManager[str] = postgres.fresh_database(server)
    else:
        databases = nullcontext(f"sqlite:///{tmp_path_factory.mktemp('database') / 'check.db'}")
    with databases as url:
        os.environ["DATABASE_URL"] = url
        yield url


@pytest.fixture(scope="session", autouse=True)
def app_dir(database_url: str) -> Path:
    """The app folder, on sys.path, with DATABASE_URL set before any test imports the app.

    Autouse: a test that only calls import_app_module still gets both, whichever
    test of the check runs first.
    """
    folder = Path(os.environ["WORKBOOK_APP_DIR"])
    if not (folder / "app").is_dir():
        pytest.fail(f"no app/ package in {folder}: run the chapter's %%app cells first")
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return folder


@functools.cache
def own_engine_for(database_url: str) -> Engine:
    """An engine of the tests' own on the check's database, apart from the app's pool:
    what the API answered is read back from what is stored, whatever driver the app uses."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return create_engine(url.set(drivername="sqlite"), connect_args={"timeout": 30})
    return create_engine(url.set(drivername="postgresql+psycopg"))


@pytest.fixture(scope="session")
def own_engine(database_url: str) -> Iterator[Engine]:
    engine = own_engine_for(database_url)
    yield engine
    engine.dispose()


def stored_value(engine: Engine, sql: str, **params: Any) -> Any:
    """One value from the database, read with the tests' own connection (own_engine)."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    with Session(engine) as db:
        return db.execute(text(sql), params).scalar()


def lent_out() -> int:
    """Connections the app's pool has lent out and not got back (0 before chapter 10)."""
    engine = getattr(import_app_module("app.db.session"), "engine", None)
    pool = getattr(engine, "pool", None)
    return int(pool.checkedout()) if hasattr(pool, "checkedout") else 0


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a bearer token (chapter 15 on)."""
    return {"Authorization": f"Bearer {token}"}


def refused(r: httpx.Response, what: str, exercise_file: str) -> None:
    """A 401 in the envelope that says to come back with a bearer token (chapter 15 on)."""
    assert r.status_code == 401, (
        f"{what} answered {why(r)}, not 401: raise UnauthorizedError (401, not 403: the "
        f"request proves no one's identity) in {exercise_file}"
    )
    error = body(r).get("error") if isinstance(body(r), dict) else None
    assert isinstance(error, dict) and error.get("code") == "unauthorized", (
        f"{what} answered {body(r)!r}: raise UnauthorizedError, which answers the envelope "
        f"({exercise_file})"
    )
    assert r.headers.get("www-authenticate") == "Bearer", (
        f"{what} answered 401 with WWW-Authenticate {r.headers.get('www-authenticate')!r}: "
        f"pass headers=BEARER to UnauthorizedError ({exercise_file})"
    )


def login_headers(client: Any, scope: str = "") -> dict[str, str]:
    """A bearer token of the seeded Alice, for routes behind a login since a later chapter
    (chapter 16's POST /items); {} for an app before chapter 15, which has no token route
    and asks none. `client` is the TestClient or a live server. `scope`: the form's field,
    which the login reads from chapter 17 on (no scope: a user's scopes)."""
    form = {"username": "alice@example.com", "password": "alice-secret-1", "scope": scope}
    r = client.post("/api/v1/auth/token", data=form)
    return bearer(r.json()["access_token"]) if r.status_code == 200 else {}


# Every scope of chapter 17: the seeded Alice is an admin, so her login is granted them all.
ADMIN_SCOPES = "admin items:write users:write"


def admin_headers(client: Any) -> dict[str, str]:
    """A bearer token of the seeded admin Alice with every scope: from chapter 17 on, the
    user routes answer only that user or an admin (listing and searching: admins only).
    Before chapter 17 the scope is ignored; before chapter 15 this is {}."""
    return login_headers(client, ADMIN_SCOPES)


@pytest.fixture
def as_admin(client: Any) -> Iterator[None]:
    """The test's requests through `client` carry admin_headers: for the tests of the user
    routes written before chapter 17 closed them, whose behaviour an admin still sees."""
    headers = admin_headers(client)
    client.headers.update(headers)
    yield
    for name in headers:
        client.headers.pop(name, None)


def unique(prefix: str) -> str:
    """A name no earlier test run used: checks may share a PostgreSQL server or a file."""
    return f"{prefix}-{secrets.token_hex(4)}"


@pytest.fixture
def statements(app: Any) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs during the test, in order (chapter 12 counts
    them for the unit of work, chapter 25 for the N+1 and the cache)."""
    from sqlalchemy import event

    engine = sync_engine_of(import_app_module("app.db.session").engine)
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def sync_engine_of(engine: Any) -> Engine:
    """The Engine that runs an app's engine: itself, or the one inside an AsyncEngine
    (where event listeners go: an AsyncEngine takes none)."""
    return getattr(engine, "sync_engine", engine)  # type: ignore[no-any-return]


def import_app_module(name: str) -> object:
    """Import ``app.something``, failing with the learner's error in one line."""
    try:
        return importlib.import_module(name)
    except Exception as error:  # the learner's code: any error is theirs to see
        pytest.fail(f"{name} does not import: {type(error).__name__}: {error}{_where(error)}")


def _where(error: Exception) -> str:
    """` (main.py, line 7)`: the learner's line, not importlib's; nothing when the
    error's own message names it already (a SyntaxError's does)."""
    if isinstance(error, SyntaxError) and error.filename:
        where = f"({Path(error.filename).name}, line {error.lineno})"
    else:
        frames = traceback.extract_tb(error.__traceback__)
        mine = [
            f for f in frames if "importlib" not in f.filename and "site-packages" not in f.filename
        ]
        if not (mine or frames):
            return ""
        frame = (mine or frames)[-1]
        where = f"({Path(frame.filename).name}, line {frame.lineno})"
    return "" if where in str(error) else f" {where}"


def locked_session(*, awaitable: bool = True) -> Any:
    """A session whose COMMIT fails for another reason than a taken email (a locked
    database): code that turns every error into a conflict is caught with it."""
    from sqlalchemy.exc import OperationalError

    locked = OperationalError("COMMIT", {}, Exception("database is locked"))

    class LockedSession:
        def commit(self) -> None:
            raise locked

        def rollback(self) -> None:
            pass

    class AsyncLockedSession:
        async def commit(self) -> None:
            raise locked

        async def rollback(self) -> None:
            pass

    return AsyncLockedSession() if awaitable else LockedSession()


async def outcome(call: Awaitable[Any]) -> Any:
    """What an awaited call gave: its value, or the exception it raised (to quote)."""
    try:
        return await call
    except Exception as error:  # the learner's code: any error is theirs to see
        return error


def said(value: Any) -> str:
    """A value or an exception, on one short line (a driver's error spans several)."""
    text = f"{type(value).__name__}: {value}" if isinstance(value, Exception) else repr(value)
    return " ".join(text.split())[:160]


def body(response: httpx.Response) -> Any:
    """The JSON body, or the text when it is not JSON (to quote in a failure)."""
    try:
        return response.json()
    except ValueError:
        return response.text


# What the app raised during the running test, behind the in-process client.
RAISED: list[BaseException] = []


def _app_frame(error: BaseException) -> str:
    """``, in app/api/deps.py, line 92``: the last frame of the traceback in the app."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/app/" in f.filename]
    if not frames:
        return ""
    return f", in app/{frames[-1].filename.rsplit('/app/', 1)[1]}, line {frames[-1].lineno}"


def raised() -> str:
    """`` (the app raised KeyError: 7, in app/db/memory.py, line 12)`` after a 500 of the
    in-process client, or "" when the app raised nothing there (a live server's 500)."""
    if not RAISED:
        return ""
    return f" (the app raised {said(RAISED[-1])}{_app_frame(RAISED[-1])})"


def why(response: httpx.Response) -> str:
    """The status and, unless it succeeded, the body: what a failure line should quote."""
    if response.status_code == 500 and RAISED:
        return f"500{raised()}"
    if response.status_code == 500:
        return "500 (the route or a dependency raised: server.log() in the notebook shows it)"
    if response.is_success:
        return str(response.status_code)
    return f"{response.status_code} {str(body(response))[:200]}"


@pytest.fixture(scope="session")
def app(app_dir: Path) -> FastAPI:
    main = import_app_module("app.main")
    application = getattr(main, "app", None)
    if not isinstance(application, FastAPI):
        pytest.fail("app/main.py must define `app = FastAPI(...)`")
    return application


@pytest.fixture(scope="session")
def _started_client(app: FastAPI) -> Iterator[TestClient]:
    # A route that raises answers 500 here, as it would for a real client, so a
    # test reports the status instead of the learner's traceback.
    async def recording(scope: Any, receive: Any, send: Any) -> None:
        try:
            await app(scope, receive, send)
        except Exception as error:  # why() quotes it; the client still answers 500
            RAISED.append(error)
            raise

    with TestClient(recording, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def client(_started_client: TestClient) -> TestClient:
    """The app in-process. One client (one app start-up) serves every test of a
    check, which keeps `check` fast; each test starts with no cookies."""
    _started_client.cookies.clear()
    RAISED.clear()
    return _started_client


@pytest.fixture(scope="session")
def live_server(app_dir: Path) -> Iterator[LiveServer]:
    """The app under a real uvicorn on a free port, for the whole test session."""
    with LiveServer(app_dir) as server:
        yield server
