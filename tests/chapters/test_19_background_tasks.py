"""Chapter 19: a welcome mail written to the outbox by a background task, after the 201.

What the app stored is read back with the tests' own engine (own_engine). The task's
session factory is a dependency (app.tasks.get_task_sessions): the tests swap it, through
app.dependency_overrides, for one that records when the task ran or whose COMMIT fails,
without patching the learner's code.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import import_app_module, raised, stored_value, unique, why
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from workbook.server import LiveServer

USERS = "/api/v1/users"
PASSWORD = "welcome-secret-12"
SERVICE = "app/services/outbox.py"
TASKS = "app/tasks.py"
ROUTE = "app/api/v1/routes/users.py"


def new_user() -> dict[str, str]:
    return {"name": "Wendy", "email": f"{unique('wendy')}@example.com", "password": PASSWORD}


def outbox_rows(engine: Engine, user_id: int) -> int:
    return int(
        stored_value(engine, "SELECT COUNT(*) FROM outbox WHERE user_id = :id", id=user_id) or 0
    )


def welcome_row(engine: Engine, user_id: int) -> dict[str, Any] | None:
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    with Session(engine) as db:
        row = db.execute(
            text(
                "SELECT kind, recipient, subject, body, created_at, attempts, last_error, "
                "sent_at FROM outbox WHERE user_id = :id ORDER BY id"
            ),
            {"id": user_id},
        ).first()
    return dict(row._mapping) if row is not None else None


def as_utc(value: Any) -> datetime:
    """A stored created_at as an aware UTC datetime: SQLite answers text without the offset."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def tasks_module() -> Any:
    return import_app_module("app.tasks")


def what_failed(caplog: pytest.LogCaptureFixture) -> str:
    """`` (the task logged NotImplementedError: exercise 19.1: ...)``: the exception of the
    task's last failure line, with its message, or what the app raised after the response:
    a stub of an earlier step, reached, names its exercise there."""
    for record in reversed(caplog.records):
        if record.name == "app.tasks" and record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            return f" (the task logged {type(error).__name__}: {error})"
    return raised()


def signed_up(client: TestClient) -> int:
    """The id of a new user (signed up through the API, which works since chapter 05)."""
    r = client.post(USERS, json=new_user())
    assert r.status_code == 201, f"POST {USERS} answered {why(r)}"
    return int(r.json()["id"])


def stored_hash(engine: Engine, user_id: int) -> str:
    return str(stored_value(engine, "SELECT password FROM users WHERE id = :id", id=user_id))


class Recorder:
    """A session factory that notes each session the task opens, in a shared timeline."""

    def __init__(self, timeline: list[str], factory: Callable[[], Any]) -> None:
        self.timeline = timeline
        self.factory = factory

    def __call__(self) -> Any:
        self.timeline.append("the task opened its session")
        return self.factory()


def locked_sessions() -> Callable[[], Any]:
    """Real sessions on the app's engine whose COMMIT fails as a locked database would."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    class LockedSession(AsyncSession):
        async def commit(self) -> None:
            raise OperationalError("COMMIT", {}, Exception("database is locked"))

    engine = import_app_module("app.db.session").engine  # type: ignore[attr-defined]
    return async_sessionmaker(engine, class_=LockedSession, expire_on_commit=False)


@pytest.fixture
def task_sessions(app: FastAPI) -> Iterator[Callable[[Callable[[], Any]], None]]:
    """Give the route's task this session factory (app.dependency_overrides), for one test."""
    key = tasks_module().get_task_sessions

    def use(factory: Callable[[], Any]) -> None:
        app.dependency_overrides[key] = lambda: factory

    yield use
    app.dependency_overrides.pop(key, None)


def app_session_factory() -> Callable[[], Any]:
    return import_app_module("app.db.session").SessionLocal  # type: ignore[attr-defined,no-any-return]


def user_row(**fields: Any) -> Any:
    """A User as the database gives it back: an id, a lower-case email, a bcrypt hash."""
    models = import_app_module("app.models")
    values = {
        "id": 4242,
        "name": "Zoë",
        "email": "zoe@example.com",
        "password": "$2b$04$abcdefghijklmnopqrstuuNv5GHqbWmAh4dMx3Xq4y8oKb2cD0HzW",
        "role": "user",
        "is_active": True,
        **fields,
    }
    return models.User(**values)  # type: ignore[attr-defined]


# --- 19.1: the message, from the stored row ----------------------------------------------


@pytest.mark.exercise("19.1")
def test_the_welcome_message_is_built_from_the_stored_user() -> None:
    service = import_app_module("app.services.outbox")
    user = user_row()
    message = service.welcome_message(user)  # type: ignore[attr-defined]
    assert isinstance(message, import_app_module("app.models").OutboxMessage), (  # type: ignore[attr-defined]
        f"welcome_message answered {type(message).__name__}, not an OutboxMessage ({SERVICE})"
    )
    assert (message.user_id, message.kind, message.recipient) == (4242, "welcome", user.email), (
        f"welcome_message gave user_id={message.user_id!r}, kind={message.kind!r}, "
        f"recipient={message.recipient!r}: the user's id, WELCOME and user.email ({SERVICE})"
    )
    assert "Zoë" in (message.subject or "") and "Zoë" in (message.body or ""), (
        f"the welcome mail {message.subject!r} does not greet the user by name: put user.name "
        f"in the subject and in the body ({SERVICE})"
    )


@pytest.mark.exercise("19.1")
def test_the_welcome_message_never_carries_the_password() -> None:
    service = import_app_module("app.services.outbox")
    user = user_row()
    message = service.welcome_message(user)  # type: ignore[attr-defined]
    text = f"{message.subject} {message.body}"
    assert user.password not in text and "$2b$" not in text, (
        "the welcome mail carries the stored password hash: a mail is read by whoever gets "
        f"at the mailbox, and a hash can be cracked; never a password nor its hash ({SERVICE})"
    )


@pytest.mark.exercise("19.1")
def test_the_welcome_message_is_dated_in_aware_utc() -> None:
    service = import_app_module("app.services.outbox")
    message = service.welcome_message(user_row())  # type: ignore[attr-defined]
    created = message.created_at
    assert isinstance(created, datetime) and created.utcoffset() == timedelta(0), (
        f"created_at is {created!r}: datetime.now(UTC), aware and in UTC (utcnow() is naive, "
        f"and the outbox's UTCDateTime column refuses it) ({SERVICE})"
    )
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=1), (
        f"created_at is {created!r}, not now ({SERVICE})"
    )


# --- 19.2: the task, its own session, its failures -----------------------------------------


@pytest.mark.exercise("19.2")
def test_the_task_writes_the_welcome_in_a_session_of_its_own(
    client: TestClient, own_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    user_id = signed_up(client)
    timeline: list[str] = []
    before = outbox_rows(own_engine, user_id)
    sessions = Recorder(timeline, app_session_factory())
    with caplog.at_level(logging.INFO, logger="app.tasks"):
        error = client.portal.call(outcome_of, tasks_module().send_welcome, user_id, sessions)
    assert error is None, (
        f"send_welcome(user_id, sessions) raised {error}: a task catches and logs its errors "
        f"({TASKS})"
    )
    assert timeline == ["the task opened its session"], (
        f"send_welcome opened {len(timeline)} session(s) with the factory it is given, not "
        f"one: `async with sessions() as db:`, never the request's session nor SessionLocal "
        f"imported ({TASKS})"
    )
    written = outbox_rows(own_engine, user_id) - before
    assert written == 1, (
        f"send_welcome(user_id, sessions) left {written} new outbox row(s) for the user, "
        f"not 1{what_failed(caplog)}: OutboxService(db).add_welcome(user_id) ({TASKS})"
    )


async def outcome_of(task: Callable[..., Any], *args: Any) -> str | None:
    """None when the task, awaited, raised nothing; else the exception on one line."""
    try:
        await task(*args)
    except Exception as error:  # the learner's code: any error is theirs to see
        return " ".join(f"{type(error).__name__}: {error}".split())[:200]
    return None


@pytest.mark.exercise("19.2")
def test_a_failed_task_is_logged_with_what_a_retry_needs(
    client: TestClient, own_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    user_id = signed_up(client)
    before = outbox_rows(own_engine, user_id)
    with caplog.at_level(logging.INFO, logger="app.tasks"):
        error = client.portal.call(
            outcome_of, tasks_module().send_welcome, user_id, locked_sessions()
        )
    assert error is None, (
        f"send_welcome raised {error} when its COMMIT failed: once the response is sent nobody "
        f"catches it; catch Exception and log it on the app.tasks logger ({TASKS})"
    )
    assert outbox_rows(own_engine, user_id) == before, "a failed COMMIT wrote an outbox row"
    failures = [r for r in caplog.records if r.name == "app.tasks" and r.levelno >= logging.WARNING]
    assert failures, (
        f"send_welcome's COMMIT failed and app.tasks logged no warning or error: an exception "
        f"caught and swallowed is lost; logger.error(...) in the except block ({TASKS})"
    )
    line = failures[-1].getMessage()
    for needed, what in (
        ("send_welcome", "the task's name"),
        (str(user_id), "the user_id"),
        ("OperationalError", "the exception's type"),
    ):
        assert re.search(rf"\b{re.escape(needed)}\b", line), (
            f"the failure's log line {line!r} lacks {what} ({needed!r}){what_failed(caplog)}: "
            f"a retry needs the task, its user_id and what failed, type(error).__name__ "
            f"({TASKS})"
        )
    logged = caplog.text
    assert stored_hash(own_engine, user_id) not in logged and PASSWORD not in logged, (
        f"the failure's log line holds the user's password or its hash ({TASKS})"
    )


# --- 19.3: the route adds the task ------------------------------------------------------------


@pytest.mark.exercise("19.3")
def test_a_sign_up_writes_a_welcome_to_the_outbox(
    client: TestClient, own_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    user = new_user()
    with caplog.at_level(logging.INFO, logger="app.tasks"):
        r = client.post(USERS, json=user)
    assert r.status_code == 201, f"POST {USERS} answered {why(r)}"
    row = welcome_row(own_engine, r.json()["id"])
    assert row is not None, (
        f"POST {USERS} answered 201 and no outbox row names the new user{what_failed(caplog)}: "
        f"background_tasks.add_task(tasks.send_welcome, user.id, sessions) in create_user "
        f"({ROUTE})"
    )
    assert (row["kind"], row["recipient"]) == ("welcome", user["email"]), (
        f"the outbox row is {row['kind']!r} to {row['recipient']!r}, not 'welcome' to the "
        f"new user's email ({SERVICE})"
    )
    assert "Wendy" in row["subject"] and PASSWORD not in row["body"], (
        f"the welcome mail is {row['subject']!r}: the name, never the password ({SERVICE})"
    )
    assert abs(datetime.now(UTC) - as_utc(row["created_at"])) < timedelta(minutes=1), (
        f"the outbox row's created_at is {row['created_at']!r}, not now in UTC ({SERVICE})"
    )
    assert (row["attempts"], row["last_error"], row["sent_at"]) == (0, None, None), (
        f"a new outbox row has attempts={row['attempts']!r}, last_error={row['last_error']!r}, "
        f"sent_at={row['sent_at']!r}: 0, None, None, nobody has tried to deliver it yet"
    )


def test_a_refused_sign_up_writes_no_welcome(client: TestClient, own_engine: Engine) -> None:
    user = new_user()
    r = client.post(USERS, json=user)
    assert r.status_code == 201, f"POST {USERS} answered {why(r)}"
    again = client.post(USERS, json={**user, "name": "Other"})
    assert again.status_code == 409, f"the same email again answered {why(again)}, not 409"
    count = stored_value(
        own_engine, "SELECT COUNT(*) FROM outbox WHERE recipient = :e", e=user["email"]
    )
    assert count <= 1, (
        f"{count} welcome mails for one email: the 409 of a taken email adds no task; add it "
        f"after users.sign_up returned ({ROUTE})"
    )


def drive(app: FastAPI, payload: dict[str, str], timeline: list[str]) -> Any:
    """POST the sign-up to the ASGI app itself, as a server would, noting in `timeline` when
    the last message of the response (the end of its body) goes out; the status, and what
    the app raised after the response (None)."""

    async def run() -> tuple[int, str | None]:
        body = json.dumps(payload).encode()
        answered = asyncio.Event()
        status: list[int] = []
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": USERS,
            "raw_path": USERS.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [
                (b"host", b"testserver"),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        requested = False

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": body, "more_body": False}
            await answered.wait()  # the client stays until the answer is complete
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                timeline.append("the response was sent")
                answered.set()

        try:
            await app(scope, receive, send)
        except Exception as error:  # the learner's code: after the response, nobody catches it
            return (status or [0])[0], f"{type(error).__name__}: {error}"
        return (status or [0])[0], None

    return run


@pytest.mark.exercise("19.3")
def test_the_response_is_sent_before_the_task_runs(
    app: FastAPI, client: TestClient, task_sessions: Any, own_engine: Engine
) -> None:
    timeline: list[str] = []
    task_sessions(Recorder(timeline, app_session_factory()))
    status, raised = client.portal.call(drive(app, new_user(), timeline))
    assert status == 201, (
        f"POST {USERS} answered {status}{f' ({raised})' if raised else ''}, not 201: "
        f"background_tasks.add_task(...) returns None, never await it ({ROUTE})"
    )
    assert "the task opened its session" in timeline, (
        f"the sign-up's task never ran{f' ({raised})' if raised else ''}: add it to the "
        f"background_tasks parameter FastAPI gives the route, never to a BackgroundTasks() "
        f"of your own, and give add_task the function, not a call of it ({ROUTE})"
    )
    assert timeline[0] == "the response was sent", (
        f"the task ran before the response was sent ({', then '.join(timeline)}): the client "
        f"waited for the mail; add_task(tasks.send_welcome, ...), never await the task in "
        f"the route ({ROUTE})"
    )


@pytest.mark.exercise("19.3")
def test_a_failed_task_keeps_the_201_and_the_user(
    client: TestClient, task_sessions: Any, own_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    task_sessions(locked_sessions())
    user = new_user()
    with caplog.at_level(logging.INFO, logger="app.tasks"):
        r = client.post(USERS, json=user)
    assert r.status_code == 201, f"POST {USERS} with a failing welcome task answered {why(r)}"
    user_id = r.json()["id"]
    stored = stored_value(own_engine, "SELECT email FROM users WHERE id = :id", id=user_id)
    assert stored == user["email"], (
        f"the user of a sign-up whose welcome task failed is not stored ({stored!r}): sign "
        f"up first (the service commits), then add the task ({ROUTE})"
    )
    assert outbox_rows(own_engine, user_id) == 0, "a failed COMMIT wrote an outbox row"
    failures = [r for r in caplog.records if r.name == "app.tasks" and r.levelno >= logging.WARNING]
    assert failures, (
        f"a sign-up whose welcome task fails logged nothing on app.tasks{raised()}: the route "
        f"adds the task, background_tasks.add_task(tasks.send_welcome, user.id, sessions) "
        f"({ROUTE})"
    )
    line = failures[-1].getMessage()
    assert re.search(rf"\b{user_id}\b", line), (
        f"the failed task's log line {line!r} names another user than the new one ({user_id}): "
        f"add_task gets the stored user's id, user.id ({ROUTE})"
    )
    assert PASSWORD not in caplog.text, (
        f"the password of the sign-up is in the log: a task is given the user's id, never "
        f"the request's data ({ROUTE})"
    )


def test_the_outbox_table_has_its_bounds(client: TestClient) -> None:
    model = import_app_module("app.models").OutboxMessage  # type: ignore[attr-defined]
    columns = model.__table__.columns
    for name in ("kind", "recipient", "subject", "body", "last_error"):
        length = getattr(columns[name].type, "length", None)
        assert length, f"outbox.{name} has no length: a String(n) column (app/models/outbox.py)"


# --- for real ---------------------------------------------------------------------------


@pytest.mark.slow
def test_a_sign_up_over_real_http_gets_its_welcome(
    live_server: LiveServer, own_engine: Engine
) -> None:
    import time

    # The server is shared by every slow test of the check: read only what this sign-up logs.
    logged_before = len(live_server.log())
    r = live_server.post(USERS, json=new_user())
    assert r.status_code == 201, f"POST {USERS} over HTTP answered {why(r)}"
    deadline = time.monotonic() + 10
    while outbox_rows(own_engine, r.json()["id"]) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert outbox_rows(own_engine, r.json()["id"]) == 1, (
        f"10 s after the 201 of POST {USERS} under uvicorn, no welcome mail in the outbox "
        f"(server.log() shows the task's errors) ({ROUTE})"
    )
    assert "Exception in ASGI application" not in live_server.log()[logged_before:], (
        "the server logged an exception after a sign-up: a background task catches and logs "
        f"its own errors ({TASKS})"
    )
