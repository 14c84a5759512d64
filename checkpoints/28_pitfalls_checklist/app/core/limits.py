"""Body limits, counted while the body arrives, for every route.

A Content-Length over the limit is refused before a byte is read. A body sent
without one (chunked) is counted as it streams and refused as soon as it passes
the limit: without this, Starlette would parse, and spool to disk, a whole
multipart body before any route could look at its size.
"""

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import settings
from app.core.errors import error_response

# Both versions serve the same upload routes (chapter 23).
UPLOADS = (f"{settings.API_V1_PREFIX}/files", f"{settings.API_V2_PREFIX}/files")
# Room for what multipart adds around the files: boundaries and part headers.
FORM_OVERHEAD = 16 * 1024


def limit_for(path: str) -> int:
    """The most bytes a request body may have: an upload's under /files, else a JSON body's."""
    if any(path == prefix or path.startswith(f"{prefix}/") for prefix in UPLOADS):
        return settings.MAX_UPLOAD_BYTES + FORM_OVERHEAD
    return settings.MAX_BODY_BYTES


def too_large(what: str, limit: int) -> str:
    return f"{what} is over the limit of {limit} bytes"


class BodyLimitMiddleware:
    """A pure ASGI middleware: it sees the body as the messages that carry it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            response = error_response(
                413, "payload_too_large", too_large(f"A declared body of {declared} bytes", limit)
            )
            await response(scope, receive, send)
            return
        received = 0

        async def receive_counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException: FastAPI lets it out of its body parsing (any other
                    # error there becomes a 400), and the handler of chapter 08 answers
                    # the 413 envelope. The rest of the body is never read.
                    raise HTTPException(413, too_large("The request body", limit))
            return message

        await self.app(scope, receive_counted, send)
