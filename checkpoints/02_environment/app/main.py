"""Entry point: `uvicorn app.main:app` serves the `app` object defined here."""

import platform

import fastapi
from fastapi_offline import FastAPIOffline

from app import __version__

# FastAPIOffline: FastAPI whose /docs and /redoc serve their scripts from the app, no CDN.
app = FastAPIOffline(title="FastAPI Mastery Workbook", version=__version__)


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
        "app": __version__,
        "python": platform.python_version(),
        "fastapi": fastapi.__version__,
    }
