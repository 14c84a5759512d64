"""The app's settings, in one place: pydantic-settings reads them from the environment and .env.

Every name is a variable of the environment (ENVIRONMENT, SECRET_KEY, DATABASE_URL, ...);
.env next to app/ may hold them too (the environment wins), and .env.example lists them
all. A wrong value stops the start with one line that names the variable and the fix.

get_settings() builds them once per process (lru_cache): a route takes them as a
dependency (SettingsDep), which a test overrides; what is configured once at import
(the middleware in main.py, the bcrypt context, the JWT key, the engine) reads
`settings`, the same object, made when this module is imported.

Since chapter 18 the settings know where they run (ENVIRONMENT): in production
the app refuses to start with a setting that is unsafe there (startup_problems).
Since chapter 23 they say when version 1 was deprecated and when it goes away, and since
chapter 26 which token opens /metrics (METRICS_TOKEN).
Since chapter 27 they say who migrates the database, and how long readiness waits for it.
"""

import os
import secrets
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit

from annotated_types import Ge, Le, MaxLen
from fastapi import Depends
from pydantic import AwareDatetime, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app import __version__

# The folder that holds app/: the default database file and .env go there, wherever the
# app is started from (a relative "sqlite:///./app.db" or ".env" follows the current folder).
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
# The settings whose value an error message never repeats.
SECRETS = frozenset(
    {"SECRET_KEY", "FIRST_ADMIN_PASSWORD", "DATABASE_URL", "REDIS_URL", "METRICS_TOKEN"}
)


class DatabaseURL(SecretStr):
    """A database URL that shows itself without its password: postgresql://app:***@db/app."""

    def _display(self) -> str:
        return make_url(self.get_secret_value()).render_as_string(hide_password=True)


def random_key_in_development(data: dict[str, Any]) -> SecretStr:
    """SECRET_KEY when unset: a random key in development, "" in production (then refused).

    Never a default written in the code: whoever reads the code could sign tokens. A random
    key is safe but lasts one process: set SECRET_KEY (secrets.token_urlsafe(32)) for tokens
    that survive a restart or work on a second worker.
    """
    if data.get("ENVIRONMENT") == "production":
        return SecretStr("")
    return SecretStr(secrets.token_urlsafe(32))


# A comma-separated variable ("a, b,") is a tuple of names: NoDecode keeps pydantic-settings
# from reading it as JSON (its way with tuples and lists); split_commas splits it.
CommaList = Annotated[tuple[str, ...], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        # .env next to app/ (copy .env.example there); the environment wins over it.
        env_file=WORKSPACE_DIR / ".env",
        env_file_encoding="utf-8",
        # VARIABLE= (empty) counts as unset: the default applies.
        env_ignore_empty=True,
        # Names .env holds for other tools (docker compose reads the same file) are left
        # alone; "forbid" would refuse to start for each of them.
        extra="ignore",
        # Read once, never changed: a test builds other settings instead (model_copy).
        frozen=True,
    )

    PROJECT_NAME: str = Field(default="FastAPI Mastery Workbook", min_length=1, max_length=100)
    # Facts of the code, not of a deployment: no variable changes them.
    VERSION: ClassVar[str] = __version__
    API_V1_PREFIX: ClassVar[str] = "/api/v1"
    API_V2_PREFIX: ClassVar[str] = "/api/v2"
    # Version 1 is deprecated since V1_DEPRECATED_AT and goes away at V1_SUNSET: every v1
    # answer says both (app/core/deprecation.py). Dates of a decision, not of the clock: an
    # ISO 8601 time with its zone ("2027-06-30T00:00:00Z"), between 2000 and 2100.
    V1_DEPRECATED_AT: AwareDatetime = datetime(2026, 1, 1, tzinfo=UTC)
    V1_SUNSET: AwareDatetime = datetime(2027, 1, 1, tzinfo=UTC)
    # "development" (the default) or "production": production refuses unsafe settings,
    # sends Strict-Transport-Security, marks cookies Secure and seeds no demo users.
    ENVIRONMENT: str = Field(default="development", max_length=20)
    # Secure cookies travel over HTTPS only: on in production (the default there). Off in
    # development, so that the cookie works on http://127.0.0.1.
    COOKIE_SECURE: bool = Field(
        default_factory=lambda data: data.get("ENVIRONMENT") == "production"
    )
    # The browser origins (scheme://host[:port]) whose pages may call the API with the
    # user's cookies; none by default: no cross-origin access. Never "*" (refused).
    CORS_ORIGINS: CommaList = ()
    # The Host names the app answers to; any other is a 400. "*" (any) by default, so that
    # 127.0.0.1, TestClient's "testserver" and a JupyterHub's own name all work while you
    # develop; production must name its hosts ("api.example.com,*.example.com").
    TRUSTED_HOSTS: CommaList = ("*",)
    # Failed logins within the window, per account (the lower-cased email) and per client
    # address, before POST /auth/token answers 429 (app/core/throttle.py).
    LOGIN_MAX_FAILURES: int = Field(default=5, ge=1, le=1_000_000)
    LOGIN_MAX_FAILURES_PER_CLIENT: int = Field(default=20, ge=1, le=1_000_000)
    LOGIN_WINDOW_SECONDS: int = Field(default=300, ge=1, le=86_400)
    # The most accounts and clients the throttle remembers at once (the oldest go first).
    LOGIN_MAX_TRACKED: int = Field(default=10_000, ge=1, le=1_000_000)
    # How long a bearer token of POST /auth/token opens the API, and how many the
    # server keeps at most (chapter 15's tokens live in memory; 16's are signed JWTs).
    ACCESS_TOKEN_SECONDS: int = Field(default=1800, ge=1, le=86_400)
    MAX_ACCESS_TOKENS: int = Field(default=10_000, ge=1, le=1_000_000)
    # The key that signs the JWTs (a SecretStr: its repr is '**********'), and the one
    # algorithm they are signed and checked with.
    SECRET_KEY: SecretStr = Field(default_factory=random_key_in_development)
    JWT_ALGORITHM: ClassVar[str] = "HS256"
    # bcrypt's cost: each +1 doubles the time of a hash. 12 takes about 0.25 s here.
    BCRYPT_ROUNDS: int = Field(default=12, ge=4, le=31)
    # How many bcrypt hashes may run at once (chapter 25), in the thread pool: one per CPU
    # core by default. More would not hash faster, and would take threads from the rest.
    HASH_CONCURRENCY: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=256)
    # The most one request may upload: one file, or all the files of a batch.
    MAX_UPLOAD_BYTES: int = Field(default=1_048_576, ge=1, le=104_857_600)
    # The most files one upload may carry (a batch), and the largest body of every
    # other route: a user or an item in JSON is a few hundred bytes, 64 KiB is room.
    MAX_UPLOAD_FILES: int = Field(default=20, ge=1, le=1000)
    MAX_BODY_BYTES: int = Field(default=65_536, ge=1, le=10_485_760)
    # What the client declares as each file's type; an allow-list, never a deny-list.
    ALLOWED_UPLOAD_TYPES: CommaList = (
        "text/plain",
        "text/csv",
        "image/png",
        "image/jpeg",
        "application/pdf",
    )
    # The first admin (app/core/first_admin.py), made at startup when both are set.
    FIRST_ADMIN_EMAIL: str = Field(default="", max_length=254)
    FIRST_ADMIN_PASSWORD: SecretStr = Field(default=SecretStr(""), max_length=256)
    # The bearer token that opens GET /metrics (app/api/v1/routes/metrics.py); empty: open
    # in development, not served in production.
    METRICS_TOKEN: SecretStr = Field(default=SecretStr(""), max_length=256)
    # The SQLite file app.db next to app/ unless the environment names another database.
    DATABASE_URL: DatabaseURL = Field(
        default_factory=lambda: DatabaseURL(f"sqlite:///{WORKSPACE_DIR / 'app.db'}")
    )
    # The catalogue's cache (chapter 25): how long a listing page is kept, and how many
    # pages this process keeps at most. REDIS_URL (redis://host:6379/0) shares the cache
    # between the workers; unset, or unreachable at startup, the cache is in this process.
    CACHE_TTL_SECONDS: int = Field(default=30, ge=1, le=86_400)
    CACHE_MAX_ENTRIES: int = Field(default=1000, ge=1, le=1_000_000)
    REDIS_URL: SecretStr = Field(default=SecretStr(""), max_length=2048)
    # What every key of this app starts with in Redis: two apps (or two test runs) that
    # share a Redis server never read each other's entries.
    CACHE_KEY_PREFIX: str = Field(default="workbook", min_length=1, max_length=100)
    # Whether the lifespan upgrades the database to the newest migration (chapter 27): one
    # process (uvicorn, the check, the notebook) migrates itself. Never several workers at
    # once: gunicorn.conf.py turns it off for its workers, and start.sh migrates before them.
    MIGRATE_ON_STARTUP: bool = True
    # How long GET /health/ready waits for the database before it answers 503.
    READINESS_TIMEOUT_SECONDS: float = Field(default=2.0, gt=0, le=30)

    @field_validator("ENVIRONMENT", mode="before")
    @classmethod
    def lower_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("CORS_ORIGINS", "TRUSTED_HOSTS", "ALLOWED_UPLOAD_TYPES", mode="before")
    @classmethod
    def split_commas(cls, value: object) -> object:
        """A variable's text "a, b," as ("a", "b"); a default or a tuple as it is."""
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("V1_DEPRECATED_AT", "V1_SUNSET")
    @classmethod
    def a_date_of_this_century(cls, value: datetime) -> datetime:
        """Between 2000 and 2100 (a typo of a year, 20227, is refused), in UTC."""
        if not datetime(2000, 1, 1, tzinfo=UTC) <= value < datetime(2100, 1, 1, tzinfo=UTC):
            raise ValueError("between 2000 and 2100")
        return value.astimezone(UTC)

    @field_validator("DATABASE_URL")
    @classmethod
    def a_database_url(cls, value: DatabaseURL) -> DatabaseURL:
        """A URL SQLAlchemy reads, of a database the app runs on (app/db/session.py)."""
        try:
            backend = make_url(value.get_secret_value()).get_backend_name()
        except ArgumentError:
            raise ValueError("a database URL") from None
        if backend not in ("sqlite", "postgresql"):
            raise ValueError("a database URL")
        return value

    @field_validator("REDIS_URL")
    @classmethod
    def a_redis_url(cls, value: SecretStr) -> SecretStr:
        """Empty (no Redis), or a URL that redis-py reads: redis://, rediss:// or unix://."""
        url = value.get_secret_value()
        if url and urlsplit(url).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("a Redis URL")
        return value

    @property
    def is_production(self) -> bool:
        return self.ENVIRONMENT == "production"


def what_is_wanted(name: str, fallback: str) -> str:
    """What a setting must be, in words: "an integer between 4 and 31"."""
    field = Settings.model_fields.get(name)
    if field is None:
        return fallback
    low = next((m.ge for m in field.metadata if isinstance(m, Ge)), None)
    high = next((m.le for m in field.metadata if isinstance(m, Le)), None)
    if field.annotation is int and low is not None and high is not None:
        return f"an integer between {low} and {high}"
    if name in ("V1_DEPRECATED_AT", "V1_SUNSET"):
        return 'a date and time with its zone, between 2000 and 2100 ("2027-01-01T00:00:00Z")'
    if name == "REDIS_URL":
        return 'empty, or a Redis URL ("redis://127.0.0.1:6379/0")'
    if name == "DATABASE_URL":
        return 'a SQLite or PostgreSQL URL ("sqlite:///./app.db", "postgresql://user:pw@host/db")'
    if field.annotation is bool:
        return "true or false"
    longest = next((m.max_length for m in field.metadata if isinstance(m, MaxLen)), None)
    if longest is not None:
        return f"at most {longest} characters"
    return fallback


def settings_errors(error: ValidationError) -> list[str]:
    """One line per wrong setting: its name, what it must be, and what it was (not a secret)."""
    lines = []
    for problem in error.errors():
        if problem["type"] == "default_factory_not_called":
            continue  # a default that waits for another setting, itself wrong: named already
        name = str(problem["loc"][0]) if problem["loc"] else "a setting"
        wanted = what_is_wanted(name, f"valid ({problem['msg']})")
        shown = repr(problem["input"])
        shown = shown if len(shown) <= 60 else f"{shown[:56]}...{shown[-1]}"
        got = "" if name in SECRETS else f" (got {shown})"
        lines.append(f"{name} must be {wanted}{got}")
    return lines


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once from the environment and .env.

    A wrong value stops the process with a SystemExit that names each variable and what it
    must be: uvicorn prints the message on stderr and exits with status 1, no traceback.
    """
    try:
        return Settings()
    except ValidationError as error:
        lines = "\n".join(f"- {line}" for line in settings_errors(error))
        raise SystemExit(
            f"The app cannot start: fix these settings in the environment or in .env "
            f"(.env.example lists them all):\n{lines}"
        ) from None


# A route's settings: `settings: SettingsDep`; a test swaps them with
# app.dependency_overrides[get_settings].
SettingsDep = Annotated[Settings, Depends(get_settings)]


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

    In any environment: an unknown ENVIRONMENT, a wrong CORS origin or host pattern (the
    bounds of the numbers are the fields' own: Settings() refuses a login limit under 1).
    In production also: a weak SECRET_KEY, TRUSTED_HOSTS left at "*", COOKIE_SECURE=false.
    """
    problems = []
    if s.ENVIRONMENT not in ENVIRONMENTS:
        problems.append(f"ENVIRONMENT is {s.ENVIRONMENT!r}: set it to development or production")
    problems += [p for p in map(origin_problem, s.CORS_ORIGINS) if p]
    problems += [p for p in map(host_problem, s.TRUSTED_HOSTS) if p]
    if s.V1_SUNSET <= s.V1_DEPRECATED_AT:
        problems.append(
            "V1_SUNSET is not after V1_DEPRECATED_AT: a version is deprecated first, then "
            "removed; set V1_SUNSET to a later date"
        )
    if s.is_production:
        key = secret_key_problem(s.SECRET_KEY.get_secret_value())
        if key:
            problems.append(f"{key}: set SECRET_KEY to a new random key, made with {MAKE_A_KEY}")
        if "*" in s.TRUSTED_HOSTS or not s.TRUSTED_HOSTS:
            problems.append(
                'TRUSTED_HOSTS is "*" (any Host): set it to the names the app is served '
                'under, comma-separated ("api.example.com,*.example.com")'
            )
        if not s.COOKIE_SECURE:
            problems.append(
                "COOKIE_SECURE is false: in production the session cookie travels over HTTPS "
                "only; remove COOKIE_SECURE from the environment"
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


# The settings this process started with (get_settings() is cached: the same object).
settings = get_settings()
