"""Chapter 21: pydantic-settings, .env and .env.example, the settings as a dependency.

The tests build Settings() from variables they set (monkeypatch) and with _env_file
pointing at a file of their own, so a learner's own .env never changes a result. Where
a route reads the settings, they override get_settings (app.dependency_overrides);
where a module reads them when it runs (ensure_first_admin), they set the environment
and clear get_settings' cache, and give the cache back its first object afterwards.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from conftest import import_app_module, said, stored_value, unique, why
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_18_security_best_practices import refusal_of, uvicorn_with

from workbook.server import LiveServer

CONFIG = "app/core/config.py"
SESSION_ROUTES = "app/api/v1/routes/session.py"
EXAMPLE = ".env.example"
LOGIN = "/api/v1/session/login"
ALICE = {"email": "alice@example.com", "password": "alice-secret-1"}
GOOD_KEY = "k3Yq-7TzR0v9WmX2pLs8NdFb4HcJ6gAe1uQiOy5ZtVw"
# Every variable of chapter 19's settings, and the value it has when nothing sets it.
DEFAULTS: dict[str, Any] = {
    "PROJECT_NAME": "FastAPI Mastery Workbook",
    "ENVIRONMENT": "development",
    "COOKIE_SECURE": False,
    "CORS_ORIGINS": (),
    "TRUSTED_HOSTS": ("*",),
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_MAX_FAILURES_PER_CLIENT": 20,
    "LOGIN_WINDOW_SECONDS": 300,
    "LOGIN_MAX_TRACKED": 10_000,
    "ACCESS_TOKEN_SECONDS": 1800,
    "MAX_ACCESS_TOKENS": 10_000,
    "BCRYPT_ROUNDS": 12,
    "MAX_UPLOAD_BYTES": 1_048_576,
    "MAX_UPLOAD_FILES": 20,
    "MAX_BODY_BYTES": 65_536,
    "ALLOWED_UPLOAD_TYPES": (
        "text/plain",
        "text/csv",
        "image/png",
        "image/jpeg",
        "application/pdf",
    ),
    "FIRST_ADMIN_EMAIL": "",
}
SECRET_FIELDS = ("SECRET_KEY", "FIRST_ADMIN_PASSWORD", "DATABASE_URL")
VARIABLES = (*DEFAULTS, *SECRET_FIELDS)


def config() -> Any:
    return import_app_module("app.core.config")


def plain(value: Any) -> Any:
    """A SecretStr's text; any other value as it is."""
    return value.get_secret_value() if hasattr(value, "get_secret_value") else value


@pytest.fixture
def bare(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No variable of the settings in the environment (the check sets a few)."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def read(**env_file: Any) -> Any:
    """Settings() from the environment alone, or with the env file given (_env_file=...)."""
    return config().Settings(_env_file=env_file.get("env_file"))


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """get_settings() reads the environment again; afterwards it answers its first object."""
    cfg = config()
    first = cfg.settings
    clear = getattr(cfg.get_settings, "cache_clear", lambda: None)
    clear()
    yield monkeypatch
    clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cfg, "Settings", lambda: first)
        cfg.get_settings()


# --- the Settings class --------------------------------------------------------------------


def test_settings_are_pydantic_settings(app_dir: Path) -> None:
    from pydantic_settings import BaseSettings

    cfg = config()
    assert isinstance(cfg.Settings, type) and issubclass(cfg.Settings, BaseSettings), (
        f"Settings is not a pydantic_settings.BaseSettings: class Settings(BaseSettings) in "
        f"{CONFIG} (BaseSettings moved out of pydantic in version 2)"
    )
    env_file = cfg.Settings.model_config.get("env_file")
    assert env_file is not None and Path(env_file).resolve() == (app_dir / ".env").resolve(), (
        f"Settings read the env file {env_file!r}: the .env next to app/, "
        f'SettingsConfigDict(env_file=WORKSPACE_DIR / ".env") in {CONFIG}'
    )
    assert cfg.Settings.model_config.get("extra") in ("ignore", "forbid"), (
        f"model_config's extra is {cfg.Settings.model_config.get('extra')!r}: say what a "
        f'name of .env that is no setting does, "ignore" or "forbid" ({CONFIG})'
    )


def test_every_variable_keeps_its_default(bare: pytest.MonkeyPatch, app_dir: Path) -> None:
    s = read()
    changed = {
        name: getattr(s, name, None)
        for name, value in DEFAULTS.items()
        if getattr(s, name, None) != value
    }
    assert not changed, (
        f"with no variable set, the settings {changed} differ from chapter 19's defaults: "
        f"keep every name and default ({CONFIG})"
    )
    url = str(plain(s.DATABASE_URL))
    assert Path(url.removeprefix("sqlite:///")) == (app_dir / "app.db").resolve(), (
        f"without DATABASE_URL the database is {url!r}: the SQLite file app.db next to app/ "
        f"({CONFIG})"
    )
    first, second = plain(s.SECRET_KEY), plain(read().SECRET_KEY)
    assert len(first) >= 32 and first != second, (
        f"without SECRET_KEY, development gets a key of {len(first)} characters, the same in "
        f"two Settings(): a new random one, secrets.token_urlsafe(32) ({CONFIG})"
    )
    assert plain(s.FIRST_ADMIN_PASSWORD) == "", f"FIRST_ADMIN_PASSWORD has a default ({CONFIG})"


def test_the_variables_are_read_by_their_names(bare: pytest.MonkeyPatch) -> None:
    values = {
        "BCRYPT_ROUNDS": "5",
        "LOGIN_WINDOW_SECONDS": "60",
        "FIRST_ADMIN_EMAIL": "root@example.com",
        "ENVIRONMENT": " Production ",
        "SECRET_KEY": GOOD_KEY,
    }
    for name, value in values.items():
        bare.setenv(name, value)
    s = read()
    got = (s.BCRYPT_ROUNDS, s.LOGIN_WINDOW_SECONDS, s.FIRST_ADMIN_EMAIL, s.ENVIRONMENT)
    assert got == (5, 60, "root@example.com", "production"), (
        f"BCRYPT_ROUNDS=5, LOGIN_WINDOW_SECONDS=60, FIRST_ADMIN_EMAIL, ENVIRONMENT=' Production ' "
        f"read as {got}: the variables are the field names, no prefix ({CONFIG})"
    )
    assert plain(s.SECRET_KEY) == GOOD_KEY, f"SECRET_KEY is not the one set ({CONFIG})"
    assert s.COOKIE_SECURE is True, (
        f"with ENVIRONMENT=production COOKIE_SECURE is {s.COOKIE_SECURE}: on in production "
        f"({CONFIG})"
    )


def test_the_environment_wins_over_the_env_file(bare: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# a comment\nBCRYPT_ROUNDS=7\nLOGIN_WINDOW_SECONDS=120\n"
        "POSTGRES_PASSWORD=for-docker-compose\nCORS_ORIGINS=https://a.example,https://b.example\n",
        encoding="utf-8",
    )
    bare.setenv("LOGIN_WINDOW_SECONDS", "60")
    try:
        s = read(env_file=env_file)
    except Exception as error:
        pytest.fail(
            f"Settings() with a .env holding a name of another tool failed: {said(error)}: "
            f'extra="ignore" leaves it alone ({CONFIG})'
        )
    got = (s.BCRYPT_ROUNDS, s.LOGIN_WINDOW_SECONDS, s.CORS_ORIGINS)
    assert got == (7, 60, ("https://a.example", "https://b.example")), (
        f"from .env (BCRYPT_ROUNDS=7, LOGIN_WINDOW_SECONDS=120, CORS_ORIGINS=a,b) and the "
        f"environment (LOGIN_WINDOW_SECONDS=60) the settings read {got}: .env fills in, the "
        f"environment wins ({CONFIG})"
    )


def test_empty_variables_count_as_unset(bare: pytest.MonkeyPatch) -> None:
    for name in ("SECRET_KEY", "DATABASE_URL", "BCRYPT_ROUNDS", "TRUSTED_HOSTS"):
        bare.setenv(name, "")
    s = read()
    assert (s.BCRYPT_ROUNDS, s.TRUSTED_HOSTS, len(plain(s.SECRET_KEY)) >= 32) == (
        12,
        ("*",),
        True,
    ), (
        f"SECRET_KEY=, DATABASE_URL=, BCRYPT_ROUNDS=, TRUSTED_HOSTS= (a copied .env.example) "
        f"changed the defaults: env_ignore_empty=True ({CONFIG})"
    )


# --- exercise 21.1: the comma-separated lists ---------------------------------------------


@pytest.mark.exercise("21.1")
def test_comma_lists_are_split(bare: pytest.MonkeyPatch) -> None:
    bare.setenv("CORS_ORIGINS", "https://a.example, https://b.example:8443,")
    bare.setenv("TRUSTED_HOSTS", "api.example.com,*.example.com")
    bare.setenv("ALLOWED_UPLOAD_TYPES", "text/plain")
    try:
        s = read()
    except Exception as error:
        pytest.fail(
            f"CORS_ORIGINS=https://a.example, https://b.example:8443, did not start: "
            f"{said(error)}: NoDecode on the field, and a field_validator(mode='before') that "
            f"splits the text on commas ({CONFIG})"
        )
    got = (s.CORS_ORIGINS, s.TRUSTED_HOSTS, s.ALLOWED_UPLOAD_TYPES)
    assert got == (
        ("https://a.example", "https://b.example:8443"),
        ("api.example.com", "*.example.com"),
        ("text/plain",),
    ), (
        f"the comma lists read as {got}: split on commas, strip each part, drop the empty ones "
        f"(split_commas, {CONFIG})"
    )


@pytest.mark.exercise("21.1")
def test_the_defaults_of_the_lists_stay_tuples(bare: pytest.MonkeyPatch) -> None:
    s = read()
    assert (s.CORS_ORIGINS, s.TRUSTED_HOSTS) == ((), ("*",)), (
        f"unset, CORS_ORIGINS and TRUSTED_HOSTS are {s.CORS_ORIGINS!r} and {s.TRUSTED_HOSTS!r}: "
        f"() and ('*',); split_commas changes text only ({CONFIG})"
    )


# --- exercise 21.2: get_settings ------------------------------------------------------------


@pytest.mark.exercise("21.2")
def test_get_settings_builds_the_settings_once(fresh: pytest.MonkeyPatch) -> None:
    cfg = config()
    built = []

    class Counted(cfg.Settings):  # type: ignore[name-defined, misc]
        def __init__(self, **values: Any) -> None:
            built.append(1)
            super().__init__(**values)

    fresh.setattr(cfg, "Settings", Counted)
    firsts = [cfg.get_settings() for _ in range(3)]
    assert len(built) == 1 and all(s is firsts[0] for s in firsts), (
        f"three calls of get_settings() built {len(built)} Settings: one per process, "
        f"@lru_cache on get_settings ({CONFIG})"
    )
    assert hasattr(cfg.get_settings, "cache_clear"), (
        f"get_settings has no cache_clear: decorate it with functools.lru_cache ({CONFIG})"
    )


@pytest.mark.exercise("21.2")
def test_the_module_settings_are_get_settings() -> None:
    cfg = config()
    assert cfg.get_settings() is cfg.get_settings() is cfg.settings, (
        f"get_settings() answers a new Settings at each call, not the module's `settings`: "
        f"every request would read the environment again; @lru_cache ({CONFIG})"
    )


@pytest.mark.exercise("21.2")
def test_a_wrong_value_names_the_variable_and_the_rule(fresh: pytest.MonkeyPatch) -> None:
    cfg = config()
    cases = {
        "abc": "BCRYPT_ROUNDS must be an integer between 4 and 31 (got 'abc')",
        "3": "BCRYPT_ROUNDS must be an integer between 4 and 31 (got '3')",
    }
    for value, line in cases.items():
        fresh.setenv("BCRYPT_ROUNDS", value)
        getattr(cfg.get_settings, "cache_clear", lambda: None)()
        try:
            cfg.get_settings()
        except SystemExit as stop:
            message = str(stop.code)
        except Exception as error:
            pytest.fail(
                f"BCRYPT_ROUNDS={value} raised {said(error)}: catch the ValidationError in "
                f"get_settings and raise SystemExit with settings_errors' lines ({CONFIG})"
            )
        else:
            pytest.fail(f"BCRYPT_ROUNDS={value} was accepted: Field(ge=4, le=31) ({CONFIG})")
        assert line in message and "pydantic" not in message, (
            f"BCRYPT_ROUNDS={value} stopped with {message[:200]!r}: one line a person acts "
            f"on, {line!r} (settings_errors), not pydantic's report ({CONFIG})"
        )


@pytest.mark.exercise("21.2")
def test_a_wrong_secret_is_named_not_shown(fresh: pytest.MonkeyPatch) -> None:
    cfg = config()
    fresh.setenv("DATABASE_URL", "mysql://app:hunter2-secret@db/app")
    getattr(cfg.get_settings, "cache_clear", lambda: None)()
    try:
        cfg.get_settings()
    except SystemExit as stop:
        message = str(stop.code)
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
    else:
        pytest.fail(f"DATABASE_URL=mysql://... was accepted: SQLite or PostgreSQL ({CONFIG})")
    assert "DATABASE_URL" in message and "hunter2" not in message, (
        f"a wrong DATABASE_URL stopped with {message[:200]!r}: name the variable, never repeat "
        f"its value, which holds a password (settings_errors, {CONFIG})"
    )


def test_bounds_are_refused(bare: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    for name, value in {
        "LOGIN_MAX_FAILURES": "0",
        "LOGIN_WINDOW_SECONDS": "-5",
        "MAX_UPLOAD_BYTES": "0",
        "ACCESS_TOKEN_SECONDS": "0",
        "BCRYPT_ROUNDS": "32",
        "COOKIE_SECURE": "maybe",
    }.items():
        bare.setenv(name, value)
        with pytest.raises(ValidationError) as caught:
            read()
        lines = config().settings_errors(caught.value)
        assert any(line.startswith(f"{name} must be") for line in lines), (
            f"{name}={value}: settings_errors said {lines}: a line '{name} must be ...' ({CONFIG})"
        )
        bare.delenv(name)


# --- secrets ---------------------------------------------------------------------------------


def test_secrets_never_show(bare: pytest.MonkeyPatch) -> None:
    secrets = {
        "SECRET_KEY": GOOD_KEY,
        "FIRST_ADMIN_PASSWORD": "root-secret-4711",
        "DATABASE_URL": "postgresql://app:pg-secret-4711@db.example.com/app",
    }
    for name, value in secrets.items():
        bare.setenv(name, value)
    s = read()
    shown = {
        "repr(settings)": repr(s),
        "str(settings)": str(s),
        "f'{settings}'": f"{s}",
        "settings.model_dump()": repr(s.model_dump()),
        "settings.model_dump_json()": s.model_dump_json(),
    }
    for how, text in shown.items():
        leaked = [name for name, value in secrets.items() if value in text]
        leaked += [word for word in ("root-secret", "pg-secret") if word in text]
        assert not leaked, (
            f"{how} shows {leaked}: declare SECRET_KEY and FIRST_ADMIN_PASSWORD as SecretStr, "
            f"DATABASE_URL as DatabaseURL ({CONFIG})"
        )
    got = {name: plain(getattr(s, name)) for name in secrets}
    assert got == secrets, (
        f"get_secret_value() does not give the values back: {list(got)} ({CONFIG})"
    )
    assert "db.example.com" in repr(s), (
        f"repr(settings) hides the whole DATABASE_URL: only its password (DatabaseURL, {CONFIG})"
    )


def test_the_code_reads_the_secrets_where_it_uses_them(app_dir: Path) -> None:
    uses = {"SECRET_KEY": [], "FIRST_ADMIN_PASSWORD": [], "DATABASE_URL": []}
    for path in sorted((app_dir / "app").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for name, places in uses.items():
            if re.search(rf"settings\.{name}\.get_secret_value\(\)", text):
                places.append(path.relative_to(app_dir).as_posix())
    missing = [name for name, places in uses.items() if not places]
    assert not missing, (
        f"no module calls settings.{'/'.join(missing)}.get_secret_value(): the JWT key "
        f"(app/core/jwt_tokens.py), the first admin (app/core/first_admin.py), the engine "
        f"(app/db/session.py)"
    )


# --- the dependency ----------------------------------------------------------------------


def session_cookie(r: Any) -> Any:
    found = None
    for header in r.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        found = cookie.get("session_id", found)
    return found


def test_the_session_route_reads_the_settings_dependency(client: TestClient, app: FastAPI) -> None:
    cfg = config()
    secure = cfg.get_settings().model_copy(update={"COOKIE_SECURE": True})
    app.dependency_overrides[cfg.get_settings] = lambda: secure
    try:
        r = client.post(LOGIN, json=ALICE)
    finally:
        app.dependency_overrides.pop(cfg.get_settings, None)
        client.cookies.clear()
    cookie = session_cookie(r)
    assert r.status_code == 200 and cookie is not None and cookie["secure"], (
        f"with get_settings overridden to COOKIE_SECURE=True the login ({why(r)}) set no Secure "
        f"cookie: login takes `settings: SettingsDep` and passes secure=settings.COOKIE_SECURE "
        f"({SESSION_ROUTES})"
    )
    r = client.post(LOGIN, json=ALICE)
    client.cookies.clear()
    cookie = session_cookie(r)
    assert cookie is not None and not cookie["secure"], (
        f"without the override the development cookie is Secure: the override outlived its "
        f"test, or COOKIE_SECURE is not read from the dependency ({SESSION_ROUTES})"
    )


# --- the first admin, from the environment -----------------------------------------------------


def run_first_admin(client: TestClient) -> None:
    first_admin = import_app_module("app.core.first_admin")
    session = import_app_module("app.db.session")

    async def run() -> None:
        async with session.SessionLocal() as db:
            await first_admin.ensure_first_admin(db)

    client.portal.call(run)


def test_the_first_admin_comes_from_the_environment(
    client: TestClient, own_engine: Engine, fresh: pytest.MonkeyPatch
) -> None:
    email = f"{unique('root')}@example.com"
    fresh.setenv("FIRST_ADMIN_EMAIL", email)
    fresh.setenv("FIRST_ADMIN_PASSWORD", "root-secret-12")
    run_first_admin(client)
    run_first_admin(client)  # twice: still one user
    count = stored_value(own_engine, "SELECT COUNT(*) FROM users WHERE email = :e", e=email)
    role = stored_value(own_engine, "SELECT role FROM users WHERE email = :e", e=email)
    assert count == 1 and role == "admin", (
        f"ensure_first_admin with FIRST_ADMIN_EMAIL in the environment left {count} user(s) of "
        f"role {role!r}: read get_settings() when it runs (app/core/first_admin.py)"
    )
    r = client.post(LOGIN, json={"email": email, "password": "root-secret-12"})
    client.cookies.clear()
    assert r.status_code == 200, (
        f"the first admin logging in with FIRST_ADMIN_PASSWORD answered {why(r)}: hash "
        f"settings.FIRST_ADMIN_PASSWORD.get_secret_value() (app/core/first_admin.py)"
    )


def test_without_the_variables_no_admin_is_made(fresh: pytest.MonkeyPatch) -> None:
    fresh.delenv("FIRST_ADMIN_EMAIL", raising=False)
    fresh.delenv("FIRST_ADMIN_PASSWORD", raising=False)
    s = config().Settings(_env_file=None)
    assert not s.FIRST_ADMIN_EMAIL and not plain(s.FIRST_ADMIN_PASSWORD), (
        "FIRST_ADMIN_EMAIL or FIRST_ADMIN_PASSWORD has a default: the first admin comes from "
        f"the environment only ({CONFIG})"
    )


# --- exercise 21.3: .env.example ----------------------------------------------------------


def example_lines(app_dir: Path) -> list[str]:
    path = app_dir / EXAMPLE
    assert path.is_file(), f"there is no {EXAMPLE} next to app/: write it (%%app {EXAMPLE})"
    return path.read_text(encoding="utf-8").splitlines()


ASSIGNMENT = re.compile(r"^#?\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")


@pytest.mark.exercise("21.3")
def test_the_example_lists_every_variable_with_a_comment(app_dir: Path) -> None:
    lines = example_lines(app_dir)
    names = {}
    for number, line in enumerate(lines):
        if match := ASSIGNMENT.match(line.strip()):
            names[match["name"]] = number
    fields = [name for name in config().Settings.model_fields]
    missing = [name for name in fields if name not in names]
    assert not missing, (
        f"{EXAMPLE} does not list {missing}: one line NAME=value (or # NAME=value) for every "
        f"field of Settings, with the field's own name, no prefix"
    )
    unknown = [name for name in names if name not in fields]
    assert not unknown, (
        f"{EXAMPLE} lists {unknown}, which Settings does not read: the names are the fields' "
        f"own (BCRYPT_ROUNDS, not APP_BCRYPT_ROUNDS)"
    )
    bare = [
        name
        for name, number in names.items()
        if number == 0
        or not lines[number - 1].startswith("#")
        or ASSIGNMENT.match(lines[number - 1].strip())
    ]
    assert not bare, f"in {EXAMPLE}, {bare} have no comment line above them: say what each does"


@pytest.mark.exercise("21.3")
def test_a_copy_of_the_example_holds_no_secret(bare: pytest.MonkeyPatch, app_dir: Path) -> None:
    for line in example_lines(app_dir):
        match = ASSIGNMENT.match(line.strip())
        if match and match["name"] in ("SECRET_KEY", "FIRST_ADMIN_PASSWORD"):
            value = match["value"].strip().strip("\"'")
            assert not value, (
                f"{EXAMPLE} gives {match['name']} the value {value!r}: a committed file holds "
                f"no secret, not even a placeholder such as CHANGE_ME; leave it empty"
            )
    try:
        copied = read(env_file=app_dir / EXAMPLE)
    except Exception as error:
        pytest.fail(f"the settings cannot read {EXAMPLE} as a .env: {said(error)}")
    changed = {
        name: getattr(copied, name)
        for name, value in DEFAULTS.items()
        if getattr(copied, name) != value
    }
    assert not changed, (
        f"read as a .env, {EXAMPLE} changes {changed}: a copy must start as the defaults do "
        f"(write each default, or leave the line commented out)"
    )


def test_dot_env_is_git_ignored(app_dir: Path) -> None:
    ignore = app_dir / ".gitignore"
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.is_file() else []
    assert ".env" in {line.strip().lstrip("/") for line in lines}, (
        f"{ignore.name} next to app/ does not list .env: a .env holds the secrets and is never "
        f"committed (.env.example is)"
    )


# --- over real HTTP ------------------------------------------------------------------------


STOPS = {
    "BCRYPT_ROUNDS=abc": (
        {"BCRYPT_ROUNDS": "abc"},
        "BCRYPT_ROUNDS must be an integer between 4 and 31 (got 'abc')",
    ),
    "LOGIN_MAX_FAILURES=0": (
        {"LOGIN_MAX_FAILURES": "0"},
        "LOGIN_MAX_FAILURES must be an integer between 1 and",
    ),
}


@pytest.mark.slow
def test_a_wrong_value_stops_the_server_with_its_name(app_dir: Path, tmp_path: Path) -> None:
    started = {
        case: uvicorn_with(app_dir, tmp_path, **variables) for case, (variables, _) in STOPS.items()
    }
    for case, process in started.items():
        text = refusal_of(process, case, CONFIG)
        line = STOPS[case][1]
        assert process.returncode != 0 and line in text and "Traceback" not in text, (
            f"uvicorn with {case} exited {process.returncode} and printed {text[-300:]!r}: stop "
            f"with one line, {line!r}, no traceback (get_settings, {CONFIG})"
        )


@pytest.mark.slow
def test_a_wrong_database_url_stops_without_its_password(app_dir: Path, tmp_path: Path) -> None:
    env = dict(os.environ, DATABASE_URL="mysql://app:hunter2-secret@db/app")
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--app-dir", str(app_dir)]
    process = subprocess.run(
        [*command, "--host", "127.0.0.1", "--port", "0"],
        env=env,
        capture_output=True,
        timeout=30,
        check=False,
    )
    text = process.stderr.decode(errors="replace")
    assert process.returncode != 0 and "DATABASE_URL must be" in text, (
        f"uvicorn with DATABASE_URL=mysql://... exited {process.returncode}: {text[-300:]!r} "
        f"({CONFIG})"
    )
    assert "hunter2" not in text and "Traceback" not in text, (
        f"the refusal of DATABASE_URL prints its password or a traceback: {text[-300:]!r} "
        f"({CONFIG})"
    )


@pytest.mark.slow
def test_the_startup_log_shows_no_secret(
    app_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app's log configuration, as workbook serve gives it: the app's INFO lines show.
    monkeypatch.setenv("UVICORN_LOG_CONFIG", str(app_dir / "logging.json"))
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("FIRST_ADMIN_EMAIL", "root@example.com")
    monkeypatch.setenv("FIRST_ADMIN_PASSWORD", "root-secret-4711")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'startup.db'}")
    with LiveServer(app_dir) as server:
        r = server.get("/health")
        assert r.status_code == 200, f"the server answered {why(r)}"
        log = server.log()
    assert "starting with" in log, (
        "the server's log does not say what settings it starts with: log repr(get_settings()) "
        "at startup (app/core/lifespan.py)"
    )
    assert GOOD_KEY not in log and "root-secret-4711" not in log, (
        f"the server's log shows SECRET_KEY or FIRST_ADMIN_PASSWORD: SecretStr fields ({CONFIG})"
    )
