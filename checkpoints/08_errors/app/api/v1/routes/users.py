"""Users: list, search, read, create, replace, update and delete, on the in-memory store.

Every route answers UserOut, built from the stored record with
UserOut.model_validate: UserOut has no password field, so no password leaves.
Errors are the app's own (NotFoundError, ConflictError): app/core/errors.py
answers them with the error envelope.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from app.api.deps import PaginationDep
from app.core.errors import ConflictError, NotFoundError, error_responses
from app.db.memory import USERS, UserRecord, find_user_by_email, next_user_id
from app.schemas.user import UserBase, UserCreate, UserOut, UserSearchResults, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])

# The largest id the API takes: 2**31 - 1, the top of PostgreSQL's INTEGER column (chapter
# 13), well inside SQLite's 64-bit one. A larger id names nobody, and a database driver
# refuses it with an overflow error, a 500: here it is a 422, like any bad id.
MAX_ID = 2**31 - 1

UserId = Annotated[int, Path(gt=0, le=MAX_ID, description="The user's id, from 1")]


def find_user(user_id: int) -> UserRecord:
    """The stored user with this id; NotFoundError, naming the id, when there is none."""
    user = USERS.get(user_id)
    if user is None:
        raise NotFoundError(f"User {user_id} not found")
    return user


def ensure_email_is_free(email: str, *, owner: int | None = None) -> None:
    """ConflictError when a user other than `owner` has this email already, in any case."""
    other = find_user_by_email(email)
    if other is not None and other.id != owner:
        raise ConflictError("Email already registered")


@router.get("")
async def list_users(pagination: PaginationDep) -> list[UserOut]:
    """One page of users, in the order they were created."""
    users = list(USERS.values())[pagination.offset : pagination.offset + pagination.size]
    return [UserOut.model_validate(user) for user in users]


# Before /{user_id}: routes are tried in order, and "/{user_id}" also matches
# /users/search, then refuses "search" as an int (422) before this route is tried.
@router.get("/search")
async def search_users(
    q: Annotated[str, Query(min_length=3, max_length=50, description="Part of a name, any case")],
    tags: Annotated[list[str], Query(default_factory=list, description="Repeat: ?tags=a&tags=b")],
) -> UserSearchResults:
    """The users whose name contains q, ignoring case; the tags are echoed back."""
    needle = q.casefold()
    found = [user for user in USERS.values() if needle in user.name.casefold()]
    return UserSearchResults(
        q=q, tags=tags, results=[UserOut.model_validate(user) for user in found]
    )


@router.get("/{user_id}", responses=error_responses(NotFoundError))
async def read_user(user_id: UserId) -> UserOut:
    """One user, by id."""
    return UserOut.model_validate(find_user(user_id))


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(ConflictError))
async def create_user(user_in: UserCreate) -> UserOut:
    """Sign a user up; a 409 when the email is registered already."""
    ensure_email_is_free(user_in.email)
    user = UserRecord(
        id=next_user_id(),
        name=user_in.name,
        email=user_in.email,
        password=user_in.password,
        role=user_in.role,
        profile=user_in.profile.model_dump(mode="json") if user_in.profile else None,
    )
    USERS[user.id] = user
    return UserOut.model_validate(user)


@router.put("/{user_id}", responses=error_responses(NotFoundError, ConflictError))
async def replace_user(user_id: UserId, user_in: UserBase) -> UserOut:
    """Replace a user's name and email, both required; the id stays."""
    user = find_user(user_id)
    ensure_email_is_free(user_in.email, owner=user_id)
    user.name, user.email = user_in.name, user_in.email
    return UserOut.model_validate(user)


@router.patch("/{user_id}", responses=error_responses(NotFoundError, ConflictError))
async def update_user(user_id: UserId, user_in: UserUpdate) -> UserOut:
    """Change only the fields the body sends."""
    user = find_user(user_id)
    changes = user_in.model_dump(mode="json", exclude_unset=True)
    if "email" in changes:
        ensure_email_is_free(changes["email"], owner=user_id)
    for name, value in changes.items():
        setattr(user, name, value)
    return UserOut.model_validate(user)


@router.delete(
    "/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(NotFoundError)
)
async def delete_user(user_id: UserId) -> None:
    """Delete a user; the answer has no body."""
    find_user(user_id)
    del USERS[user_id]
