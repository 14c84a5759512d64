"""Users: list, search, read, create, replace and delete, on the in-memory store.

Bodies are plain dictionaries in this chapter; chapter 06 gives them Pydantic models.
"""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status

from app.api.deps import PaginationDep
from app.db.memory import USERS, next_user_id

router = APIRouter(prefix="/users", tags=["users"])

# The largest id the API takes: 2**31 - 1, the top of PostgreSQL's INTEGER column (chapter
# 13), well inside SQLite's 64-bit one. A larger id names nobody, and a database driver
# refuses it with an overflow error, a 500: here it is a 422, like any bad id.
MAX_ID = 2**31 - 1

UserId = Annotated[int, Path(gt=0, le=MAX_ID, description="The user's id, from 1")]


def get_user_or_404(user_id: int) -> dict[str, Any]:
    """The stored user with this id; a 404 that names the id when there is none."""
    user = USERS.get(user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"User {user_id} not found")
    return user


@router.get("")
async def list_users(pagination: PaginationDep) -> list[dict[str, Any]]:
    """One page of users, in the order they were created."""
    users = list(USERS.values())
    return users[pagination.offset : pagination.offset + pagination.size]


# Before /{user_id}: routes are tried in order, and "/{user_id}" also matches
# /users/search, then refuses "search" as an int (422) before this route is tried.
@router.get("/search")
async def search_users(
    q: Annotated[str, Query(min_length=3, max_length=50, description="Part of a name, any case")],
    tags: Annotated[list[str], Query(default_factory=list, description="Repeat: ?tags=a&tags=b")],
) -> dict[str, Any]:
    """The users whose name contains q, ignoring case; the tags are echoed back."""
    needle = q.casefold()
    results = [user for user in USERS.values() if needle in user["name"].casefold()]
    return {"q": q, "tags": tags, "results": results}


@router.get("/{user_id}")
async def read_user(user_id: UserId) -> dict[str, Any]:
    """One user, by id."""
    return get_user_or_404(user_id)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_user(payload: dict[str, Any]) -> dict[str, Any]:
    """Create a user from the JSON body; answer it, with its new id."""
    user_id = next_user_id()
    # Only the fields a user has: anything else in the body (a password, a role) is dropped.
    USERS[user_id] = {"id": user_id, "name": payload.get("name"), "email": payload.get("email")}
    return USERS[user_id]


@router.put("/{user_id}")
async def replace_user(user_id: UserId, payload: dict[str, Any]) -> dict[str, Any]:
    """Replace a user's name and email; the id stays."""
    get_user_or_404(user_id)
    USERS[user_id] = {"id": user_id, "name": payload.get("name"), "email": payload.get("email")}
    return USERS[user_id]


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(user_id: UserId) -> None:
    """Delete a user; the answer has no body."""
    get_user_or_404(user_id)
    del USERS[user_id]
