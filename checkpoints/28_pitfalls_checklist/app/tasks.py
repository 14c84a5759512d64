"""Background tasks: work that runs after the response is sent (FastAPI's BackgroundTasks).

A route adds a task with background_tasks.add_task(func, *args); FastAPI sends the
response, then awaits the task (an async def on the event loop, a plain def in the
thread pool), in the same process. Nobody waits for its result and nobody sees its
exception: a task catches its own errors and logs them, with what a retry needs.
"""

import logging
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import SessionLocal
from app.services.outbox import OutboxService

# Where every task logs: its name, the ids it was given, what failed. Never a password or a
# token (a task is given ids, not the request's data) and never the message itself.
logger = logging.getLogger("app.tasks")

# What a task opens its sessions with: app.db.session.SessionLocal, or a test's own.
SessionFactory = Callable[[], AsyncSession]


def get_task_sessions() -> SessionFactory:
    """The session factory of background tasks: SessionLocal.

    A dependency, so that a route hands it to the task it adds, and a test swaps it
    (app.dependency_overrides[get_task_sessions]) for one whose database fails.
    """
    return SessionLocal


# What a route declares: `sessions: TaskSessions`.
TaskSessions = Annotated[SessionFactory, Depends(get_task_sessions)]


async def send_welcome(user_id: int, sessions: SessionFactory) -> None:
    """Write the welcome mail of a new user to the outbox, after the sign-up's response.

    Its own session: the request's belongs to the request, whose dependencies FastAPI
    closes when it chooses, and a task may outlive it. Nothing is raised: the 201 is
    sent already, the user is stored, and an exception here would only reach the server's
    log as a bare traceback. The log line says what a retry needs.
    """
    try:
        async with sessions() as db:
            await OutboxService(db).add_welcome(user_id)
    except Exception as error:
        logger.error(
            "task send_welcome failed for user_id=%d: %s; the sign-up is committed, its "
            "welcome mail is not: run send_welcome(%d) again",
            user_id,
            type(error).__name__,
            user_id,
            exc_info=True,
        )
        return
    logger.info("task send_welcome: welcome mail of user_id=%d in the outbox", user_id)
