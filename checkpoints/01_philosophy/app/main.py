"""Entry point: `uvicorn app.main:app` serves the `app` object defined here."""

from fastapi_offline import FastAPIOffline

# FastAPIOffline is FastAPI whose /docs and /redoc pages load their scripts
# from this app instead of a CDN: they work with no internet.
app = FastAPIOffline(title="FastAPI Mastery Workbook")


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
