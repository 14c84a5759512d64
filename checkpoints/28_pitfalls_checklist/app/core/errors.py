"""The app's errors, and the handlers that answer every error with one envelope.

Whatever went wrong, a client reads the same JSON:
{"error": {"code": "not_found", "message": "User 3 not found", "details": null}}
`code` is a stable token for programs, `message` is for people, `details` lists
what failed validation (null otherwise).
"""

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.core.methods import allowed_methods
from app.domain.errors import AlreadyExists, DomainError, NotAllowed, NotFound
from app.schemas.error import ErrorBody, ErrorDetail, ErrorInfo


class AppError(Exception):
    """An error the app raises on purpose: a status, a stable code and a message."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "bad_request"

    def __init__(self, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Headers the answer carries: a 401 says how to authenticate (WWW-Authenticate).
        self.headers = dict(headers) if headers else None


class NotFoundError(AppError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


class ConflictError(AppError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


class UnauthorizedError(AppError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "unauthorized"


class ForbiddenError(AppError):
    """403: the caller is known (unlike a 401), and the answer is no."""

    status_code = status.HTTP_403_FORBIDDEN
    code = "forbidden"


class PayloadTooLargeError(AppError):
    status_code = status.HTTP_413_CONTENT_TOO_LARGE
    code = "payload_too_large"


class UnsupportedMediaTypeError(AppError):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    code = "unsupported_media_type"


class TooManyRequestsError(AppError):
    """429: not now; the Retry-After header says in how many seconds (chapter 18)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "too_many_requests"


# The one place where the rules meet HTTP: each domain error, and the app error it
# answers as. A domain error missing here is a bug, and answers 500.
DOMAIN_ERRORS: dict[type[DomainError], type[AppError]] = {
    NotFound: NotFoundError,
    AlreadyExists: ConflictError,
    NotAllowed: ForbiddenError,
}

# Codes written out where the reason phrase is not the code we want: Python 3.13
# renamed 413 and 422, and a code must not change with the Python version.
_CODES = {
    status.HTTP_413_CONTENT_TOO_LARGE: "payload_too_large",
    status.HTTP_422_UNPROCESSABLE_CONTENT: "validation_error",
}


def code_for_status(status_code: int) -> str:
    """A snake_case code for a status: 404 -> "not_found", 405 -> "method_not_allowed"."""
    if status_code in _CODES:
        return _CODES[status_code]
    try:
        phrase = HTTPStatus(status_code).phrase
    except ValueError:
        return "http_error"
    return re.sub(r"\W+", "_", phrase.lower()).strip("_")


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: list[ErrorDetail] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The envelope, as a response."""
    body = ErrorBody(error=ErrorInfo(code=code, message=message, details=details))
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code, headers=headers)


def error_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route: the errors it raises, documented with the envelope."""
    return {error.status_code: {"model": ErrorBody, "description": error.code} for error in errors}


async def handle_app_error(request: Request, exc: AppError) -> JSONResponse:
    """The app's own errors: their status, code, message and headers."""
    return error_response(exc.status_code, exc.code, exc.message, headers=exc.headers)


async def handle_domain_error(request: Request, exc: DomainError) -> JSONResponse:
    """A rule refused the request: the status and code of its app error, its own message."""
    # The class of exc, then its bases: a subclass of NotFound answers as NotFound does.
    for kind in type(exc).__mro__:
        if kind in DOMAIN_ERRORS:
            answer = DOMAIN_ERRORS[kind]
            return error_response(answer.status_code, answer.code, exc.message)
    # In no entry: a bug. Raised on, it is answered like every bug (500, the envelope)
    # and its traceback reaches the server's log.
    raise exc


async def handle_http_exception(request: Request, exc: HTTPException) -> JSONResponse:
    """HTTPException: FastAPI's, and Starlette's own (unknown path, wrong method)."""
    if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        # Starlette's Allow names the methods of one route only: name those of the path.
        exc.headers = {**(exc.headers or {}), "Allow": allowed_methods(request)}
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    # Keep the exception's headers: a 405 says which methods are allowed (Allow).
    return error_response(
        exc.status_code, code_for_status(exc.status_code), message, headers=exc.headers
    )


async def handle_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422: which parts of the request are invalid, without echoing what was sent."""
    # Each error also carries the `input` that failed (a too-short password, say) and
    # sometimes a `ctx`: keep only where, what and which kind.
    details = [
        ErrorDetail(loc=list(error["loc"]), msg=error["msg"], type=error["type"])
        for error in exc.errors()
    ]
    return error_response(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        "validation_error",
        "Request validation failed",
        details,
    )


async def handle_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """A bug: 500, and nothing about it for the client (the traceback goes to the log)."""
    # Starlette sends this answer, then raises the exception again for uvicorn to log;
    # uvicorn then closes the connection. `Connection: close` tells the client, which
    # would otherwise send its next request on that connection and get a reset.
    return error_response(
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "Internal server error",
        headers={"Connection": "close"},
    )


def register_exception_handlers(app: FastAPI) -> None:
    """Make every error of `app` answer the envelope."""
    app.exception_handler(AppError)(handle_app_error)
    app.exception_handler(DomainError)(handle_domain_error)
    # Starlette's HTTPException, the base class: the router raises it itself for an
    # unknown path (404) or a wrong method (405), not FastAPI's subclass.
    app.exception_handler(HTTPException)(handle_http_exception)
    app.exception_handler(RequestValidationError)(handle_validation_error)
    app.exception_handler(Exception)(handle_unexpected_error)
