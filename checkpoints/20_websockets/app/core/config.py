"""The app's settings, in one place.

A plain, frozen object for now: chapter 21 replaces it with pydantic-settings,
which reads the same names from the environment and from a .env file.
"""

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from app import __version__

# The folder that holds app/: the default database file goes there, wherever the
# app is started from (a relative "sqlite:///./app.db" follows the current folder).
WORKSPACE_DIR = Path(__file__).resolve().parents[2]


def secret_key_from_environment() -> str:
    """SECRET_KEY when the environment sets it, else a random key for this process only.

    Never a default written in the code: whoever reads the code could sign tokens. A random
    key is safe but lasts one process: set SECRET_KEY (secrets.token_urlsafe(32)) for tokens
    that survive a restart or work on a second worker. Chapter 18 refuses to start in
    production without one.
    """
    return os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32)


def bcrypt_rounds_from_environment() -> int:
    """BCRYPT_ROUNDS when the environment sets it (4 in tests, the fastest bcrypt takes), else 12."""
    return int(os.environ.get("BCRYPT_ROUNDS", "12"))


def first_admin_from_environment(name: str) -> str:
    """FIRST_ADMIN_EMAIL or FIRST_ADMIN_PASSWORD, "" when unset (then no admin is made)."""
    return os.environ.get(name, "")


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
    # The key that signs the JWTs, and the one algorithm they are signed and checked with.
    SECRET_KEY: str = field(default_factory=secret_key_from_environment, repr=False)
    JWT_ALGORITHM: str = "HS256"
    # bcrypt's cost: each +1 doubles the time of a hash. 12 takes about 0.25 s here.
    BCRYPT_ROUNDS: int = field(default_factory=bcrypt_rounds_from_environment)
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
    # The first admin (app/core/first_admin.py), made at startup when both are set.
    FIRST_ADMIN_EMAIL: str = field(
        default_factory=lambda: first_admin_from_environment("FIRST_ADMIN_EMAIL")
    )
    FIRST_ADMIN_PASSWORD: str = field(
        default_factory=lambda: first_admin_from_environment("FIRST_ADMIN_PASSWORD"), repr=False
    )
    # Read when Settings() is created (a default_factory), not when the module is
    # imported: tests and deployments set the variable first.
    DATABASE_URL: str = field(default_factory=database_url_from_environment)


settings = Settings()
