"""Login with an HTML form: the credentials as form fields, not JSON.

Chapters 15 and 16 turn this route into the OAuth2 token endpoint, which reads
the same two fields, `username` and `password`, from the same kind of form.
"""

from typing import Annotated

from fastapi import APIRouter, Form

from app.core.errors import UnauthorizedError, error_responses
from app.core.security import authenticate

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login-form", responses=error_responses(UnauthorizedError))
async def login_form(
    # min_length=1: FastAPI reads an empty form field as a missing one (422), and the
    # schema says so (minLength 1) instead of promising that "" is accepted.
    username: Annotated[str, Form(min_length=1, max_length=254, description="The user's email")],
    password: Annotated[str, Form(min_length=1, max_length=256)],
) -> dict[str, str | bool]:
    """Check an email and a password sent as a form."""
    user = authenticate(username, password)
    if user is None:
        raise UnauthorizedError("Invalid email or password")
    return {"email": user.email, "logged_in": True}
