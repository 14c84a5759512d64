"""Users: list, search, read, create, replace, update and delete, in the database.

Every route answers UserOut, read from the User row with UserOut.model_validate
(from_attributes): UserOut has no password field, so no password leaves.
Routes are plain `def`: the session talks to the database synchronously, so
FastAPI runs them in its thread pool, where waiting blocks no other request.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.api.deps import PaginationDep, SessionDep
from app.core.errors import ConflictError, NotFoundError, error_responses
from app.models import User
from app.schemas.user import UserBase, UserCreate, UserOut, UserSearchResults, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])

# The largest id the API takes: 2**31 - 1, the top of PostgreSQL's INTEGER column (chapter
# 13), well inside SQLite's 64-bit one. A larger id names nobody, and a database driver
# refuses it with an overflow error, a 500: here it is a 422, like any bad id.
MAX_ID = 2**31 - 1

UserId = Annotated[int, Path(gt=0, le=MAX_ID, description="The user's id, from 1")]


def find_user(db: Session, user_id: int) -> User:
    """The user with this id; NotFoundError, naming the id, when there is none."""
    user = db.get(User, user_id)
    if user is None:
        raise NotFoundError(f"User {user_id} not found")
    return user


def commit_or_conflict(db: Session) -> None:
    """Commit the unit of work; a taken email (the unique index refused it) is a 409."""
    try:
        db.commit()
    except IntegrityError:
        # The transaction failed: roll it back before the session is used again.
        db.rollback()
        raise ConflictError("Email already registered") from None


@router.get("")
def list_users(db: SessionDep, pagination: PaginationDep) -> list[UserOut]:
    """One page of users, in the order they were created."""
    page = select(User).order_by(User.id).offset(pagination.offset).limit(pagination.size)
    return [UserOut.model_validate(user) for user in db.scalars(page)]


# Before /{user_id}: routes are tried in order, and "/{user_id}" also matches
# /users/search, then refuses "search" as an int (422) before this route is tried.
@router.get("/search")
def search_users(
    db: SessionDep,
    q: Annotated[str, Query(min_length=3, max_length=50, description="Part of a name, any case")],
    tags: Annotated[list[str], Query(default_factory=list, description="Repeat: ?tags=a&tags=b")],
) -> UserSearchResults:
    """The users whose name contains q, ignoring case; the tags are echoed back."""
    # icontains: LIKE, case-insensitive; autoescape: a % or _ in q is a plain character.
    found = db.scalars(
        select(User).where(User.name.icontains(q, autoescape=True)).order_by(User.id)
    )
    return UserSearchResults(
        q=q, tags=tags, results=[UserOut.model_validate(user) for user in found]
    )


@router.get("/{user_id}", responses=error_responses(NotFoundError))
def read_user(db: SessionDep, user_id: UserId) -> UserOut:
    """One user, by id."""
    return UserOut.model_validate(find_user(db, user_id))


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(ConflictError))
def create_user(db: SessionDep, user_in: UserCreate) -> UserOut:
    """Sign a user up; a 409 when the email is registered already."""
    # No lookup of the email first: between that SELECT and this INSERT another request
    # can insert the same email. The unique index decides, inside the commit.
    user = User(
        name=user_in.name,
        email=user_in.email,
        password=user_in.password,
        role=user_in.role.value,
        profile=user_in.profile.model_dump(mode="json") if user_in.profile else None,
    )
    db.add(user)
    commit_or_conflict(db)
    return UserOut.model_validate(user)


@router.put("/{user_id}", responses=error_responses(NotFoundError, ConflictError))
def replace_user(db: SessionDep, user_id: UserId, user_in: UserBase) -> UserOut:
    """Replace a user's name and email, both required; the id stays."""
    user = find_user(db, user_id)
    user.name, user.email = user_in.name, user_in.email
    commit_or_conflict(db)
    return UserOut.model_validate(user)


@router.patch("/{user_id}", responses=error_responses(NotFoundError, ConflictError))
def update_user(db: SessionDep, user_id: UserId, user_in: UserUpdate) -> UserOut:
    """Change only the fields the body sends."""
    user = find_user(db, user_id)
    for name, value in user_in.model_dump(mode="json", exclude_unset=True).items():
        setattr(user, name, value)
    commit_or_conflict(db)
    return UserOut.model_validate(user)


@router.delete(
    "/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(NotFoundError)
)
def delete_user(db: SessionDep, user_id: UserId) -> None:
    """Delete a user; the answer has no body."""
    db.delete(find_user(db, user_id))
    db.commit()
