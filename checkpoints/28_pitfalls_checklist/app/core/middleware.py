"""HTTP middleware: code that runs around every request, outside routing and validation."""

import logging
import time

from fastapi import Request, Response
from starlette.middleware.base import RequestResponseEndpoint

# A named logger, not print(): whoever runs the app decides where its lines go and
# which levels show (uvicorn's --log-config in this chapter, structured logs in 26).
logger = logging.getLogger("app.requests")


async def log_requests(request: Request, call_next: RequestResponseEndpoint) -> Response:
    """Time the request, log one line about it, and send the duration as X-Process-Time."""
    start = time.perf_counter()
    response = await call_next(request)
    duration = time.perf_counter() - start
    response.headers["X-Process-Time"] = f"{duration:.6f}"
    # The path only: a query string can carry search terms, emails or tokens.
    logger.info(
        "%s %s %d %.1fms", request.method, request.url.path, response.status_code, duration * 1000
    )
    return response
