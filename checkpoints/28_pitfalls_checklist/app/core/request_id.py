"""The request id: one name for everything the app does while it handles one request.

A client, a proxy or the service that calls us may send X-Request-ID; we keep it when it is
a safe token, so that the lines of both services carry the same id. Anything else (too
long, a newline that would start a forged log line, quotes, spaces, a non-ASCII letter) is
dropped, and a new id is made. The id goes back in the X-Request-ID header of the answer,
and into every log line written while the request runs (app/core/logs.py reads it here).
"""

import re
import uuid
from contextvars import ContextVar

from starlette.types import Scope

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits, ".", "_" and "-", 1 to 64 of them: a UUID (36), a hex id (32), a
# proxy's id. Never CR, LF, quotes or spaces: the header goes into logs and answers.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# The id of the request this task is handling; None outside a request. A ContextVar, not
# a global: every request runs in a task of its own, with a copy of the context, so two
# requests served at once never see each other's id.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_from(scope: Scope) -> str:
    """The request's id: its X-Request-ID header when SAFE_REQUEST_ID matches it, else a new one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":  # ASGI header names are lower-case bytes
            # At most 64 characters are any use: a longer header is not read further.
            text: str = value[:65].decode("latin-1")
            if SAFE_REQUEST_ID.fullmatch(text):
                return text
            break
    return str(uuid.uuid4())
