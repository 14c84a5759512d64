"""HTTP middleware: code that runs around every request, outside routing and validation.

Since chapter 26 a pure ASGI middleware, not a @app.middleware("http") function (which
Starlette runs as a BaseHTTPMiddleware: a task group and a Response object per request).
It sees the messages as they pass: it gives the request its id, adds X-Request-ID and
X-Process-Time to the answer's first message, and once the answer is sent, logs one line
and counts the request in the metrics (app/core/metrics.py).
"""

import logging
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.metrics import IN_PROGRESS, matched, observe, route_template
from app.core.request_id import REQUEST_ID_HEADER, request_id_from, request_id_var

# A named logger, not print(): whoever runs the app decides where its lines go and
# which levels show (uvicorn's --log-config: logging.json, JSON lines since chapter 26).
logger = logging.getLogger("app.requests")


class RequestLogMiddleware:
    """Request id, X-Process-Time, one log line and the metrics of every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # the lifespan, a WebSocket: no request to time
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = request_id_from(scope)
        # Not reset at the end: the request's task ends with it, and so does its copy of
        # the context; meanwhile uvicorn's own line about an unhandled error gets the id.
        request_id_var.set(request_id)
        status = 500  # what the client gets when the app raises before it answers

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                headers["X-Process-Time"] = f"{time.perf_counter() - start:.6f}"
            await send(message)

        IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            IN_PROGRESS.dec()
            duration = time.perf_counter() - start
            route = route_template(*matched(scope))
            observe(scope["method"], route, status, duration)
            # The path only, never the query string (search terms, emails, tokens) and no
            # header: Authorization and cookies are credentials.
            logger.log(
                logging.ERROR if status >= 500 else logging.INFO,
                "%s %s %d %.1fms",
                scope["method"],
                scope["path"],
                status,
                duration * 1000,
                extra={
                    "method": scope["method"],
                    "route": route,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(duration * 1000, 1),
                },
            )
