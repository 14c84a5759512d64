"""A login session in a cookie: log in, ask who is logged in, log out.

The cookie holds only a random token; the session it names lives on the
server (SESSIONS in app/db/memory.py); the user it names, in the database.
Since chapter 15 the cookie opens GET /session/me only: every other protected
route takes a bearer token (CurrentUser, app/api/deps.py). Since chapter 21 the
routes take the settings as a dependency (SettingsDep): a test swaps them.
"""

import secrets
from typing import Annotated

from fastapi import APIRouter, Body, Cookie, Request, Response, status

from app.api.deps import SessionDep, SessionUser
from app.core.config import SettingsDep
from app.core.errors import TooManyRequestsError, UnauthorizedError, error_responses
from app.core.security import client_address, login_checked
from app.db.memory import SESSIONS
from app.schemas.text import NoNulStr
from app.schemas.user import UserOut

router = APIRouter(prefix="/session", tags=["session"])

SESSION_COOKIE = "session_id"
SESSION_SECONDS = 3600


@router.post("/login", responses=error_responses(UnauthorizedError, TooManyRequestsError))
async def login(
    request: Request,
    db: SessionDep,
    email: Annotated[NoNulStr, Body(max_length=254)],
    password: Annotated[str, Body(max_length=256)],
    response: Response,
    settings: SettingsDep,
) -> dict[str, bool]:
    """Check email and password; on success, set the session cookie."""
    # One answer for an unknown email and a wrong password (see authenticate); the same
    # throttle as POST /auth/token (chapter 18): a third way in would bypass it.
    user = await login_checked(db, email, password, client_address(request))
    if user is None:
        raise UnauthorizedError("Invalid email or password")
    token = secrets.token_urlsafe(32)
    SESSIONS[token] = user.id
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path="/",
        secure=settings.COOKIE_SECURE,
        httponly=True,
        samesite="lax",
    )
    return {"logged_in": True}


@router.get("/me", responses=error_responses(UnauthorizedError))
async def read_session_user(user: SessionUser) -> UserOut:
    """The user the session cookie belongs to; 401 without a valid one (see get_session_user)."""
    return UserOut.model_validate(user)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    response: Response,
    settings: SettingsDep,
    session_id: Annotated[str | None, Cookie()] = None,
) -> None:
    """End the session on the server, and tell the browser to drop the cookie."""
    if session_id:
        SESSIONS.pop(session_id, None)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.COOKIE_SECURE, httponly=True, samesite="lax"
    )
