"""Entry point: `uvicorn app.main:app` serves the `app` object defined here.

main.py builds the app from the settings and its lifespan (what runs at startup
and at shutdown), registers the middleware and the exception handlers, and
includes the routers. New routes go into route modules under app/api/; only the
welcome routes of chapters 01 and 02 live here.
"""

import platform

import fastapi
from fastapi_offline import FastAPIOffline

from app.api.v1.router import api_router
from app.api.v1.routes import health
from app.core.config import settings
from app.core.errors import register_exception_handlers
from app.core.lifespan import lifespan
from app.core.limits import BodyLimitMiddleware
from app.core.middleware import log_requests
from app.schemas.error import ERROR_RESPONSES

# FastAPIOffline: FastAPI whose /docs and /redoc serve their scripts from the app, no CDN.
# responses=: the docs of every route show the error envelope for 4XX and 5XX answers.
# lifespan=: startup and shutdown, in one function (app/core/lifespan.py).
app = FastAPIOffline(
    title=settings.PROJECT_NAME,
    version=settings.VERSION,
    responses=ERROR_RESPONSES,
    lifespan=lifespan,
)

# A body over its limit is refused while it arrives (app/core/limits.py). Added before
# log_requests, so inside it: log_requests reads the body in a task group of its own,
# which would wrap the limit's HTTPException in an ExceptionGroup (a 400, not a 413).
app.add_middleware(BodyLimitMiddleware)

# Wraps every request: routing, validation and the routes, 404s and 422s included.
app.middleware("http")(log_requests)

# Every error, whoever raises it, answers {"error": {"code", "message", "details"}}.
register_exception_handlers(app)

# Load balancers and orchestrators probe /health at the root, whatever the API version.
app.include_router(health.router)
app.include_router(api_router, prefix=settings.API_V1_PREFIX)


@app.get("/")
async def read_root() -> dict[str, str]:
    """Greet whoever calls the root of the API."""
    return {"message": "Hello, FastAPI!"}


@app.get("/hello/{name}")
async def say_hello(name: str, shout: bool = False) -> dict[str, str]:
    """Greet someone by name; `?shout=true` makes the greeting upper-case."""
    message = f"Hello, {name}!"
    if shout:
        message = message.upper()
    return {"message": message}


# Public, for bug reports and for checking what a deployment runs. Versions also
# tell an attacker which known vulnerabilities to try: a public production
# service may answer only the app's version, or only to authenticated users.
@app.get("/version")
async def read_version() -> dict[str, str]:
    """The versions of the app, of Python and of FastAPI."""
    return {
        "app": settings.VERSION,
        "python": platform.python_version(),
        "fastapi": fastapi.__version__,
    }
