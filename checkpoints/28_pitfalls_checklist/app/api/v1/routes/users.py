"""Users: list, search, read, create, replace, update and delete.

Each route does HTTP only: it reads the request, calls UserService, and turns
the User it gets into UserOut (no password leaves). The rules live in the
service (app/services/users.py), the queries in the repository; a NotFound or
AlreadyExists the service raises answers 404 or 409 through the one mapping in
app/core/errors.py, with no try/except here.

Since chapter 17 a user record is its owner's: reading, changing or deleting one takes a
token of that user or of an admin (ensure_self_or_admin); listing and searching, which
show every email, are for admins. Signing up stays open to anyone.
"""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Query, Security, status

from app import tasks
from app.api.deps import CurrentUser, PaginationDep, UserServiceDep, get_current_user
from app.api.permissions import AdminUser
from app.core.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    error_responses,
)
from app.models import User
from app.schemas.text import NoNulStr
from app.schemas.user import UserBase, UserCreate, UserOut, UserSearchResults, UserUpdate
from app.services.users import ensure_self_or_admin

router = APIRouter(prefix="/users", tags=["users"])

# The largest id the API takes: 2**31 - 1, the top of PostgreSQL's INTEGER column (chapter
# 13), well inside SQLite's 64-bit one. A larger id names nobody, and a database driver
# refuses it with an overflow error, a 500: here it is a 422, like any bad id.
MAX_ID = 2**31 - 1

UserId = Annotated[int, Path(gt=0, le=MAX_ID, description="The user's id, from 1")]

# Changing a user record takes a token granted users:write (chapter 17), as items take
# items:write; who may change which record is ensure_self_or_admin's question.
UserWriter = Annotated[User, Security(get_current_user, scopes=["users:write"])]

# 401 without a good token, 403 for a record of someone else (existing or not: a user
# learns nothing about other ids), 404 for an admin naming nobody.
ADMINS_ONLY = error_responses(UnauthorizedError, ForbiddenError)
SELF_OR_ADMIN = error_responses(UnauthorizedError, ForbiddenError, NotFoundError)


@router.get("", responses=ADMINS_ONLY)
async def list_users(
    users: UserServiceDep, admin: AdminUser, pagination: PaginationDep
) -> list[UserOut]:
    """One page of users, in the order they were created; admins only (it lists emails)."""
    page = await users.page(pagination.offset, pagination.size)
    return [UserOut.model_validate(user) for user in page]


# Before /{user_id}, as /search is: "/{user_id}" would take "me" and refuse it as an int.
@router.get("/me", responses=error_responses(UnauthorizedError))
async def read_me(user: CurrentUser) -> UserOut:
    """The user the bearer token was issued to; 401 without a valid one (see get_current_user)."""
    return UserOut.model_validate(user)


# Before /{user_id}: routes are tried in order, and "/{user_id}" also matches
# /users/search, then refuses "search" as an int (422) before this route is tried.
@router.get("/search", responses=ADMINS_ONLY)
async def search_users(
    users: UserServiceDep,
    admin: AdminUser,
    q: Annotated[
        NoNulStr, Query(min_length=3, max_length=50, description="Part of a name, any case")
    ],
    tags: Annotated[list[str], Query(default_factory=list, description="Repeat: ?tags=a&tags=b")],
) -> UserSearchResults:
    """The users whose name contains q, ignoring case; the tags are echoed back. Admins only."""
    found = await users.search(q)
    return UserSearchResults(
        q=q, tags=tags, results=[UserOut.model_validate(user) for user in found]
    )


@router.get("/{user_id}", responses=SELF_OR_ADMIN)
async def read_user(users: UserServiceDep, caller: CurrentUser, user_id: UserId) -> UserOut:
    """One user, by id: oneself, or anyone for an admin."""
    ensure_self_or_admin(user_id, caller)
    return UserOut.model_validate(await users.get(user_id))


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(ConflictError))
async def create_user(
    users: UserServiceDep,
    user_in: UserCreate,
    background_tasks: BackgroundTasks,
    sessions: tasks.TaskSessions,
) -> UserOut:
    """Sign a user up; a 409 when the email is registered already. The welcome mail is
    written to the outbox by a background task, after the 201 is sent."""
    user = await users.sign_up(user_in)
    # After sign_up: the user is committed and has its id. add_task only records the call;
    # FastAPI awaits it once the response is sent. A 409 raised above adds no task.
    background_tasks.add_task(tasks.send_welcome, user.id, sessions)
    return UserOut.model_validate(user)


@router.put("/{user_id}", responses={**SELF_OR_ADMIN, **error_responses(ConflictError)})
async def replace_user(
    users: UserServiceDep, caller: UserWriter, user_id: UserId, user_in: UserBase
) -> UserOut:
    """Replace a user's name and email, both required; the id stays. Oneself or an admin."""
    ensure_self_or_admin(user_id, caller)
    return UserOut.model_validate(await users.replace(user_id, user_in))


@router.patch("/{user_id}", responses={**SELF_OR_ADMIN, **error_responses(ConflictError)})
async def update_user(
    users: UserServiceDep, caller: UserWriter, user_id: UserId, user_in: UserUpdate
) -> UserOut:
    """Change only the fields the body sends. Oneself or an admin."""
    ensure_self_or_admin(user_id, caller)
    return UserOut.model_validate(await users.update(user_id, user_in))


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=SELF_OR_ADMIN)
async def delete_user(users: UserServiceDep, caller: UserWriter, user_id: UserId) -> None:
    """Delete a user (their items stay, owned by nobody); the answer has no body. Oneself or
    an admin: the token of a deleted user is a 401 from then on."""
    ensure_self_or_admin(user_id, caller)
    await users.delete(user_id)
