"""Logging in with a form: the credentials as form fields, not JSON.

POST /auth/token is the OAuth2 token endpoint (the password flow): the form's
`username` and `password` in, a bearer token out, which CurrentUser reads
(app/api/deps.py). Since chapter 16 the token is a signed JWT (app/core/jwt_tokens.py);
since chapter 17 it carries the scopes the form asked for that the user's role allows.
Since chapter 18 both routes count failed logins: too many, and they answer 429
(login_checked, app/core/security.py).
"""

from typing import Annotated

from fastapi import APIRouter, Form, Request

from app.api.deps import BEARER, SessionDep
from app.core.config import settings
from app.core.errors import TooManyRequestsError, UnauthorizedError, error_responses
from app.core.jwt_tokens import create_access_token
from app.core.scopes import granted_scopes
from app.core.security import client_address, login_checked
from app.schemas.text import NoNulStr
from app.schemas.token import PasswordForm, Token

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login-form", responses=error_responses(UnauthorizedError, TooManyRequestsError))
async def login_form(
    request: Request,
    db: SessionDep,
    # min_length=1: FastAPI reads an empty form field as a missing one (422), and the
    # schema says so (minLength 1) instead of promising that "" is accepted.
    username: Annotated[
        NoNulStr, Form(min_length=1, max_length=254, description="The user's email")
    ],
    password: Annotated[str, Form(min_length=1, max_length=256)],
) -> dict[str, str | bool]:
    """Check an email and a password sent as a form."""
    user = await login_checked(db, username, password, client_address(request))
    if user is None:
        raise UnauthorizedError("Invalid email or password")
    return {"email": user.email, "logged_in": True}


@router.post("/token", responses=error_responses(UnauthorizedError, TooManyRequestsError))
async def issue_token(
    request: Request, db: SessionDep, form: Annotated[PasswordForm, Form()]
) -> Token:
    """The OAuth2 password flow: the email as `username` and the password, a bearer token back.

    429 with Retry-After after too many failed logins for the account or from the client.
    """
    user = await login_checked(db, form.username, form.password, client_address(request))
    if user is None or not user.is_active:
        raise UnauthorizedError("Invalid email or password", headers=BEARER)
    # A non-admin asking for "admin" is not refused: the token comes without it, and the
    # answer's `scope` says what was granted (RFC 6749, section 5.1), so nothing is guessed.
    scopes = granted_scopes(form.scope, user.role)
    return Token(
        access_token=create_access_token(user.id, scopes),
        expires_in=settings.ACCESS_TOKEN_SECONDS,
        scope=" ".join(scopes),
    )
