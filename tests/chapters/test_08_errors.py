"""Chapter 08: response models, status codes, and one error envelope for every error.

Every error answers {"error": {"code": str, "message": str, "details": list | null}},
whether the router, FastAPI's validation, the app's own code or a bug raised it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi
import httpx
import pytest
from conftest import admin_headers, body, import_app_module, raised
from fastapi import FastAPI
from fastapi import exception_handlers as defaults
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient
from starlette.exceptions import HTTPException

from workbook.server import LiveServer

ERRORS = "app/core/errors.py"
USERS = "app/api/v1/routes/users.py"
SESSION = "app/api/v1/routes/session.py"
NEW_USER = {"name": "Dora", "email": "dora@example.com", "password": "dora-secret-1"}


def no_crash(response: httpx.Response, where: str) -> None:
    """A 500 means a route or a handler raised: say so, not "wrong status"."""
    if response.status_code == 500:
        pytest.fail(
            f"{where} answered 500{raised()}: a route or an exception handler raised "
            f"(server.log() shows "
            f"the traceback); finish the exercises of {ERRORS} and {USERS}"
        )


def envelope(response: httpx.Response, where: str) -> dict[str, Any]:
    """The "error" object of an error answer, or a failure saying what the body was."""
    no_crash(response, where)
    answer = body(response)
    error = answer.get("error") if isinstance(answer, dict) else None
    assert isinstance(error, dict) and set(answer) == {"error"}, (
        f"{where} answered {response.status_code} {answer!r}, not the envelope "
        f'{{"error": {{...}}}}: check the handlers of register_exception_handlers in {ERRORS}'
    )
    assert set(error) == {"code", "message", "details"}, (
        f"{where}: the error object has the keys {sorted(error)}, not code, message and "
        f"details: build it with error_response() in {ERRORS}"
    )
    return error


def create_user(client: TestClient, **changes: str) -> httpx.Response:
    return client.post("/api/v1/users", json={**NEW_USER, **changes})


# --- the errors module ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("NotFoundError", 404, "not_found"),
        ("ConflictError", 409, "conflict"),
        ("UnauthorizedError", 401, "unauthorized"),
    ],
)
def test_app_errors_carry_status_and_code(app_dir: Path, name: str, status: int, code: str) -> None:
    errors = import_app_module("app.core.errors")
    base = getattr(errors, "AppError", None)
    error_class = getattr(errors, name, None)
    assert isinstance(base, type) and issubclass(base, Exception), (
        f"{ERRORS} must define class AppError(Exception)"
    )
    assert isinstance(error_class, type) and issubclass(error_class, base), (
        f"{ERRORS} must define class {name}(AppError)"
    )
    error = error_class("some message")
    found = (
        getattr(error, "status_code", None),
        getattr(error, "code", None),
        getattr(error, "message", None),
    )
    assert found == (status, code, "some message"), (
        f"{name}('some message') has status_code, code, message = {found}, not "
        f"({status}, {code!r}, 'some message'): fix it in {ERRORS}"
    )


def test_main_registers_the_exception_handlers(app: FastAPI) -> None:
    errors = import_app_module("app.core.errors")
    # FastAPI installs its own handlers for the last two: they must be replaced.
    wanted = {
        "AppError": (getattr(errors, "AppError", None), None),
        "starlette.exceptions.HTTPException": (HTTPException, defaults.http_exception_handler),
        "RequestValidationError": (
            RequestValidationError,
            defaults.request_validation_exception_handler,
        ),
    }
    missing = [
        name
        for name, (cls, default) in wanted.items()
        if app.exception_handlers.get(cls, default) is default
    ]
    assert fastapi.HTTPException not in app.exception_handlers, (
        "the app registers a handler for fastapi.HTTPException, which misses the router's "
        f"404 and 405: register it for starlette.exceptions.HTTPException ({ERRORS})"
    )
    assert not missing, (
        f"the app has no exception handler of its own for {', '.join(missing)}: call "
        f"register_exception_handlers(app) in app/main.py (and register each in {ERRORS})"
    )


def test_handlers_answer_an_app_error_of_any_subclass(app_dir: Path) -> None:
    errors = import_app_module("app.core.errors")

    class TeapotError(errors.AppError):  # type: ignore[name-defined, misc]
        status_code = 418
        code = "teapot"

    demo = FastAPI()
    errors.register_exception_handlers(demo)

    @demo.get("/brew")
    async def brew() -> None:
        raise TeapotError("I am a teapot")

    r = TestClient(demo, raise_server_exceptions=False).get("/brew")
    assert r.status_code == 418, (
        f"an AppError subclass with status_code 418 answered {r.status_code}: handle_app_error "
        f"in {ERRORS} must answer exc.status_code"
    )
    assert envelope(r, "an AppError subclass") == {
        "code": "teapot",
        "message": "I am a teapot",
        "details": None,
    }, f"an AppError answered {body(r)!r}: use exc.code and exc.message in handle_app_error"


def test_a_bug_answers_500_in_the_envelope_without_its_internals(app_dir: Path) -> None:
    errors = import_app_module("app.core.errors")
    demo = FastAPI()
    errors.register_exception_handlers(demo)

    @demo.get("/bug")
    async def bug() -> None:
        raise KeyError("password_hash of user 7")

    r = TestClient(demo, raise_server_exceptions=False).get("/bug")
    answer = body(r)
    error = answer.get("error") if isinstance(answer, dict) else None
    assert r.status_code == 500 and isinstance(error, dict), (
        f"an unexpected exception answered {r.status_code} {answer!r}: register a handler for "
        f"Exception that answers 500 with the envelope in {ERRORS}"
    )
    assert error.get("code") == "internal_error" and "password_hash" not in r.text, (
        f"an unexpected exception answered {answer!r}: answer code 'internal_error' and say "
        f"nothing about the exception (handle_unexpected_error in {ERRORS})"
    )


def test_a_bug_answers_500_with_connection_close(app_dir: Path) -> None:
    """uvicorn closes the connection after a 500 of a bug (Starlette raises the exception
    again): the answer must say so, or the client's next request on it is reset."""
    errors = import_app_module("app.core.errors")
    demo = FastAPI()
    errors.register_exception_handlers(demo)

    @demo.get("/bug")
    async def bug() -> None:
        raise KeyError("password_hash of user 7")

    r = TestClient(demo, raise_server_exceptions=False).get("/bug")
    assert r.status_code == 500 and r.headers.get("connection") == "close", (
        f"an unexpected exception answered {r.status_code} with Connection: "
        f"{r.headers.get('connection')!r}: the server closes the connection after it, so "
        f"answer headers={{'Connection': 'close'}} (handle_unexpected_error in {ERRORS})"
    )


BUG_APP = """
import os, sys
sys.path.insert(0, os.environ["BUG_APP_DIR"])
from fastapi import FastAPI
from app.core.errors import register_exception_handlers

demo = FastAPI()
register_exception_handlers(demo)


@demo.get("/bug")
async def bug() -> None:
    raise KeyError("password_hash of user 7")


@demo.get("/fine")
async def fine() -> dict[str, bool]:
    return {"fine": True}
"""


@pytest.mark.slow
def test_a_kept_alive_connection_survives_a_bug(
    app_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under uvicorn: one client, a 500 of a bug, then a second request: it is answered."""
    (tmp_path / "bug_app.py").write_text(BUG_APP)
    monkeypatch.setenv("BUG_APP_DIR", str(app_dir))
    with LiveServer(tmp_path, "bug_app:demo") as server:
        for _attempt in range(3):  # a reset depends on timing: give it three chances
            with httpx.Client(base_url=server.url, timeout=10) as one_client:
                first = one_client.get("/bug")
                try:
                    second: httpx.Response | str = one_client.get("/fine")
                except httpx.TransportError as error:
                    second = f"{type(error).__name__}: {error}"
            assert first.status_code == 500, (
                f"under uvicorn, a route that raises KeyError answered {first.status_code}, "
                f"not 500 (handle_unexpected_error in {ERRORS})"
            )
            assert isinstance(second, httpx.Response) and second.status_code == 200, (
                f"under uvicorn, the request after a 500 on the same client failed ({second}): "
                f"uvicorn closed the connection; answer the 500 with Connection: close "
                f"(handle_unexpected_error in {ERRORS})"
            )


# --- the envelope on the app's routes --------------------------------------------------


@pytest.mark.exercise("08.3")
def test_unknown_user_answers_the_not_found_envelope(client: TestClient, as_admin: None) -> None:
    r = client.get("/api/v1/users/999")
    error = envelope(r, "GET /api/v1/users/999")
    assert r.status_code == 404, (
        f"GET /api/v1/users/999 answered {r.status_code}: find_user in {USERS} (from chapter "
        f"14 on, UserService.get) must raise NotFoundError"
    )
    assert error == {"code": "not_found", "message": "User 999 not found", "details": None}, (
        f'GET /api/v1/users/999 answered {error!r}: raise NotFoundError(f"User {{user_id}} not '
        f'found") in find_user ({USERS}; from chapter 14 on, NotFound in UserService.get)'
    )


@pytest.mark.exercise("08.1")
def test_unknown_path_answers_the_envelope(client: TestClient) -> None:
    r = client.get("/api/v1/nowhere")
    error = envelope(r, "GET /api/v1/nowhere")
    assert r.status_code == 404 and error["code"] == "not_found", (
        f"GET /api/v1/nowhere answered {r.status_code} {error!r}: the HTTPException handler in "
        f"{ERRORS} must answer its status with code_for_status(...) as the code"
    )
    assert error["message"] == "Not Found", (
        f"GET /api/v1/nowhere has the message {error['message']!r}: use exc.detail as the "
        f"message in handle_http_exception ({ERRORS})"
    )


@pytest.mark.exercise("08.1")
def test_wrong_method_answers_405_and_says_which_methods_are_allowed(
    client: TestClient,
) -> None:
    r = client.delete("/api/v1/health")
    error = envelope(r, "DELETE /api/v1/health")
    assert r.status_code == 405 and error["code"] == "method_not_allowed", (
        f"DELETE /api/v1/health answered {r.status_code} {error!r}: answer the HTTPException's "
        f"status with code_for_status(...) in handle_http_exception ({ERRORS})"
    )
    assert "GET" in r.headers.get("allow", ""), (
        f"DELETE /api/v1/health answered 405 without an Allow header: pass headers=exc.headers "
        f"to error_response in handle_http_exception ({ERRORS})"
    )


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("OPTIONS", "/api/v1/users/1", {"GET", "PUT", "PATCH", "DELETE"}),
        ("PATCH", "/api/v1/users", {"GET", "POST"}),
    ],
    ids=["OPTIONS a user", "PATCH the users"],
)
def test_a_405_allows_every_method_of_the_path(
    client: TestClient, method: str, path: str, expected: set[str]
) -> None:
    r = client.request(method, path)
    allowed = {m.strip() for m in r.headers.get("allow", "").split(",") if m.strip()}
    assert r.status_code == 405 and expected <= allowed, (
        f"{method} {path} answered {r.status_code} with Allow: {r.headers.get('allow')!r}, not "
        f"every method of the path ({', '.join(sorted(expected))}): Starlette names only the "
        f"first route's; set exc.headers['Allow'] = allowed_methods(request) "
        f"(app/core/methods.py) for a 405 in handle_http_exception ({ERRORS})"
    )


@pytest.mark.exercise("08.2")
def test_validation_error_answers_the_envelope_with_details(
    client: TestClient, as_admin: None
) -> None:
    r = client.get("/api/v1/users/0")
    error = envelope(r, "GET /api/v1/users/0")
    assert r.status_code == 422, f"GET /api/v1/users/0 answered {r.status_code}, not 422"
    assert (error["code"], error["message"]) == ("validation_error", "Request validation failed"), (
        f"GET /api/v1/users/0 answered code {error['code']!r}, message {error['message']!r}: "
        f"use 'validation_error' and 'Request validation failed' in handle_validation_error "
        f"({ERRORS})"
    )
    details = error["details"]
    assert isinstance(details, list) and details, (
        f"GET /api/v1/users/0 answered details {details!r}: list one ErrorDetail per entry of "
        f"exc.errors() in handle_validation_error ({ERRORS})"
    )
    assert all(isinstance(d, dict) and set(d) == {"loc", "msg", "type"} for d in details), (
        f"the details of GET /api/v1/users/0 are {details!r}: keep exactly loc, msg and type "
        f"of each error in handle_validation_error ({ERRORS})"
    )
    assert ["path", "user_id"] in [d["loc"] for d in details], (
        f"the details of GET /api/v1/users/0 are {details!r}: loc must be the error's loc, "
        f'as a list (["path", "user_id"])'
    )


@pytest.mark.exercise("08.2")
def test_validation_error_does_not_echo_what_was_sent(client: TestClient) -> None:
    r = create_user(client, password="hunter2")
    envelope(r, "POST /api/v1/users with a 7-character password")
    assert r.status_code == 422, (
        f"POST /api/v1/users with a 7-character password answered {r.status_code}, not 422"
    )
    assert "hunter2" not in r.text, (
        "the 422 of POST /api/v1/users sends the rejected password back: leave each error's "
        f"input out of the details in handle_validation_error ({ERRORS})"
    )


def test_taken_email_answers_409_conflict(client: TestClient) -> None:
    r = create_user(client, email="ALICE@example.com")
    error = envelope(r, "POST /api/v1/users with Alice's email")
    assert r.status_code == 409 and error["code"] == "conflict", (
        f"POST /api/v1/users with Alice's email answered {r.status_code} {error!r}: raise "
        f'ConflictError("Email already registered") in {USERS}'
    )
    assert error["message"] == "Email already registered", (
        f"the 409 of POST /api/v1/users says {error['message']!r}, not 'Email already "
        f"registered' ({USERS})"
    )


@pytest.mark.parametrize(
    ("method", "path", "payload", "message"),
    [
        (
            "POST",
            "/api/v1/session/login",
            {"email": "alice@example.com", "password": "wrong"},
            "Invalid email or password",
        ),
        ("GET", "/api/v1/session/me", None, "Not logged in"),
    ],
    ids=["login", "me"],
)
def test_session_failures_answer_401_unauthorized(
    client: TestClient, method: str, path: str, payload: Any, message: str
) -> None:
    client.cookies.clear()
    r = client.request(method, path, json=payload)
    error = envelope(r, f"{method} {path}")
    assert (r.status_code, error["code"], error["message"]) == (401, "unauthorized", message), (
        f"{method} {path} answered {r.status_code} {error!r}: raise "
        f'UnauthorizedError("{message}") in {SESSION}'
    )


# --- status codes and response models --------------------------------------------------


def test_create_answers_201_and_delete_204_with_no_body(client: TestClient, as_admin: None) -> None:
    created = create_user(client, email="erin@example.com")
    no_crash(created, "POST /api/v1/users")
    assert created.status_code == 201, (
        f"POST /api/v1/users answered {created.status_code}: declare "
        f"status_code=status.HTTP_201_CREATED on create_user ({USERS})"
    )
    user_id = created.json()["id"]
    deleted = client.delete(f"/api/v1/users/{user_id}")
    no_crash(deleted, f"DELETE /api/v1/users/{user_id}")
    assert deleted.status_code == 204 and deleted.content == b"", (
        f"DELETE /api/v1/users/{user_id} answered {deleted.status_code} {deleted.content!r}: "
        f"answer 204 with no body (status.HTTP_204_NO_CONTENT, return None) in {USERS}"
    )
    again = client.delete(f"/api/v1/users/{user_id}")
    envelope(again, f"a second DELETE /api/v1/users/{user_id}")
    assert again.status_code == 404, (
        f"deleting user {user_id} twice answered {again.status_code}, not 404 ({USERS})"
    )


def test_no_user_route_sends_a_password(client: TestClient) -> None:
    created = create_user(client, email="fay@example.com", password="fay-secret-1")
    user_id = created.json().get("id", 1) if created.status_code == 201 else 1
    answers = {
        "POST /api/v1/users": created,
        "GET /api/v1/users": client.get("/api/v1/users"),
        f"GET /api/v1/users/{user_id}": client.get(f"/api/v1/users/{user_id}"),
        "GET /api/v1/users/search": client.get("/api/v1/users/search?q=fay"),
        f"PATCH /api/v1/users/{user_id}": client.patch(
            f"/api/v1/users/{user_id}", json={"name": "Fay"}
        ),
    }
    for route, r in answers.items():
        assert "password" not in r.text and "fay-secret-1" not in r.text, (
            f"{route} sends the password: answer UserOut (response_model=UserOut), never the "
            f"stored record, in {USERS}"
        )


# --- the docs -----------------------------------------------------------------------------


def responses_of(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    operation = spec.get("paths", {}).get(path, {}).get(method)
    if operation is None:
        pytest.fail(f"/openapi.json lists no {method.upper()} {path}")
    return dict(operation.get("responses", {}))


def schema_name(answer: dict[str, Any]) -> str:
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
    return str(schema.get("$ref", "")).rsplit("/", 1)[-1]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/users/{user_id}", "404"),
        ("post", "/api/v1/users", "409"),
        ("delete", "/api/v1/users/{user_id}", "404"),
        ("post", "/api/v1/session/login", "401"),
    ],
)
def test_docs_name_the_errors_a_route_answers(
    client: TestClient, method: str, path: str, status: str
) -> None:
    responses = responses_of(client.get("/openapi.json").json(), method, path)
    error = {"401": "UnauthorizedError", "404": "NotFoundError", "409": "ConflictError"}[status]
    assert schema_name(responses.get(status, {})) == "ErrorBody", (
        f"the docs of {method.upper()} {path} do not document {status} with ErrorBody: add "
        f"responses=error_responses({error}) to its decorator"
    )


def test_docs_describe_every_error_with_the_envelope(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for status in ("4XX", "5XX"):
        answer = responses_of(spec, "get", "/api/v1/items").get(status, {})
        assert schema_name(answer) == "ErrorBody", (
            f"the docs of GET /api/v1/items do not document {status} with ErrorBody: create "
            f"the app with responses=ERROR_RESPONSES in app/main.py"
        )
    old = [
        f"{method.upper()} {path}"
        for path, operations in spec.get("paths", {}).items()
        for method, operation in operations.items()
        if schema_name(operation.get("responses", {}).get("422", {})) == "HTTPValidationError"
    ]
    assert not old, (
        f"the docs still promise FastAPI's default 422 body for {', '.join(old[:3])}: "
        f"responses=ERROR_RESPONSES in app/main.py replaces it"
    )
    example = spec.get("components", {}).get("schemas", {}).get("ErrorBody", {})
    assert example.get("examples"), (
        "the ErrorBody schema has no example: keep json_schema_extra in app/schemas/error.py"
    )


@pytest.mark.slow
def test_envelope_over_real_http(live_server: LiveServer) -> None:
    admin = admin_headers(live_server)  # the user routes answer only an admin from chapter 17
    for path, status in [("/api/v1/users/999", 404), ("/api/v1/users/abc", 422)]:
        r = live_server.get(path, headers=admin)
        answer = body(r)
        assert r.status_code == status and isinstance(answer, dict) and "error" in answer, (
            f"under uvicorn, GET {path} answered {r.status_code} {answer!r}, not {status} with "
            f"the envelope"
        )
        assert r.headers.get("content-type") == "application/json", (
            f"under uvicorn, GET {path} answered the content type "
            f"{r.headers.get('content-type')!r}: answer with a JSONResponse ({ERRORS})"
        )
