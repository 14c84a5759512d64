"""The app's settings, in one place.

A plain, frozen object for now: chapter 21 replaces it with pydantic-settings,
which reads the same names from the environment and from a .env file.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

from app import __version__

# The folder that holds app/: the default database file goes there, wherever the
# app is started from (a relative "sqlite:///./app.db" follows the current folder).
WORKSPACE_DIR = Path(__file__).resolve().parents[2]


def database_url_from_environment() -> str:
    """DATABASE_URL when the environment sets it, else the SQLite file app.db next to app/."""
    return os.environ.get("DATABASE_URL", f"sqlite:///{WORKSPACE_DIR / 'app.db'}")


@dataclass(frozen=True)
class Settings:
    PROJECT_NAME: str = "FastAPI Mastery Workbook"
    VERSION: str = __version__
    API_V1_PREFIX: str = "/api/v1"
    # Secure cookies travel over HTTPS only: True wherever the app is served over HTTPS.
    # False here so that the cookie works on http://127.0.0.1 while you develop.
    COOKIE_SECURE: bool = False
    # How long a bearer token of POST /auth/token opens the API, and how many the
    # server keeps at most (chapter 15's tokens live in memory; 16's are signed JWTs).
    ACCESS_TOKEN_SECONDS: int = 1800
    MAX_ACCESS_TOKENS: int = 10_000
    # The most one request may upload: one file, or all the files of a batch.
    MAX_UPLOAD_BYTES: int = 1_048_576
    # The most files one upload may carry (a batch), and the largest body of every
    # other route: a user or an item in JSON is a few hundred bytes, 64 KiB is room.
    MAX_UPLOAD_FILES: int = 20
    MAX_BODY_BYTES: int = 65_536
    # What the client declares as each file's type; an allow-list, never a deny-list.
    ALLOWED_UPLOAD_TYPES: tuple[str, ...] = (
        "text/plain",
        "text/csv",
        "image/png",
        "image/jpeg",
        "application/pdf",
    )
    # Read when Settings() is created (a default_factory), not when the module is
    # imported: tests and deployments set the variable first.
    DATABASE_URL: str = field(default_factory=database_url_from_environment)


settings = Settings()
