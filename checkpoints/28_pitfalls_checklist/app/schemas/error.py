"""The error envelope: the body of every error the API answers, as models for the docs."""

from typing import Any

from pydantic import BaseModel, ConfigDict


class ErrorDetail(BaseModel):
    """One problem with the request: where it is (loc), what is wrong (msg), its kind (type)."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorInfo(BaseModel):
    """What went wrong: a stable code for programs, a message for people."""

    code: str
    message: str
    details: list[ErrorDetail] | None = None


class ErrorBody(BaseModel):
    """{"error": {...}}: the body of every error answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"error": {"code": "not_found", "message": "User 3 not found", "details": None}}
            ]
        }
    )

    error: ErrorInfo


# Every client and server error answers the envelope: main.py documents it once for all routes.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorBody, "description": "Client error (the error envelope)"},
    "5XX": {"model": ErrorBody, "description": "Server error (the error envelope)"},
}
