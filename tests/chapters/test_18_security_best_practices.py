"""Chapter 18: security headers, CORS and trusted hosts from settings, login throttling,
body limits under a real server, and no unsafe settings in production.

The in-process `client` runs with the development defaults and the conftest's generous
login limits. Low limits, listed origins and hosts, and production are tested on real
uvicorn servers started with those settings in their environment, never by patching.
"""

from __future__ import annotations

import os
import secrets
import select
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import bearer, body, import_app_module, outcome, said, unique, why
from fastapi.testclient import TestClient

from workbook.server import LiveServer

CONFIG = "app/core/config.py"
HEADERS_FILE = "app/core/security_headers.py"
SECURITY = "app/core/security.py"
THROTTLE_FILE = "app/core/throttle.py"
MAIN = "app/main.py"
TOKEN = "/api/v1/auth/token"
USERS = "/api/v1/users"
ALICE = {"username": "alice@example.com", "password": "alice-secret-1"}  # seeded in development
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
}
# FastAPI's documentation prints this key: 64 characters, and public.
DOCS_KEY = "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7"
GOOD_KEY = "kV3q9-Zt0bWm_Lr7Yx2Hc5Nf8Jd1Gs4Pa6Ue0Io3Qw"  # 42 random characters
# Fields no answer may ever carry: the secrets and what the app keeps for itself.
INTERNAL_FIELDS = {
    "password",
    "hashed_password",
    "password_hash",
    "secret_key",
    "access_token_digest",
    "session_id",
}


def error_code(response: httpx.Response) -> Any:
    answer = body(response)
    error = answer.get("error") if isinstance(answer, dict) else None
    return error.get("code") if isinstance(error, dict) else None


def missing_headers(response: httpx.Response) -> list[str]:
    return [
        f"{name}: {value}"
        for name, value in SECURITY_HEADERS.items()
        if response.headers.get(name) != value
    ]


def headers_module() -> Any:
    return import_app_module("app.core.security_headers")


def config() -> Any:
    return import_app_module("app.core.config")


# --- 18.1: no unsafe settings in production -------------------------------------------------

WEAK_KEYS = {
    "unset": "",
    "the guide's CHANGE_ME": "CHANGE_ME",
    "changeme": "changeme",
    "secret": "secret",
    "short (20 characters)": secrets.token_urlsafe(15),
    "FastAPI's documented key": DOCS_KEY,
    "FastAPI's documented key, upper-case": DOCS_KEY.upper(),
    "one character 40 times": "a" * 40,
    "changeme 4 times": "changeme" * 4,
    # 16 characters, 32 bytes in UTF-8: the rule counts characters
    "16 accented characters": "àéèêëîïôöûüçñåøß",
}


@pytest.mark.exercise("18.1")
@pytest.mark.parametrize("kind", list(WEAK_KEYS))
def test_a_weak_secret_key_is_named(kind: str) -> None:
    problem = outcome_of(config().secret_key_problem, WEAK_KEYS[kind])
    assert isinstance(problem, str) and "SECRET_KEY" in problem, (
        f"secret_key_problem({kind}) gave {said(problem)}: a sentence naming SECRET_KEY for "
        f"a key that is unset, under 32 characters (characters, not bytes), a published one "
        f"whatever its case, or a few characters repeated ({CONFIG})"
    )


@pytest.mark.exercise("18.1")
def test_a_random_key_will_do() -> None:
    for key in (GOOD_KEY, secrets.token_urlsafe(32), secrets.token_hex(32)):
        problem = outcome_of(config().secret_key_problem, key)
        assert problem is None, (
            f"secret_key_problem refused a random key of {len(key)} characters: {said(problem)} "
            f"({CONFIG})"
        )


def outcome_of(function: Any, *args: Any) -> Any:
    try:
        return function(*args)
    except Exception as error:  # the learner's code: quoted in the failure
        return error


def production(monkeypatch: pytest.MonkeyPatch, **variables: str) -> Any:
    """The settings a production process would read from these variables."""
    monkeypatch.setenv("ENVIRONMENT", "production")
    for name in ("SECRET_KEY", "CORS_ORIGINS", "TRUSTED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return config().Settings()


def test_production_refuses_stars_and_weak_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = config()
    fine = production(monkeypatch, SECRET_KEY=GOOD_KEY, TRUSTED_HOSTS="api.example.com")
    assert cfg.startup_problems(fine) == [], (
        f"production with a random key and a named host was refused: "
        f"{cfg.startup_problems(fine)} ({CONFIG})"
    )
    cases = {
        "SECRET_KEY": production(monkeypatch, SECRET_KEY="CHANGE_ME", TRUSTED_HOSTS="a.example"),
        "TRUSTED_HOSTS": production(monkeypatch, SECRET_KEY=GOOD_KEY),
        "CORS_ORIGINS": production(
            monkeypatch, SECRET_KEY=GOOD_KEY, TRUSTED_HOSTS="a.example", CORS_ORIGINS="*"
        ),
    }
    for variable, settings in cases.items():
        problems = " ".join(cfg.startup_problems(settings))
        assert variable in problems, (
            f"startup_problems did not name {variable} for {settings!r}: {problems!r} ({CONFIG})"
        )
    assert "token_urlsafe" in " ".join(cfg.startup_problems(cases["SECRET_KEY"])), (
        f"the SECRET_KEY refusal does not say how to make a key (secrets.token_urlsafe) ({CONFIG})"
    )


def test_an_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "prod")
    problems = config().startup_problems(config().Settings())
    assert any("ENVIRONMENT" in p for p in problems), (
        f"ENVIRONMENT=prod was accepted ({problems}): a typo must not run as development, "
        f"with the demo users seeded; refuse any word but development and production ({CONFIG})"
    )


def test_star_origins_are_refused_in_development_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "development")
    for origins in ("*", "https://app.example.com/"):
        monkeypatch.setenv("CORS_ORIGINS", origins)
        problems = config().startup_problems(config().Settings())
        assert any("CORS_ORIGINS" in p for p in problems), (
            f"CORS_ORIGINS={origins} was accepted: never '*' with credentials, and an origin "
            f"has no path ({CONFIG})"
        )


# --- 18.2: security headers on every answer ---------------------------------------------


ANSWERS = {
    "200 GET /": ("GET", "/", {}),
    "404 GET /nowhere": ("GET", "/nowhere", {}),
    "405 DELETE /": ("DELETE", "/", {}),
    "422 GET /hello/x?shout=maybe": ("GET", "/hello/x?shout=maybe", {}),
    "413 POST /api/v1/users of 1 MiB": (
        "POST",
        USERS,
        {"content": b"x" * 2**20, "headers": {"Content-Type": "application/json"}},
    ),
    "200 GET /docs": ("GET", "/docs", {}),
}


@pytest.mark.exercise("18.2")
@pytest.mark.parametrize("answer", list(ANSWERS))
def test_every_answer_carries_the_security_headers(client: TestClient, answer: str) -> None:
    method, path, extra = ANSWERS[answer]
    r = client.request(method, path, **extra)
    assert str(r.status_code) == answer[:3], f"{method} {path} answered {why(r)}, not {answer}"
    missing = missing_headers(r)
    assert not missing, (
        f"the {answer} answer lacks {', '.join(missing)}: SecurityHeadersMiddleware adds "
        f"every header of SECURITY_HEADERS to the http.response.start of EVERY answer, "
        f"whatever its status ({HEADERS_FILE})"
    )
    assert "strict-transport-security" not in r.headers, (
        f"the {answer} answer in development carries Strict-Transport-Security: send it "
        f"only when hsts is true, in production ({HEADERS_FILE})"
    )


def tiny_app(raising: bool) -> Any:
    """An ASGI app that answers 200, or raises (a bug), inside Starlette's
    ServerErrorMiddleware: the 500 it sends is the one no add_middleware can reach."""
    from starlette.middleware.errors import ServerErrorMiddleware
    from starlette.responses import JSONResponse, PlainTextResponse

    async def endpoint(scope: Any, receive: Any, send: Any) -> None:
        if raising:
            raise RuntimeError("a bug")
        await PlainTextResponse("fine")(scope, receive, send)

    async def handler(request: Any, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": {"code": "internal_error"}}, status_code=500)

    return ServerErrorMiddleware(endpoint, handler=handler)


@pytest.mark.exercise("18.2")
def test_a_500_gets_the_headers_too() -> None:
    middleware = headers_module().SecurityHeadersMiddleware
    # Not `with`: no lifespan, the tiny app knows only HTTP.
    r = TestClient(middleware(tiny_app(raising=True)), raise_server_exceptions=False).get("/")
    assert r.status_code == 500, f"a raising app behind the middleware answered {why(r)}"
    missing = missing_headers(r)
    assert not missing, (
        f"the 500 of an unexpected error lacks {', '.join(missing)}: a BaseHTTPMiddleware (or "
        f"one that catches nothing) misses it; wrap `send` in a pure ASGI middleware and "
        f"mark the http.response.start message ({HEADERS_FILE})"
    )


@pytest.mark.exercise("18.2")
def test_hsts_only_when_asked() -> None:
    middleware = headers_module().SecurityHeadersMiddleware
    hsts = headers_module().HSTS
    for asked in (True, False):
        r = TestClient(middleware(tiny_app(raising=False), hsts=asked)).get("/")
        sent = r.headers.get("strict-transport-security")
        assert sent == (hsts if asked else None), (
            f"SecurityHeadersMiddleware(app, hsts={asked}) sent Strict-Transport-Security "
            f"{sent!r}: send HSTS when hsts is true, and only then ({HEADERS_FILE})"
        )
        assert not missing_headers(r), f"hsts={asked} dropped the other headers ({HEADERS_FILE})"


@pytest.mark.exercise("18.2")
def test_the_headers_wrap_the_whole_app(app: Any) -> None:
    from starlette.middleware.base import BaseHTTPMiddleware

    middleware = headers_module().SecurityHeadersMiddleware
    assert not issubclass(middleware, BaseHTTPMiddleware), (
        f"SecurityHeadersMiddleware is a BaseHTTPMiddleware: write a pure ASGI class "
        f"(__init__(app), async __call__(scope, receive, send)) ({HEADERS_FILE})"
    )
    outer = app.build_middleware_stack()
    assert isinstance(outer, middleware), (
        f"the outermost layer of the app is {type(outer).__name__}: wrap the whole stack, "
        f"Starlette's ServerErrorMiddleware included (add_security_headers in {MAIN})"
    )


# --- CORS and trusted hosts ---------------------------------------------------------------


def preflight(origin: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "POST"}


def test_no_origin_is_allowed_by_default(client: TestClient) -> None:
    assert config().settings.CORS_ORIGINS == (), (
        f"CORS_ORIGINS is {config().settings.CORS_ORIGINS!r} with no environment variable: "
        f"the default is () ({CONFIG})"
    )
    for r in (
        client.options(TOKEN, headers=preflight("https://evil.example")),
        client.get("/", headers={"Origin": "https://evil.example"}),
    ):
        assert "access-control-allow-origin" not in r.headers, (
            f"{r.request.method} from https://evil.example got Access-Control-Allow-Origin "
            f"{r.headers['access-control-allow-origin']!r}: no origin is allowed by default "
            f"(CORSMiddleware with settings.CORS_ORIGINS, {MAIN})"
        )
        assert r.is_success or error_code(r) == "cors_refused", (
            f"{r.request.method} from https://evil.example answered {why(r)}: a refused "
            f"preflight answers the envelope (EnvelopeCORSMiddleware, app/core/cors.py)"
        )


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = config()
    for name in ("ENVIRONMENT", "TRUSTED_HOSTS", "CORS_ORIGINS", "LOGIN_WINDOW_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    default = cfg.Settings()
    assert default.ENVIRONMENT == "development" and default.TRUSTED_HOSTS == ("*",), (
        f"with no variables set, ENVIRONMENT is {default.ENVIRONMENT!r} and TRUSTED_HOSTS "
        f"{default.TRUSTED_HOSTS!r}: development and ('*',) ({CONFIG})"
    )
    assert (default.LOGIN_WINDOW_SECONDS, default.COOKIE_SECURE) == (300, False), (
        f"the defaults are LOGIN_WINDOW_SECONDS=300 and, in development, COOKIE_SECURE=False "
        f"({CONFIG})"
    )
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example:8443,")
    monkeypatch.setenv("TRUSTED_HOSTS", "api.example.com,*.example.com")
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    read = cfg.Settings()
    assert read.CORS_ORIGINS == ("https://a.example", "https://b.example:8443"), (
        f"CORS_ORIGINS read as {read.CORS_ORIGINS!r}: split on commas, strip, drop empties "
        f"({CONFIG})"
    )
    assert read.TRUSTED_HOSTS == ("api.example.com", "*.example.com"), (
        f"TRUSTED_HOSTS {read.TRUSTED_HOSTS!r}"
    )
    assert read.COOKIE_SECURE and read.is_production, (
        f"ENVIRONMENT=production leaves COOKIE_SECURE {read.COOKIE_SECURE}: on in production "
        f"({CONFIG})"
    )


# --- 18.3: login throttling ---------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle_of(account: int, client: int, window: float = 60, **kw: Any) -> Any:
    throttle_module = import_app_module("app.core.throttle")
    return throttle_module.LoginThrottle(account, client, window, **kw)


def test_the_throttle_counts_accounts_and_clients_in_a_window() -> None:
    clock = Clock()
    throttle = throttle_of(3, 5, 60, clock=clock)
    for _ in range(3):
        assert throttle.attempt("Alice@Example.com", "1.2.3.4") == 0, "an attempt under the limit"
    wait = throttle.attempt("alice@example.com", "5.6.7.8")
    assert wait == 60, (
        f"a 4th login for one account (any case, another address) waited {wait!r} s, not 60 "
        f"({THROTTLE_FILE})"
    )
    clock.now += 59.5
    assert throttle.attempt("alice@example.com", "5.6.7.8") == 1, (
        "half a second is 1 (whole seconds, rounded up)"
    )
    clock.now += 1
    assert throttle.attempt("alice@example.com", "5.6.7.8") == 0, (
        f"a failure older than the window still counted ({THROTTLE_FILE})"
    )
    for n in range(4):
        throttle.attempt(f"user{n}@example.com", "9.9.9.9")
    throttle.attempt("other@example.com", "9.9.9.9")
    assert throttle.attempt("fresh@example.com", "9.9.9.9") > 0, (
        f"a 6th login from one address, each for a new account, was let through ({THROTTLE_FILE})"
    )


def test_the_throttle_is_bounded() -> None:
    throttle = throttle_of(3, 1000, 60, max_keys=50)
    for n in range(500):
        throttle.attempt(f"user{n}@example.com", "1.2.3.4")
    assert len(throttle) <= 50, (
        f"the throttle keeps {len(throttle)} keys, over max_keys=50 ({THROTTLE_FILE})"
    )


class Untouchable:
    """A database session that fails on any use: a throttled login must not reach it."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"the database was used ({name}): the password was checked")


def login_with(client: TestClient, throttle: Any, email: str, password: str, db: Any = None) -> Any:
    security = import_app_module("app.core.security")
    session = import_app_module("app.db.session")

    async def run() -> Any:
        if db is not None:
            return await outcome(security.login_checked(db, email, password, "10.0.0.1", throttle))
        async with session.SessionLocal() as own:
            return await outcome(security.login_checked(own, email, password, "10.0.0.1", throttle))

    return client.portal.call(run)


def too_many(result: Any) -> bool:
    return type(result).__name__ == "TooManyRequestsError"


@pytest.mark.exercise("18.3")
def test_a_throttled_login_checks_no_password(client: TestClient) -> None:
    throttle = throttle_of(2, 100, 60)
    for _ in range(2):
        result = login_with(client, throttle, ALICE["username"], "wrong-password")
        assert result is None, (
            f"login_checked with a wrong password gave {said(result)}, not None ({SECURITY})"
        )
    result = login_with(client, throttle, ALICE["username"], ALICE["password"], db=Untouchable())
    assert too_many(result), (
        f"the 3rd login of an account with 2 failures (limit 2) gave {said(result)}: ask "
        f"throttle.attempt FIRST and raise TooManyRequestsError before authenticate, even for "
        f"the right password ({SECURITY})"
    )
    retry = (getattr(result, "headers", None) or {}).get("Retry-After", "")
    assert retry.isdigit() and 1 <= int(retry) <= 60, (
        f"the 429 carries Retry-After {retry!r}: whole seconds, 1 to the window (60 here), from "
        f"throttle.attempt ({SECURITY})"
    )


@pytest.mark.exercise("18.3")
def test_a_success_clears_the_account_not_the_client(client: TestClient) -> None:
    throttle = throttle_of(3, 5, 60)
    for _ in range(2):
        login_with(client, throttle, ALICE["username"], "wrong-password")
    result = login_with(client, throttle, ALICE["username"], ALICE["password"])
    assert getattr(result, "email", None) == ALICE["username"], (
        f"the right password after 2 failures (limit 3) gave {said(result)} ({SECURITY})"
    )
    for _ in range(2):
        login_with(client, throttle, ALICE["username"], "wrong-password")
    result = login_with(client, throttle, ALICE["username"], ALICE["password"])
    assert getattr(result, "email", None) == ALICE["username"], (
        f"2 failures after a success, then the right password (limit 3), gave {said(result)}: "
        f"a success clears the account (throttle.succeeded), it is no failure ({SECURITY})"
    )
    login_with(client, throttle, "bob@example.com", "wrong-password")
    result = login_with(client, throttle, "bob@example.com", "bob-secret-1")
    assert too_many(result), (
        f"a login from a client with 5 failures (limit 5; its 2 successes not counted) gave "
        f"{said(result)}: a success clears its account, never the client's failures ({SECURITY})"
    )


def test_every_login_route_documents_429(app: Any) -> None:
    paths = app.openapi()["paths"]
    for path in (TOKEN, "/api/v1/auth/login-form", "/api/v1/session/login"):
        documented = paths.get(path, {}).get("post", {}).get("responses", {})
        assert "429" in documented, (
            f"POST {path} does not document 429: add TooManyRequestsError to its "
            f"error_responses (app/api/v1/routes/)"
        )


# --- no secret in any answer ----------------------------------------------------------------


def fields_of(schema: Any, spec: dict[str, Any], seen: set[str]) -> Iterator[str]:
    """Every property name a schema (and what it refers to) may carry."""
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in seen:
            return
        seen.add(ref)
        target: Any = spec
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        yield from fields_of(target, spec, seen)
    for name, sub in (schema.get("properties") or {}).items():
        yield name
        yield from fields_of(sub, spec, seen)
    for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
        for sub in schema.get(key) or []:
            yield from fields_of(sub, spec, seen)
    for key in ("items", "additionalProperties", "not"):
        yield from fields_of(schema.get(key), spec, seen)


def test_no_response_schema_carries_a_secret(app: Any) -> None:
    spec = app.openapi()
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in (operation.get("responses") or {}).items():
                for media in (response.get("content") or {}).values():
                    leaked = set(fields_of(media.get("schema"), spec, set())) & INTERNAL_FIELDS
                    found += [f"{method.upper()} {path} {status}: {name}" for name in leaked]
    assert not found, (
        f"response schemas can carry internal fields: {'; '.join(sorted(found))}: answer with "
        f"an *Out model (response_model) that has none (app/schemas/)"
    )


def test_no_answer_carries_a_password_hash(client: TestClient) -> None:
    token = client.post(TOKEN, data={**ALICE, "scope": "admin users:write"}).json()["access_token"]
    email = f"{unique('hash')}@example.com"
    signup = client.post(USERS, json={"name": "Hash", "email": email, "password": "hash-secret-12"})
    answers = [
        signup,
        client.get(USERS, headers=bearer(token)),
        client.get(f"{USERS}/me", headers=bearer(token)),
        client.get(f"{USERS}/1", headers=bearer(token)),
        client.post("/api/v1/auth/login-form", data=ALICE),
        client.post("/api/v1/session/login", json={"email": email, "password": "hash-secret-12"}),
        client.get("/api/v1/session/me"),
    ]
    for r in answers:
        assert "$2b$" not in r.text and '"password"' not in r.text, (
            f"{r.request.method} {r.request.url.path} answered a password or a bcrypt hash: "
            f"{r.text[:120]}"
        )


# --- over real HTTP ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def strict_server(app_dir: Path) -> Iterator[LiveServer]:
    """The app with low limits, one listed origin and listed hosts, from its environment."""
    strict = {
        "LOGIN_MAX_FAILURES": "3",
        "LOGIN_MAX_FAILURES_PER_CLIENT": "5",
        "LOGIN_WINDOW_SECONDS": "60",
        "CORS_ORIGINS": "https://app.example.com",
        "TRUSTED_HOSTS": "127.0.0.1,localhost",
    }
    saved = {name: os.environ.get(name) for name in strict}
    os.environ.update(strict)
    try:
        # --forwarded-allow-ips= (empty): uvicorn trusts X-Forwarded-For from no proxy, where
        # by default it trusts 127.0.0.1, the address of these tests: a spoofed header then
        # shows whether the app reads it itself.
        server = LiveServer(app_dir, "app.main:app", "--forwarded-allow-ips=").start()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_a_wrong_host_is_400_in_the_envelope(strict_server: LiveServer) -> None:
    r = strict_server.get("/health", headers={"Host": "evil.example"})
    assert r.status_code == 400 and error_code(r) == "invalid_host", (
        f"Host: evil.example with TRUSTED_HOSTS=127.0.0.1,localhost answered {why(r)}, not 400 "
        f"in the envelope (TrustedHostsMiddleware, app/core/hosts.py)"
    )
    assert not missing_headers(r), (
        f"the 400 of a wrong Host lacks {missing_headers(r)}: the security headers wrap every "
        f"middleware ({MAIN})"
    )
    r = strict_server.get("/health", headers={"Host": "localhost:8000"})
    assert r.status_code == 200, (
        f"Host: localhost:8000 with TRUSTED_HOSTS=127.0.0.1,localhost answered {why(r)}: "
        f"compare the name without its port (app/core/hosts.py)"
    )


@pytest.mark.slow
def test_only_listed_origins_get_cors_headers(strict_server: LiveServer) -> None:
    listed = strict_server.request("OPTIONS", TOKEN, headers=preflight("https://app.example.com"))
    assert listed.headers.get("access-control-allow-origin") == "https://app.example.com", (
        f"a preflight from the listed origin answered {why(listed)} without its "
        f"Access-Control-Allow-Origin ({MAIN})"
    )
    assert listed.headers.get("access-control-allow-credentials") == "true", (
        f"a preflight from the listed origin lacks Access-Control-Allow-Credentials: true: "
        f"allow_credentials=True ({MAIN})"
    )
    for r in (
        strict_server.request("OPTIONS", TOKEN, headers=preflight("https://evil.example")),
        strict_server.get("/", headers={"Origin": "https://evil.example"}),
    ):
        assert "access-control-allow-origin" not in r.headers, (
            f"{r.request.method} from an origin not listed got Access-Control-Allow-Origin ({MAIN})"
        )


@pytest.mark.slow
def test_too_many_failed_logins_answer_429_over_http(strict_server: LiveServer) -> None:
    email = f"{unique('throttled')}@example.com"
    r = strict_server.post(
        USERS, json={"name": "Tia", "email": email, "password": "right-secret-12"}
    )
    assert r.status_code == 201, f"POST {USERS} answered {why(r)}"
    for _ in range(3):
        r = strict_server.post(TOKEN, data={"username": email, "password": "wrong-secret-1"})
        assert r.status_code == 401, f"a wrong password answered {why(r)}"
    r = strict_server.post(TOKEN, data={"username": email.upper(), "password": "right-secret-12"})
    retry = r.headers.get("retry-after", "")
    assert r.status_code == 429 and error_code(r) == "too_many_requests", (
        f"the right password after 3 failures (LOGIN_MAX_FAILURES=3) answered {why(r)}, not "
        f"429 in the envelope ({SECURITY})"
    )
    assert retry.isdigit() and 1 <= int(retry) <= 60, (
        f"the 429's Retry-After is {retry!r}: whole seconds, 1 to LOGIN_WINDOW_SECONDS ({SECURITY})"
    )
    assert not missing_headers(r), f"the 429 lacks {missing_headers(r)} ({HEADERS_FILE})"
    # 3 failures from this client so far: 2 more for other accounts reach its limit of 5,
    # each claiming another address in X-Forwarded-For, which no proxy vouches for here.
    for n in range(2):
        strict_server.post(
            TOKEN,
            data={"username": f"nobody{n}@example.com", "password": "x"},
            headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
        )
    r = strict_server.post(TOKEN, data=ALICE, headers={"X-Forwarded-For": "203.0.113.9"})
    assert r.status_code == 429, (
        f"a login from a client with 5 failures (LOGIN_MAX_FAILURES_PER_CLIENT=5), each with "
        f"a new X-Forwarded-For, answered {why(r)}: count failures per request.client.host, "
        f"never per a header the client writes ({SECURITY}, {THROTTLE_FILE})"
    )


def recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except ConnectionResetError:  # the server closed on the rest of a refused body
        return b""


def read_answer(sock: socket.socket, timeout: float) -> tuple[int, bytes]:
    """The status and body of one HTTP/1.1 answer with a Content-Length (0: no answer)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data and (piece := recv(sock)):
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        (
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length:")
        ),
        0,
    )
    while len(rest) < length and (piece := recv(sock)):
        rest += piece
    status = lines[0].split()
    return (int(status[1]) if len(status) > 1 and status[1].isdigit() else 0), rest


@pytest.mark.slow
def test_a_12_mib_body_is_refused_while_it_arrives(live_server: LiveServer) -> None:
    size, piece = 12 * 2**20, b"x" * 65536
    host = f"127.0.0.1:{live_server.port}"
    start = f"POST {USERS} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
    # Declared: answered from the headers, with no byte of the body sent.
    with socket.create_connection(("127.0.0.1", live_server.port)) as sock:
        sock.sendall(f"{start}Content-Length: {size}\r\n\r\n".encode())
        status, answer = read_answer(sock, 10)
    assert status == 413 and b"payload_too_large" in answer, (
        f"a declared 12 MiB body answered {status} {answer[:100]!r} before its body was sent, "
        f"not the 413 envelope (app/core/limits.py)"
    )
    # Chunked: no length; the answer comes while the body is still being sent.
    sent = 0
    with socket.create_connection(("127.0.0.1", live_server.port)) as sock:
        sock.sendall(f"{start}Transfer-Encoding: chunked\r\n\r\n".encode())
        while sent < size:
            if select.select([sock], [], [], 0.005)[0]:
                break  # the server answered
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            except OSError:  # the server answered and closed: what follows is read below
                break
            sent += len(piece)
        status, answer = read_answer(sock, 10)
    assert status == 413 and b"payload_too_large" in answer, (
        f"a chunked 12 MiB body answered {status} {answer[:100]!r}, not the 413 envelope "
        f"(app/core/limits.py)"
    )
    assert sent < size // 2, (
        f"the 413 of a chunked body came after {sent // 2**20} MiB of 12: count the body while "
        f"it arrives (BodyLimitMiddleware, app/core/limits.py)"
    )


def uvicorn_with(app_dir: Path, tmp_path: Path, **variables: str) -> subprocess.Popen[bytes]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("SECRET_KEY", "CORS_ORIGINS", "TRUSTED_HOSTS", "ENVIRONMENT")
    }
    database = tmp_path / f"{unique('prod')}.db"
    env.update(variables, DATABASE_URL=f"sqlite:///{database}")
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--app-dir", str(app_dir)]
    return subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def refusal_of(process: subprocess.Popen[bytes], case: str, fix_in: str) -> str:
    """What a server that must refuse to start printed on stderr; a failure if it served."""
    try:
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"uvicorn with {case} started and served: refuse it ({fix_in})")
    return stderr.decode(errors="replace")


REFUSED = {
    "SECRET_KEY unset": ({"TRUSTED_HOSTS": "127.0.0.1"}, "SECRET_KEY"),
    "SECRET_KEY CHANGE_ME": (
        {"SECRET_KEY": "CHANGE_ME", "TRUSTED_HOSTS": "127.0.0.1"},
        "SECRET_KEY",
    ),
    "CORS_ORIGINS *": (
        {"SECRET_KEY": GOOD_KEY, "TRUSTED_HOSTS": "127.0.0.1", "CORS_ORIGINS": "*"},
        "CORS_ORIGINS",
    ),
    "TRUSTED_HOSTS unset (*)": ({"SECRET_KEY": GOOD_KEY}, "TRUSTED_HOSTS"),
}


@pytest.mark.slow
def test_production_refuses_to_start_with_unsafe_settings(app_dir: Path, tmp_path: Path) -> None:
    started = {
        case: uvicorn_with(app_dir, tmp_path, ENVIRONMENT="production", **variables)
        for case, (variables, _) in REFUSED.items()
    }
    for case, process in started.items():
        text = refusal_of(process, f"production and {case}", CONFIG)
        named = REFUSED[case][1]
        assert process.returncode != 0 and named in text and "Traceback" not in text, (
            f"production with {case} exited {process.returncode} and printed {text[-300:]!r}: "
            f"refuse to start with one clear line naming {named} (refuse_unsafe_settings, "
            f"{CONFIG})"
        )
        if named == "SECRET_KEY":
            assert "token_urlsafe" in text, f"the refusal for {case} does not say how to make a key"


@pytest.mark.slow
def test_production_starts_with_safe_settings(
    app_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = {"username": "root@example.com", "password": "root-secret-12"}
    for name, value in {
        "ENVIRONMENT": "production",
        "SECRET_KEY": GOOD_KEY,
        "TRUSTED_HOSTS": "127.0.0.1",
        "CORS_ORIGINS": "https://app.example.com",
        "FIRST_ADMIN_EMAIL": admin["username"],
        "FIRST_ADMIN_PASSWORD": admin["password"],
        # A database of its own: the check's has the development seeds.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.db'}",
    }.items():
        monkeypatch.setenv(name, value)
    with LiveServer(app_dir) as server:
        r = server.get("/health")
        assert r.status_code == 200, f"production with safe settings answered {why(r)}"
        hsts = r.headers.get("strict-transport-security", "")
        assert "max-age=" in hsts and not missing_headers(r), (
            f"a production answer carries Strict-Transport-Security {hsts!r} and lacks "
            f"{missing_headers(r)} (hsts=settings.is_production, {MAIN})"
        )
        alice = server.post(TOKEN, data=ALICE)
        assert alice.status_code == 401, (
            f"the demo admin Alice logs in on a production server ({why(alice)}): seed no demo "
            f"users in production (app/db/init_db.py)"
        )
        r = server.post(
            "/api/v1/session/login",
            json={"email": admin["username"], "password": admin["password"]},
        )
        cookie = r.headers.get("set-cookie", "")
        assert r.status_code == 200 and "secure" in cookie.lower(), (
            f"the session cookie of a production login is {cookie!r} ({why(r)}): COOKIE_SECURE is "
            f"on in production ({CONFIG})"
        )
        log = server.log()
    assert GOOD_KEY not in log and admin["password"] not in log, (
        "the server's log holds the SECRET_KEY or the first admin's password: log neither"
    )
