"""Entry point: `uvicorn app.main:app` serves the `app` object defined here.

main.py builds the app from the settings and its lifespan (what runs at startup
and at shutdown), registers the middleware and the exception handlers, and
includes the routers. New routes go into route modules under app/api/; only the
welcome routes of chapters 01 and 02 live here. Since chapter 18 it refuses to start
with settings that are unsafe (app/core/config.py), and wraps every answer in the
security headers. Since chapter 23 it serves two versions: /api/v2, and /api/v1 for the
clients that have not moved yet, deprecated (marked so in /openapi.json and in the headers
of every v1 answer, app/core/deprecation.py).
"""

import platform

import fastapi
from fastapi_offline import FastAPIOffline

from app.api.v1.router import api_router
from app.api.v1.routes import health, metrics
from app.api.v2.router import api_router as api_v2_router
from app.core.config import refuse_unsafe_settings, settings
from app.core.cors import EnvelopeCORSMiddleware
from app.core.deprecation import DeprecationMiddleware
from app.core.errors import register_exception_handlers
from app.core.hosts import TrustedHostsMiddleware
from app.core.lifespan import lifespan
from app.core.limits import BodyLimitMiddleware
from app.core.middleware import RequestLogMiddleware
from app.core.security_headers import add_security_headers
from app.schemas.error import ERROR_RESPONSES

# Before anything is served: a production start with a weak SECRET_KEY, "*" in CORS_ORIGINS
# or TRUSTED_HOSTS (and a few more) stops here, with the reasons and the fix on stderr.
refuse_unsafe_settings(settings)


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
# RequestLogMiddleware, so inside it. Until chapter 26 the request log was a
# @app.middleware("http") function, which reads the body in a task group of its own and
# wrapped the limit's HTTPException in an ExceptionGroup (a 400, not a 413); since 26 it is
# a pure ASGI middleware that passes the body as it comes, like every other of ours.
app.add_middleware(BodyLimitMiddleware)

# Wraps every request: routing, validation and the routes, 404s and 422s included. The
# request id, X-Process-Time, one log line and the metrics (app/core/middleware.py).
app.add_middleware(RequestLogMiddleware)

# Added last, so outside the two above (each add_middleware wraps the ones before it).
# CORS: the browser origins listed in CORS_ORIGINS, and no other, may call the API with
# credentials; the answers of the body limit and of every error carry its headers too.
app.add_middleware(
    EnvelopeCORSMiddleware,
    allow_origins=list(settings.CORS_ORIGINS),
    allow_credentials=True,
    allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    allow_headers=["Authorization", "Content-Type"],
    # Readable by the page's script: a 429's Retry-After is not among the headers a
    # browser shows a cross-origin script by default, nor the X-Request-ID of chapter 26.
    expose_headers=["Retry-After", "X-Request-ID"],
    max_age=600,
)
# The outermost of ours: a request for a Host not in TRUSTED_HOSTS goes no further (400).
app.add_middleware(TrustedHostsMiddleware, allowed_hosts=settings.TRUSTED_HOSTS)
# Around that too: every answer under /api/v1, a 400 of a wrong Host included, says that v1
# is deprecated, when it goes away, and where its successor is.
app.add_middleware(
    DeprecationMiddleware,
    prefix=settings.API_V1_PREFIX,
    successor=settings.API_V2_PREFIX,
    deprecated_at=settings.V1_DEPRECATED_AT,
    sunset=settings.V1_SUNSET,
)

# Around everything, Starlette's own 500s included: the security headers on every answer.
add_security_headers(app, hsts=settings.is_production)

# Every error, whoever raises it, answers {"error": {"code", "message", "details"}}.
register_exception_handlers(app)

# Load balancers and orchestrators probe /health at the root, whatever the API version.
app.include_router(health.router)
# Prometheus scrapes /metrics at the root too; not in /openapi.json (app/api/v1/routes/metrics.py).
app.include_router(metrics.router)
# One document for both versions. deprecated=True: every v1 operation says "deprecated":
# true in /openapi.json, and /docs strikes it through; the routes answer as before, and so
# do v1's tags, which are part of its contract (client generators name their classes after
# them). tags=["v2"]: every v2 operation is also in a group of its own in /docs.
app.include_router(api_router, prefix=settings.API_V1_PREFIX, deprecated=True)
app.include_router(api_v2_router, prefix=settings.API_V2_PREFIX, tags=["v2"])


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
