"""The OAuth2 password flow at the edge of the app: the login form, and the token it gets.

The names are OAuth2's (RFC 6749, section 4.3): Swagger UI's Authorize button, and
every OAuth2 client library, send and read exactly these fields.
"""

from typing import Literal

from pydantic import BaseModel, Field

from app.schemas.text import NoNulStr


class PasswordForm(BaseModel):
    """The form of POST /auth/token. OAuth2 calls the login `username`: here, the email.

    FastAPI's OAuth2PasswordRequestForm reads the same fields, with no length limit:
    this model bounds each one. Since chapter 23 the username is a NoNulStr: it reaches
    a query (the user by email), and PostgreSQL cannot hold a NUL (a 500 before; a 422 now).
    """

    grant_type: Literal["password"] | None = None
    username: NoNulStr = Field(min_length=1, max_length=254, description="The user's email")
    password: str = Field(min_length=1, max_length=256)
    scope: str = Field(
        default="",
        max_length=500,
        description="Scopes asked for, space-separated; none asked: the user scopes",
    )


class Token(BaseModel):
    """What a successful login answers (RFC 6749, section 5.1)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds the token stays valid")
    scope: str = Field(default="", description="The scopes granted, space-separated")
