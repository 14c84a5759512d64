"""The app's settings, in one place.

A plain, frozen object for now: chapter 21 replaces it with pydantic-settings,
which reads the same names from the environment and from a .env file.

Since chapter 18 the settings know where they run (ENVIRONMENT): in production
the app refuses to start with a setting that is unsafe there (startup_problems).
"""

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from app import __version__

# The folder that holds app/: the default database file goes there, wherever the
# app is started from (a relative "sqlite:///./app.db" follows the current folder).
WORKSPACE_DIR = Path(__file__).resolve().parents[2]

ENVIRONMENTS = ("development", "production")
# How to make a key, as the refusal says it.
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
# Keys that tutorials, the guide (sections 15, 16 and 21) and FastAPI's docs print: whoever
# has read them can sign tokens for a server that kept one. Compared lower-cased.
KNOWN_DEFAULT_KEYS = frozenset(
    {
        "change_me",
        "changeme",
        "change-me",
        "change_me_in_production",
        "secret",
        "secret-key",
        "secret_key",
        "secretkey",
        "mysecretkey",
        "supersecret",
        "supersecretkey",
        "your-secret-key",
        "your_secret_key",
        "your-secret-key-here",
        # FastAPI's documentation (OAuth2 with JWT), copied into many apps:
        "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7",
    }
)
SECRET_KEY_MIN_LENGTH = 32


def environment_from_environment() -> str:
    """ENVIRONMENT, "development" when unset; any other word than the two is refused."""
    return os.environ.get("ENVIRONMENT", "development").strip().lower()


def secret_key_from_environment() -> str:
    """SECRET_KEY when the environment sets it; else a random key in development, "" in production.

    Never a default written in the code: whoever reads the code could sign tokens. A random
    key is safe but lasts one process: set SECRET_KEY (secrets.token_urlsafe(32)) for tokens
    that survive a restart or work on a second worker. In production an unset key stays ""
    and the app refuses to start (startup_problems).
    """
    key = os.environ.get("SECRET_KEY", "")
    if key or environment_from_environment() == "production":
        return key
    return secrets.token_urlsafe(32)


def bcrypt_rounds_from_environment() -> int:
    """BCRYPT_ROUNDS when the environment sets it (4 in tests, the fastest bcrypt takes), else 12."""
    return int(os.environ.get("BCRYPT_ROUNDS", "12"))


def first_admin_from_environment(name: str) -> str:
    """FIRST_ADMIN_EMAIL or FIRST_ADMIN_PASSWORD, "" when unset (then no admin is made)."""
    return os.environ.get(name, "")


def database_url_from_environment() -> str:
    """DATABASE_URL when the environment sets it, else the SQLite file app.db next to app/."""
    return os.environ.get("DATABASE_URL", f"sqlite:///{WORKSPACE_DIR / 'app.db'}")


def list_from_environment(name: str, default: str = "") -> tuple[str, ...]:
    """A comma-separated variable as a tuple: "a, b," is ("a", "b"); unset, the default's."""
    return tuple(part.strip() for part in os.environ.get(name, default).split(",") if part.strip())


def int_from_environment(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


@dataclass(frozen=True)
class Settings:
    PROJECT_NAME: str = "FastAPI Mastery Workbook"
    VERSION: str = __version__
    API_V1_PREFIX: str = "/api/v1"
    # "development" (the default) or "production": production refuses unsafe settings,
    # sends Strict-Transport-Security, marks cookies Secure and seeds no demo users.
    ENVIRONMENT: str = field(default_factory=environment_from_environment)
    # Secure cookies travel over HTTPS only: on in production. Off in development, so that
    # the cookie works on http://127.0.0.1.
    COOKIE_SECURE: bool = field(
        default_factory=lambda: environment_from_environment() == "production"
    )
    # The browser origins (scheme://host[:port]) whose pages may call the API with the
    # user's cookies; none by default: no cross-origin access. Never "*" (refused).
    CORS_ORIGINS: tuple[str, ...] = field(
        default_factory=lambda: list_from_environment("CORS_ORIGINS")
    )
    # The Host names the app answers to; any other is a 400. "*" (any) by default, so that
    # 127.0.0.1, TestClient's "testserver" and a JupyterHub's own name all work while you
    # develop; production must name its hosts ("api.example.com,*.example.com").
    TRUSTED_HOSTS: tuple[str, ...] = field(
        default_factory=lambda: list_from_environment("TRUSTED_HOSTS", "*")
    )
    # Failed logins within the window, per account (the lower-cased email) and per client
    # address, before POST /auth/token answers 429 (app/core/throttle.py).
    LOGIN_MAX_FAILURES: int = field(
        default_factory=lambda: int_from_environment("LOGIN_MAX_FAILURES", 5)
    )
    LOGIN_MAX_FAILURES_PER_CLIENT: int = field(
        default_factory=lambda: int_from_environment("LOGIN_MAX_FAILURES_PER_CLIENT", 20)
    )
    LOGIN_WINDOW_SECONDS: int = field(
        default_factory=lambda: int_from_environment("LOGIN_WINDOW_SECONDS", 300)
    )
    # The most accounts and clients the throttle remembers at once (the oldest go first).
    LOGIN_MAX_TRACKED: int = 10_000
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

    @property
    def is_production(self) -> bool:
        return self.ENVIRONMENT == "production"


def secret_key_problem(key: str) -> str | None:
    """What is wrong with a SECRET_KEY for production, or None when it will do."""
    if not key:
        return "SECRET_KEY is not set"
    if key.lower() in KNOWN_DEFAULT_KEYS:
        return "SECRET_KEY is a published example key: anybody can sign tokens with it"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"SECRET_KEY has {len(key)} characters, fewer than {SECRET_KEY_MIN_LENGTH}"
    if len(set(key)) < 8:
        return "SECRET_KEY repeats a few characters: it is not random"
    return None


def origin_problem(origin: str) -> str | None:
    """What is wrong with one CORS origin: a browser sends scheme://host[:port], nothing more."""
    if origin == "*":
        return (
            'CORS_ORIGINS holds "*": with credentials (cookies, Authorization) a browser '
            "refuses it, and without them any site could call the API: list the origins"
        )
    parts = urlsplit(origin)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or origin != f"{parts.scheme}://{parts.netloc}"
    ):
        return (
            f"CORS_ORIGINS holds {origin!r}: an origin is scheme://host[:port], with no path "
            'and no trailing slash ("https://app.example.com")'
        )
    return None


def host_problem(pattern: str) -> str | None:
    """What is wrong with one TRUSTED_HOSTS pattern: a name, "*.example.com", or "*"."""
    if "*" in pattern[1:] or (
        pattern.startswith("*") and pattern != "*" and not pattern.startswith("*.")
    ):
        return f'TRUSTED_HOSTS holds {pattern!r}: a wildcard only opens a name ("*.example.com")'
    return None


def startup_problems(s: Settings) -> list[str]:
    """Every reason not to start with these settings; [] when they are fine.

    In any environment: an unknown ENVIRONMENT, a wrong CORS origin, a login limit under 1.
    In production also: a weak SECRET_KEY, and TRUSTED_HOSTS left at "*".
    """
    problems = []
    if s.ENVIRONMENT not in ENVIRONMENTS:
        problems.append(f"ENVIRONMENT is {s.ENVIRONMENT!r}: set it to development or production")
    problems += [p for p in map(origin_problem, s.CORS_ORIGINS) if p]
    problems += [p for p in map(host_problem, s.TRUSTED_HOSTS) if p]
    for name in ("LOGIN_MAX_FAILURES", "LOGIN_MAX_FAILURES_PER_CLIENT", "LOGIN_WINDOW_SECONDS"):
        if getattr(s, name) < 1:
            problems.append(f"{name} is {getattr(s, name)}: it must be 1 or more")
    if s.is_production:
        key = secret_key_problem(s.SECRET_KEY)
        if key:
            problems.append(f"{key}: set SECRET_KEY to a new random key, made with {MAKE_A_KEY}")
        if "*" in s.TRUSTED_HOSTS or not s.TRUSTED_HOSTS:
            problems.append(
                'TRUSTED_HOSTS is "*" (any Host): set it to the names the app is served '
                'under, comma-separated ("api.example.com,*.example.com")'
            )
    return problems


def refuse_unsafe_settings(s: Settings) -> None:
    """Stop the process, before it serves anything, when startup_problems finds any.

    SystemExit with a message: the process prints it on stderr and exits with status 1,
    without a traceback to dig the reason out of (uvicorn, gunicorn and python -c alike).
    """
    problems = startup_problems(s)
    if problems:
        lines = "\n".join(f"- {problem}" for problem in problems)
        raise SystemExit(f"The app refuses to start (ENVIRONMENT={s.ENVIRONMENT}):\n{lines}")


settings = Settings()
