"""Chapter 28: the guide's pitfalls and checklist (section 28) as an audit of the finished app.

Two kinds of tests. The audit: each pitfall of 28.1 and each item of the checklist of 28.2 is
a test of the app in the workspace, derived from the app itself (its routes, its OpenAPI
document, its source read with `ast`, its settings), never from a list of routes written
here: a route that a later change adds is audited too. And the learner's audit (app/audit/,
exercises 28.1 and 28.2): it finds nothing on the app, and it catches each pitfall planted in
a copy of the app's source or of its OpenAPI document.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import copy
import functools
import inspect
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest
from conftest import admin_headers, body, import_app_module, lent_out, unique, why
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

SOURCE = "app/audit/source.py"
API = "app/audit/api.py"
CONFIG = "app/core/config.py"
Schema = dict[str, Any]


# --- what the audit reads: the app's own routes, modules and document ---------------------


def app_routes(app: FastAPI) -> Iterator[tuple[str, Any]]:
    """("POST /api/v1/items", context) for the HTTP routes of the app's own modules."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.endpoint.__module__.split(".")[0] == "app":
            yield f"{'/'.join(sorted(route.methods or ()))} {context.path}", context


def route_files(app: FastAPI, app_dir: Path) -> list[Path]:
    """The files of the modules that define the app's routes."""
    files = {
        getattr(sys.modules.get(c.endpoint.__module__), "__file__", None)
        for _, c in app_routes(app)
    }
    return sorted(Path(f) for f in files if f and Path(f).is_relative_to(app_dir))


@functools.cache
def app_sources(app_dir: Path) -> tuple[tuple[str, ast.Module], ...]:
    """Every module of app/, parsed once per check: ("app/x.py", its tree)."""
    return tuple(
        (path.relative_to(app_dir).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted((app_dir / "app").rglob("*.py"))
    )


def resolve(schema: Schema, document: Schema) -> tuple[Schema, str | None]:
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return schema, None
    name = ref.rsplit("/", 1)[-1]
    return document["components"]["schemas"][name], name


def operations(document: Schema) -> Iterator[tuple[str, Schema]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "delete", "patch"}:
                yield f"{method.upper()} {path}", operation


def body_schemas(document: Schema) -> Iterator[tuple[str, Schema]]:
    for name, operation in operations(document):
        for content in operation.get("requestBody", {}).get("content", {}).values():
            yield name, content.get("schema", {})


@pytest.fixture(scope="module")
def document(app: FastAPI) -> Schema:
    return app.openapi()


# --- 28.1: no blocking call on the event loop ----------------------------------------------

BLOCKING = {"time.sleep", "open", "input", "os.system", "os.popen", "urllib.request.urlopen"}
BLOCKING |= {f"httpx.{verb}" for verb in ("get", "post", "put", "patch", "delete", "request")}
BLOCKING_MODULES = ("requests.", "subprocess.", "smtplib.")
BLOCKING_NAMES = {"hash_password", "verify_password", "hashpw", "checkpw"}
SESSION_METHODS = {"execute", "scalar", "scalars", "commit", "refresh", "flush", "get"}
SESSION_NAME = re.compile(r"^(db|session|\w+_session)$")


def imports_of(tree: ast.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def dotted(node: ast.expr, imports: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name):
        return imports.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        owner = dotted(node.value, imports)
        return f"{owner}.{node.attr}" if owner else None
    return None


def loop_calls(function: ast.AsyncFunctionDef) -> Iterator[tuple[ast.Call, bool]]:
    """The calls an async def makes on the loop (nested def/lambda/class bodies excluded)."""
    awaited = {id(n.value) for n in ast.walk(function) if isinstance(n, ast.Await)}
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(node, ast.Call):
            yield node, id(node) in awaited
        pending.extend(ast.iter_child_nodes(node))


def is_session(node: ast.expr) -> bool:
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return bool(SESSION_NAME.match(name))


def blocking_in(tree: ast.Module, where: str) -> list[str]:
    imports = imports_of(tree)
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.AsyncFunctionDef):
            continue
        for call, awaited in loop_calls(function):
            name = dotted(call.func, imports) or ""
            method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
            blocking = (
                name in BLOCKING
                or name.startswith(BLOCKING_MODULES)
                or name.rsplit(".", 1)[-1] in BLOCKING_NAMES
                or (
                    not awaited
                    and method in {"read_text", "read_bytes", "write_text", "write_bytes"}
                )
            )
            unawaited = (
                not awaited
                and method in SESSION_METHODS
                and isinstance(call.func, ast.Attribute)
                and is_session(call.func.value)
            )
            if blocking or unawaited:
                found.append(f"{where}, line {call.lineno} ({function.name}): {name or method}()")
    return found


def test_no_blocking_call_on_the_event_loop(app_dir: Path) -> None:
    found = [f for where, tree in app_sources(app_dir) for f in blocking_in(tree, where)]
    assert not found, (
        f"a call that blocks the event loop, in an async def: {found[0]}: await its async form "
        f"or run it with run_in_threadpool ({len(found)} in all)"
    )


def test_password_hashing_runs_in_the_thread_pool(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dynamic: bcrypt, called while a sign-up and a login are served, runs off the loop."""
    passwords = import_app_module("app.core.passwords")
    context = getattr(passwords, "pwd_context", None)
    if context is None:
        pytest.skip("app/core/passwords.py has no pwd_context to watch")
    on_the_loop: list[str] = []

    def watched(name: str) -> Callable[..., Any]:
        original = getattr(context, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                asyncio.get_running_loop()
                on_the_loop.append(name)
            except RuntimeError:
                pass  # no loop in this thread: the thread pool
            return original(*args, **kwargs)

        return call

    for name in ("hash", "verify"):
        monkeypatch.setattr(context, name, watched(name))
    email = f"{unique('audit')}@example.com"
    user = {"name": "Audit", "email": email, "password": "audited-secret-1"}
    r = client.post("/api/v1/users", json=user)
    assert r.status_code == 201, f"POST /api/v1/users answered {why(r)}"
    r = client.post("/api/v1/auth/token", data={"username": email, "password": user["password"]})
    assert r.status_code == 200, f"POST /api/v1/auth/token answered {why(r)}"
    assert not on_the_loop, (
        f"pwd_context.{on_the_loop[0]} ran on the event loop during a sign-up or a login: call "
        "new_hash / password_matches (run_in_threadpool), not hash_password / verify_password"
    )


# --- 28.2: Pydantic models in, response models out -----------------------------------------


def is_table(model: Any) -> bool:
    return hasattr(model, "__table__") or any(is_table(a) for a in get_args(model))


def test_every_route_declares_what_it_answers(app: FastAPI) -> None:
    for name, context in app_routes(app):
        if not context.include_in_schema:
            continue
        module = context.endpoint.__module__
        response_class = getattr(context.response_class, "value", context.response_class)
        assert not is_table(context.response_model), (
            f"{name} answers the table model {context.response_model!r}: declare a response "
            f"model (...Out) in {module}, so only its fields leave"
        )
        returns = inspect.signature(context.endpoint).return_annotation
        builds_its_response = isinstance(returns, type) and issubclass(returns, Response)
        assert (
            context.response_model is not None
            or response_class is not JSONResponse
            or builds_its_response
            or context.status_code == 204
        ), f"{name} declares no response model: annotate the return type in {module}"


def test_every_operation_documents_the_error_envelope(document: Schema) -> None:
    for name, operation in operations(document):
        for status in ("4XX", "5XX"):
            content = operation.get("responses", {}).get(status, {}).get("content", {})
            schema, _ = resolve(content.get("application/json", {}).get("schema", {}), document)
            error, _ = resolve(schema.get("properties", {}).get("error", {}), document)
            assert {"code", "message"} <= set(error.get("properties", {})), (
                f"{name} does not document its {status} answers as the error envelope: "
                "responses=ERROR_RESPONSES on the app (app/main.py)"
            )


def unbounded_in(
    schema: Schema, document: Schema, where: str, seen: frozenset[str] = frozenset()
) -> list[str]:
    schema, name = resolve(schema, document)
    if name in seen or not schema:
        return []
    seen = seen | {name} if name else seen
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            found += unbounded_in(branch, document, where, seen)
    if "enum" in schema or "const" in schema:
        return found
    kind = schema.get("type")
    if kind == "string":
        is_file = schema.get("format") in {"binary", "byte"} or "contentMediaType" in schema
        if "maxLength" not in schema and not is_file:
            found.append(f"{where}: a string without max_length")
    elif kind == "integer" and not {"maximum", "exclusiveMaximum"} & set(schema):
        found.append(f"{where}: an integer without le=")
    elif kind == "number" and not {
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
    } & set(schema):
        found.append(f"{where}: a number without a bound")
    elif kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}: a list without max_length")
        found += unbounded_in(schema.get("items", {}), document, f"{where}[]", seen)
    for field, sub in schema.get("properties", {}).items():
        found += unbounded_in(sub, document, f"{where}.{field}", seen)
    if isinstance(schema.get("additionalProperties"), dict) and "maxProperties" not in schema:
        found.append(f"{where}: a map without maxProperties")
    return found


def test_every_request_body_is_bounded(document: Schema) -> None:
    found = [f for name, s in body_schemas(document) for f in unbounded_in(s, document, name)]
    assert not found, (
        f"a request body a client may make as large as it likes: {found[0]}: bound it in its "
        f"Pydantic model (Field(max_length=..., le=...)) ({len(found)} in all)"
    )


def test_every_request_body_is_a_model(document: Schema) -> None:
    for name, schema in body_schemas(document):
        resolved, ref = resolve(schema, document)
        assert ref is not None and resolved.get("type") == "object", (
            f"{name} takes a body that is not a model ({schema}): declare a Pydantic model "
            "for it in app/schemas/"
        )


EXPOSED = re.compile(r"passw(or)?d|hash|secret", re.IGNORECASE)


def exposed_in(schema: Schema, document: Schema, seen: frozenset[str] = frozenset()) -> list[str]:
    schema, name = resolve(schema, document)
    if name in seen or not schema:
        return []
    seen = seen | {name} if name else seen
    found = [f"{name}.{field}" for field in schema.get("properties", {}) if EXPOSED.search(field)]
    subs = list(schema.get("properties", {}).values()) + [schema.get("items", {})]
    subs += schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", [])
    return found + [f for sub in subs for f in exposed_in(sub, document, seen)]


def test_no_answer_carries_a_password_or_a_hash(document: Schema) -> None:
    for name, operation in operations(document):
        for status, response in operation.get("responses", {}).items():
            for content in response.get("content", {}).values() if status.startswith("2") else ():
                found = exposed_in(content.get("schema", {}), document)
                assert not found, (
                    f"{name} answers {found[0]}: answer a response model without it "
                    "(app/schemas/), never the table model"
                )


# --- 28.1 and 28.2: secrets from the environment, strong and short-lived -------------------

SECRET_NAME = re.compile(r"secret|passw(or)?d|api_?key|private_?key", re.IGNORECASE)
PLACEHOLDER = re.compile(r"redact|mask|hidden|removed", re.IGNORECASE)


def literal_of(value: ast.expr | None) -> str:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    if isinstance(value, ast.Call) and getattr(value.func, "id", "") in {"SecretStr", "Field"}:
        given = [k.value for k in value.keywords if k.arg == "default"] + value.args[:1]
        return next((t for t in map(literal_of, given) if t), "")
    return ""


def is_placeholder(text: str) -> bool:
    """ "", "***" or "[redacted]": what a log writes instead of a secret, not a secret."""
    return not text.strip("* ") or bool(PLACEHOLDER.search(text))


def secrets_in(tree: ast.Module, where: str) -> list[str]:
    found = []
    for node in ast.walk(tree):
        pairs: list[tuple[str | None, ast.expr | None]] = []
        if isinstance(node, ast.Assign):
            pairs = [(getattr(t, "id", getattr(t, "attr", None)), node.value) for t in node.targets]
        elif isinstance(node, ast.AnnAssign):
            pairs = [(getattr(node.target, "id", None), node.value)]
        elif isinstance(node, ast.keyword):
            pairs = [(node.arg, node.value)]
        elif isinstance(node, ast.arguments):
            positional = node.posonlyargs + node.args
            named = positional[len(positional) - len(node.defaults) :]
            pairs = [(a.arg, d) for a, d in zip(named, node.defaults, strict=True)]
            pairs += [(a.arg, d) for a, d in zip(node.kwonlyargs, node.kw_defaults, strict=True)]
        elif isinstance(node, ast.Dict):
            pairs = [
                (k.value, v)
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            ]
        for name, value in pairs:
            if name and SECRET_NAME.search(name) and not is_placeholder(literal_of(value)):
                found.append(f"{where}, line {getattr(value, 'lineno', '?')}: {name}")
    return found


def test_no_secret_is_written_in_the_code(app_dir: Path) -> None:
    found = [f for where, tree in app_sources(app_dir) for f in secrets_in(tree, where)]
    assert not found, (
        f"a secret written in the code: {found[0]} is given a literal: read it from the "
        f"environment, a setting of {CONFIG} with no default"
    )


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[str]]:
    """startup_problems() of production settings built from the given variables only."""
    config = import_app_module("app.core.config")
    for name in list(os.environ):
        if name in config.Settings.model_fields:
            monkeypatch.delenv(name)

    def problems(**variables: str) -> list[str]:
        fields = {"ENVIRONMENT": "production", "TRUSTED_HOSTS": "api.example.com", **variables}
        for name, value in fields.items():
            monkeypatch.setenv(name, value)
        return list(config.startup_problems(config.Settings(_env_file=None)))

    return problems


@pytest.mark.parametrize(
    "key", [None, "secret", "change_me", "short-key-1"], ids=["unset", "known", "default", "short"]
)
def test_production_refuses_a_missing_or_weak_secret_key(
    production: Callable[..., list[str]], key: str | None
) -> None:
    problems = production(**({"SECRET_KEY": key} if key else {}))
    assert any("SECRET_KEY" in problem for problem in problems), (
        f"production settings with SECRET_KEY {key or 'unset'} start: startup_problems must "
        f"refuse it ({CONFIG}, chapter 18)"
    )


def test_production_starts_with_a_strong_secret_key(production: Callable[..., list[str]]) -> None:
    problems = production(SECRET_KEY=secrets.token_urlsafe(32))
    assert not any("SECRET_KEY" in problem for problem in problems), (
        f"production refuses a random 43-character SECRET_KEY: {problems} ({CONFIG})"
    )


# At most an hour: a stolen token opens the API until it expires.
MAX_TOKEN_SECONDS = 3600
MAX_TOKEN_BOUND_SECONDS = 86_400


def token_lifetime_setting() -> tuple[str, int, float]:
    """The name of the setting of the tokens' lifetime, its default and its upper bound, in s."""
    config = import_app_module("app.core.config")
    for name, field in config.Settings.model_fields.items():
        unit = re.fullmatch(r"ACCESS_TOKEN\w*_(SECONDS|MINUTES)", name)
        if unit:
            scale = 60 if unit.group(1) == "MINUTES" else 1
            bound = min(
                [
                    getattr(m, "le", None) or getattr(m, "lt", None) or float("inf")
                    for m in field.metadata
                ]
                or [float("inf")]
            )
            return name, int(field.default) * scale, bound * scale
    pytest.fail(f"no ACCESS_TOKEN_..._SECONDS (or _MINUTES) setting in {CONFIG}")


def test_access_tokens_are_short_lived() -> None:
    name, default, bound = token_lifetime_setting()
    assert default <= MAX_TOKEN_SECONDS, (
        f"{name} defaults to {default} s: a stolen token opens the API that long; keep the "
        f"default at an hour or less ({CONFIG})"
    )
    assert bound <= MAX_TOKEN_BOUND_SECONDS, (
        f"{name} has no upper bound of a day or less: add le= to its Field ({CONFIG})"
    )


def test_an_issued_token_expires_within_the_setting(client: TestClient) -> None:
    name, _, _ = token_lifetime_setting()
    config = import_app_module("app.core.config")
    seconds = getattr(config.settings, name) * (60 if name.endswith("MINUTES") else 1)
    form = {"username": "alice@example.com", "password": "alice-secret-1"}
    r = client.post("/api/v1/auth/token", data=form)
    assert r.status_code == 200, f"POST /api/v1/auth/token answered {why(r)}"
    payload = r.json()["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert (
        "exp" in claims and claims["exp"] - claims.get("iat", claims["exp"] - seconds) <= seconds
    ), (
        f"the token of POST /api/v1/auth/token lives longer than {name} ({claims}): "
        "set exp from the setting (app/core/jwt_tokens.py)"
    )


# --- 28.1: sessions always given back; every error in the envelope -----------------------


def sample(parameter: Schema) -> str:
    kind = parameter.get("schema", {}).get("type")
    return "999999" if kind == "integer" else "audit"


def burst(client: TestClient, document: Schema) -> Iterator[tuple[str, httpx.Response]]:
    """Every GET of the document, with and without a login; every JSON body sent empty."""
    headers = admin_headers(client)
    for name, operation in operations(document):
        method, path = name.split(" ", 1)
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "path":
                path = path.replace(f"{{{parameter['name']}}}", sample(parameter))
        if method == "GET":
            yield f"GET {path}", client.get(path)
            yield f"GET {path} (logged in)", client.get(path, headers=headers)
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            yield f"{method} {path} {{}}", client.request(method, path, json={}, headers=headers)
            yield (
                f"{method} {path} (not JSON)",
                client.request(
                    method,
                    path,
                    content=b"{",
                    headers={**headers, "Content-Type": "application/json"},
                ),
            )
    yield "GET /audit-unknown-path", client.get(f"/{unique('audit')}")
    yield "DELETE /", client.delete("/")


# What called time.sleep on the event loop's thread during the burst (dynamic: the AST scan
# sees `time.sleep` in the source, this sees it run, wherever the call comes from).
SLEPT_ON_THE_LOOP: list[str] = []


def watched_sleep(original: Callable[[float], None]) -> Callable[[float], None]:
    def sleep(seconds: float) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass  # no loop in this thread: the thread pool, or the test itself
        else:
            frames = [f for f in traceback.extract_stack() if "/app/" in f.filename]
            where = f"{frames[-1].filename.rsplit('/app/', 1)[1]}, line {frames[-1].lineno}"
            SLEPT_ON_THE_LOOP.append(f"app/{where}" if frames else "a library")
        original(seconds)

    return sleep


@pytest.fixture(scope="module")
def answers(_started_client: TestClient, document: Schema) -> list[tuple[str, httpx.Response]]:
    _started_client.cookies.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "sleep", watched_sleep(time.sleep))
        return list(burst(_started_client, document))


def test_no_connection_is_left_lent_after_a_burst(
    answers: list[tuple[str, httpx.Response]],
) -> None:
    assert answers, "the OpenAPI document lists no operation"
    assert lent_out() == 0, (
        f"after {len(answers)} requests (every GET, every JSON body empty, errors included) "
        f"{lent_out()} database connections are still lent out: take the session from get_db "
        "(a dependency with yield, app/db/session.py), never open one in a route"
    )


def test_nothing_sleeps_on_the_event_loop_during_a_burst(
    answers: list[tuple[str, httpx.Response]],
) -> None:
    assert not SLEPT_ON_THE_LOOP, (
        f"time.sleep ran on the event loop while the app answered {len(answers)} requests "
        f"({SLEPT_ON_THE_LOOP[0]}): await asyncio.sleep, or run the work in the thread pool"
    )


def test_every_error_answers_the_envelope(answers: list[tuple[str, httpx.Response]]) -> None:
    for what, r in answers:
        assert r.status_code < 500, f"{what} answered {why(r)}: bad input is never a 500"
        if r.status_code >= 400:
            error = body(r).get("error") if isinstance(body(r), dict) else None
            assert isinstance(error, dict) and {"code", "message", "details"} <= set(error), (
                f"{what} answered {r.status_code} {str(body(r))[:120]}: every error answers "
                "the envelope (app/core/errors.py, register_exception_handlers)"
            )


def test_exception_handlers_cover_every_error(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    for kind in (Exception, HTTPException, RequestValidationError):
        assert kind in app.exception_handlers, (
            f"no exception handler for {kind.__name__}: register_exception_handlers "
            "(app/core/errors.py) answers it with the envelope"
        )


# --- 28.2: services separated from routes; sessions through Depends ----------------------


def test_routes_leave_queries_to_the_repositories(app: FastAPI, app_dir: Path) -> None:
    for path in route_files(app, app_dir):
        where = path.relative_to(app_dir).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            for module in modules:
                assert module.split(".")[0] not in {"sqlalchemy", "sqlmodel"}, (
                    f"{where} imports {module}: a route module builds no query; move it into "
                    "a repository (app/repositories/) that a service or the route calls"
                )
                assert module != "app.db.session", (
                    f"{where} imports app.db.session: a route takes its session from "
                    "Depends (SessionDep, app/api/deps.py), never from the engine"
                )
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                method = node.func.attr
                assert not (
                    method in SESSION_METHODS | {"add", "delete"} and is_session(node.func.value)
                ), (
                    f"{where}, line {node.lineno}: a route calls the session's .{method}(): "
                    "move the query into a repository (app/repositories/)"
                )


def test_routes_take_the_user_from_depends(app: FastAPI, app_dir: Path) -> None:
    """No route reads the Authorization header or decodes a token itself: get_current_user
    (a dependency, app/api/deps.py) does, once, for every route that declares it."""
    for path in route_files(app, app_dir):
        where = path.relative_to(app_dir).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Inside functions: a module may name the header elsewhere (CORS in app/main.py).
        functions = [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        for node in (inner for function in functions for inner in ast.walk(function)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert node.value.strip().lower() != "authorization", (
                    f"{where}, line {node.lineno} reads the Authorization header itself: take "
                    "the user from Depends (CurrentUser, app/api/deps.py)"
                )
            if isinstance(node, ast.arg):
                assert node.arg.lower() != "authorization", (
                    f"{where}, line {node.lineno}: a route takes the Authorization header as a "
                    "parameter: take the user from Depends (CurrentUser, app/api/deps.py)"
                )
            if isinstance(node, ast.Call):
                name = dotted(node.func, {}) or ""
                assert not name.endswith(("read_access_token", "jwt.decode")), (
                    f"{where}, line {node.lineno} decodes a token itself ({name}): take the user "
                    "from Depends (CurrentUser, app/api/deps.py)"
                )


# --- exercises: the learner's audit finds nothing on the app, and catches planted pitfalls --


def learners(module: str) -> Any:
    return import_app_module(module)


@pytest.fixture(scope="module")
def route_file(app: FastAPI, app_dir: Path) -> Path:
    """The file of one route module of the app: where the pitfalls are planted."""
    files = route_files(app, app_dir)
    if not files:
        pytest.fail("the app has no route module under app/")
    return files[0]


# name: (code appended to a route module, what it is). Each is a pitfall of guide section 28.1.
PLANTED_BLOCKING = {
    "time_sleep": ("import time\n\nasync def planted():\n    time.sleep(1)\n", "time.sleep()"),
    "from_time_import_sleep": (
        "from time import sleep\n\nasync def planted():\n    sleep(1)\n",
        "sleep() imported with `from time import sleep`",
    ),
    "aliased_time": (
        "import time as clock\n\nasync def planted():\n    clock.sleep(1)\n",
        "time.sleep() through `import time as clock`",
    ),
    "requests_get": (
        "import requests\n\nasync def planted():\n    return requests.get('https://x.org')\n",
        "requests.get()",
    ),
    "open_file": (
        "async def planted():\n    with open('notes.txt') as notes:\n        return notes.read()\n",
        "open()",
    ),
    "subprocess_run": (
        "import subprocess\n\nasync def planted():\n    subprocess.run(['true'])\n",
        "subprocess.run()",
    ),
    "hash_password": (
        "from app.core.passwords import hash_password\n\n"
        "async def planted(p):\n    return hash_password(p)\n",
        "hash_password() called directly",
    ),
    "session_commit_not_awaited": (
        "async def planted(db):\n    db.commit()\n",
        "db.commit() without await",
    ),
    "method_of_a_repository": (
        "class Planted:\n    async def planted(self, q):\n        return self.db.execute(q)\n",
        "self.db.execute() without await, in a method of a class",
    ),
    "deep_in_a_branch": (
        "import time\n\nasync def planted(slow):\n    if slow:\n"
        "        for _ in range(3):\n            time.sleep(1)\n",
        "time.sleep() inside an if and a for",
    ),
}
# name: (code appended, why it is fine)
PLANTED_FINE = {
    "sleep_in_a_sync_def": (
        "import time\n\ndef planted():\n    time.sleep(1)\n",
        "time.sleep in a plain def (FastAPI runs a def route in the thread pool)",
    ),
    "awaited": (
        "import asyncio\n\nasync def planted(db):\n"
        "    await asyncio.sleep(1)\n    await db.commit()\n",
        "asyncio.sleep and the session's commit, awaited",
    ),
    "in_the_thread_pool": (
        "from fastapi.concurrency import run_in_threadpool\n"
        "from app.core.passwords import hash_password\n\n"
        "async def planted(p):\n    return await run_in_threadpool(hash_password, p)\n",
        "hash_password handed to run_in_threadpool (not called on the loop)",
    ),
    "nested_def": (
        "import time\nfrom fastapi.concurrency import run_in_threadpool\n\n"
        "async def planted():\n    def work():\n        time.sleep(1)\n\n"
        "    await run_in_threadpool(work)\n",
        "time.sleep in a nested def that the thread pool runs",
    ),
}


def planted_copy(app_dir: Path, route_file: Path, tmp_path: Path, code: str) -> tuple[Path, str]:
    """A copy of the app with `code` appended to one of its route modules: (the copy, the file)."""
    copied = tmp_path / "planted"
    shutil.copytree(app_dir / "app", copied / "app", ignore=shutil.ignore_patterns("__pycache__"))
    relative = route_file.relative_to(app_dir).as_posix()
    text = (copied / relative).read_text(encoding="utf-8").rstrip("\n")
    (copied / relative).write_text(f"{text}\n\n\n{code}", encoding="utf-8")
    return copied, relative


# How a finding starts: "app/api/v1/routes/items.py, line 12: ..."
FINDING = re.compile(r"^(\S+), line (\d+)\b")


def scan_with(folder: Path, check: Callable[[ast.Module, str], list[str]]) -> list[str]:
    found: list[str] = []
    for path in sorted((folder / "app").rglob("*.py")):
        where = path.relative_to(folder).as_posix()
        result = check(ast.parse(path.read_text(encoding="utf-8")), where)
        assert isinstance(result, list), (
            f"blocking_calls returned {result!r}, not a list ({SOURCE})"
        )
        found += result
    return found


@pytest.mark.exercise("28.1")
def test_the_audit_finds_no_blocking_call_in_the_app(app_dir: Path) -> None:
    """Nothing that the check's own scan does not find (the app's real ones are its to fix)."""
    source = learners("app.audit.source")
    real = {
        (where, int(line.split(", line ")[1].split(" ")[0]))
        for where, tree in app_sources(app_dir)
        for line in blocking_in(tree, where)
    }
    found = scan_with(app_dir, source.blocking_calls)
    wrong = [f for f in found if not (at := FINDING.match(f)) or (at[1], int(at[2])) not in real]
    assert not wrong, (
        f"blocking_calls finds {wrong[0]!r} in the app, which blocks nothing there: a plain def "
        f"runs in the thread pool, an awaited call does not block; a finding starts "
        f'"app/x.py, line N:" ({SOURCE})'
    )


@pytest.mark.exercise("28.1")
@pytest.mark.parametrize("plant", list(PLANTED_BLOCKING))
def test_the_audit_catches_a_planted_blocking_call(
    plant: str, app_dir: Path, route_file: Path, tmp_path: Path
) -> None:
    source = learners("app.audit.source")
    code, what = PLANTED_BLOCKING[plant]
    copied, relative = planted_copy(app_dir, route_file, tmp_path, code)
    found = [f for f in scan_with(copied, source.blocking_calls) if relative in f]
    assert found, (
        f"blocking_calls misses {what} in an async def (planted in a copy of {relative}) ({SOURCE})"
    )


@pytest.mark.exercise("28.1")
@pytest.mark.parametrize("plant", list(PLANTED_FINE))
def test_the_audit_leaves_what_does_not_block_alone(
    plant: str, app_dir: Path, route_file: Path, tmp_path: Path
) -> None:
    source = learners("app.audit.source")
    code, what = PLANTED_FINE[plant]
    copied, relative = planted_copy(app_dir, route_file, tmp_path, code)
    found = [f for f in scan_with(copied, source.blocking_calls) if relative in f]
    assert not found, (
        f"blocking_calls flags {what}, which does not block the loop: {found[0]!r} ({SOURCE})"
    )


# name: (the property planted in a request body's model, what it is)
PLANTED_UNBOUNDED: dict[str, tuple[Schema, str]] = {
    "string": ({"type": "string"}, "a string without maxLength"),
    "optional_string": (
        {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "an optional string without maxLength (inside anyOf)",
    ),
    "integer": ({"type": "integer", "minimum": 1}, "an integer without a maximum"),
    "number": ({"type": "number"}, "a number without any bound"),
    "list": (
        {"type": "array", "items": {"type": "integer", "maximum": 5}},
        "a list without maxItems",
    ),
    "nested_model": (
        {"$ref": "#/components/schemas/PlantedNote"},
        "a string without maxLength in a nested model (a $ref)",
    ),
    "list_of_models": (
        {"type": "array", "maxItems": 5, "items": {"$ref": "#/components/schemas/PlantedNote"}},
        "a string without maxLength in the models of a list",
    ),
    "map": (
        {"type": "object", "additionalProperties": {"type": "string", "maxLength": 5}},
        "a map (dict[str, str]) without maxProperties",
    ),
}
PLANTED_BOUNDED: dict[str, tuple[Schema, str]] = {
    "bounded": (
        {
            "type": "object",
            "properties": {
                "a": {"type": "string", "maxLength": 10},
                "b": {"type": "integer", "minimum": 0, "maximum": 3},
                "c": {"type": "array", "maxItems": 2, "items": {"type": "boolean"}},
                "d": {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "null"}]},
            },
        },
        "strings with maxLength, a bounded integer, a short list of booleans, a number > 0",
    ),
    "enum": ({"type": "string", "enum": ["red", "green"]}, "an enum of two strings"),
    "file": (
        {"type": "string", "contentMediaType": "application/octet-stream"},
        "an uploaded file (the body limit bounds it, not a maxLength)",
    ),
    "model_that_contains_itself": (
        {"$ref": "#/components/schemas/PlantedTree"},
        "a model that contains itself (bounded: followed once, not forever)",
    ),
}
PLANTED_COMPONENTS: dict[str, Schema] = {
    "PlantedNote": {"type": "object", "properties": {"text": {"type": "string"}}},
    "PlantedTree": {
        "type": "object",
        "properties": {
            "label": {"type": "string", "maxLength": 20},
            "children": {
                "type": "array",
                "maxItems": 3,
                "items": {"$ref": "#/components/schemas/PlantedTree"},
            },
        },
    },
}


def planted_document(document: Schema, field: Schema) -> Schema:
    """A copy of the document whose first JSON body model has one more property, `planted`."""
    planted = copy.deepcopy(document)
    planted["components"]["schemas"].update(copy.deepcopy(PLANTED_COMPONENTS))
    for _, schema in body_schemas(planted):
        model, name = resolve(schema, planted)
        if name and "properties" in model:
            model["properties"]["planted"] = copy.deepcopy(field)
            return planted
    pytest.fail("no request body of the app is a model with properties: nothing to plant in")


def unbounded_of(document: Schema) -> list[str]:
    api = learners("app.audit.api")
    try:
        found = api.unbounded_bodies(document)
    except RecursionError:
        pytest.fail(
            f"unbounded recurses forever on a model that contains itself: keep "
            f"the names of the schemas already followed (`seen`) ({API})"
        )
    assert isinstance(found, list), f"unbounded_bodies returned {found!r} ({API})"
    return found


@pytest.mark.exercise("28.2")
def test_the_audit_finds_every_request_body_of_the_app_bounded(document: Schema) -> None:
    found = unbounded_of(copy.deepcopy(document))
    assert not found, (
        f"unbounded finds {found[0]!r} in the app's own document, where every body is bounded: "
        f"only request bodies count; an enum, a const or a file is bounded; an integer needs a "
        f"maximum, a number any bound ({API})"
    )


@pytest.mark.exercise("28.2")
@pytest.mark.parametrize("plant", list(PLANTED_UNBOUNDED))
def test_the_audit_catches_a_planted_unbounded_field(plant: str, document: Schema) -> None:
    field, what = PLANTED_UNBOUNDED[plant]
    found = [f for f in unbounded_of(planted_document(document, field)) if "planted" in f]
    assert found, (
        f"unbounded misses {what} in a request body (the property `planted`, in a copy of the "
        f"app's OpenAPI document) ({API})"
    )


@pytest.mark.exercise("28.2")
@pytest.mark.parametrize("plant", list(PLANTED_BOUNDED))
def test_the_audit_leaves_bounded_fields_alone(plant: str, document: Schema) -> None:
    field, what = PLANTED_BOUNDED[plant]
    found = [f for f in unbounded_of(planted_document(document, field)) if "planted" in f]
    assert not found, f"unbounded flags {what}, which is bounded: {found[0]!r} ({API})"


@pytest.mark.exercise("28.2")
def test_the_audit_reads_request_bodies_not_answers(document: Schema) -> None:
    """An unbounded field in an answer's model is no client's to fill: not a finding."""
    planted = copy.deepcopy(document)
    planted["components"]["schemas"]["PlantedOut"] = {
        "type": "object",
        "properties": {"planted": {"type": "string"}, "count": {"type": "integer"}},
    }
    for _, operation in operations(planted):
        if "requestBody" not in operation:
            operation["responses"]["200"] = {
                "description": "planted",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/PlantedOut"}}
                },
            }
            break
    found = [f for f in unbounded_of(planted) if "planted" in f.lower()]
    assert not found, (
        f"unbounded flags a field of an answer's model ({found[0]!r}): only the bodies a client "
        f"sends need bounds ({API})"
    )


# --- the whole audit: in the app's own suite, and as `python -m app.audit` -------------------


def test_the_app_suite_runs_the_audit(app_dir: Path) -> None:
    suite = app_dir / "tests" / "test_audit.py"
    assert suite.is_file() and "audit()" in suite.read_text(encoding="utf-8"), (
        "no tests/test_audit.py that calls audit(): run its %%app cell (the audit in `pytest "
        "tests`)"
    )


def test_the_whole_audit_passes_on_the_app(app: FastAPI) -> None:
    found = learners("app.audit").audit()
    assert found == [], (
        f"app/audit/ finds {found[0] if found else found!r} on the app: fix it there"
    )


@pytest.mark.slow
def test_python_m_app_audit_is_a_gate(app_dir: Path, route_file: Path, tmp_path: Path) -> None:
    """`python -m app.audit` exits 0 on the app, 1 on a copy with time.sleep in a route."""
    env = {**os.environ, "PYTHONPATH": ""}

    def run(folder: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app.audit"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = run(app_dir)
    assert done.returncode == 0, (
        f"`python -m app.audit` fails on the app: {(done.stdout + done.stderr).strip()[-300:]}"
    )
    code, _ = PLANTED_BLOCKING["time_sleep"]
    copied, relative = planted_copy(app_dir, route_file, tmp_path, code)
    done = run(copied)
    assert done.returncode == 1 and relative in done.stdout, (
        f"`python -m app.audit` on a copy with time.sleep in {relative} exits "
        f"{done.returncode} with {done.stdout.strip()[-300:]!r}: it must name the file and exit 1"
    )
