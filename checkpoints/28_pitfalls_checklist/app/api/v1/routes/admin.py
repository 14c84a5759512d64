"""Admin-only routes: what no user may do for themselves.

Every route here goes through require_admin (app/api/permissions.py): 401 without a token
holding the admin scope, 403 for a known user who is not an admin. Giving a
role is one of them: signing up and PATCH /users/{id} never carry one.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Security

from app.api.deps import UserServiceDep
from app.api.permissions import require_admin
from app.core.errors import ForbiddenError, NotFoundError, UnauthorizedError, error_responses
from app.models import User
from app.schemas.user import RoleChange, UserOut

router = APIRouter(prefix="/admin", tags=["admin"])

UserId = Annotated[int, Path(gt=0, le=2**31 - 1, description="The user's id, from 1")]


@router.patch(
    "/users/{user_id}/role",
    responses=error_responses(UnauthorizedError, ForbiddenError, NotFoundError),
)
async def change_role(
    users: UserServiceDep,
    # Two scopes: admin (from require_admin) and users:write; the token must hold both.
    admin: Annotated[User, Security(require_admin, scopes=["users:write"])],
    user_id: UserId,
    change: RoleChange,
) -> UserOut:
    """Give a user the role "user" or "admin"; admins only."""
    return UserOut.model_validate(await users.set_role(user_id, change.role))
