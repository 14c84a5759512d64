"""Dependencies shared by routes: declared once here, used by every route that names them.

Routes name the aliases at the end of each part (PaginationDep, SessionDep,
ItemFiltersDep, SessionUser, CurrentUser, ItemWriter), so that their signatures read as prose.
"""

from typing import Annotated

from fastapi import Cookie, Depends, Query, Request, Security
from fastapi.security import OAuth2PasswordBearer, SecurityScopes
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import settings
from app.core.errors import UnauthorizedError
from app.core.jwt_tokens import read_access_token
from app.core.scopes import SCOPES
from app.db.memory import SESSIONS
from app.db.session import get_db
from app.models import User
from app.repositories.items import ItemRepository
from app.repositories.users import UserRepository
from app.schemas.text import NoNulStr
from app.services.items import ItemService
from app.services.users import UserService

# --- pagination: a function that answers a model ---------------------------------------


# The last page a client may ask for. Its offset, at most (MAX_PAGE - 1) * 100, stays far
# below the 64-bit integer a database takes for OFFSET (chapter 12): ?page=10**20 is a 422,
# not an overflow deep in the database driver, which would be a 500.
MAX_PAGE = 1_000_000


class Pagination(BaseModel):
    """Which page of a listing the client asked for."""

    page: int
    size: int

    @property
    def offset(self) -> int:
        """How many items come before this page."""
        return (self.page - 1) * self.size


def get_pagination(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1")] = 1,
    size: Annotated[int, Query(ge=1, le=100, description="Items per page, at most 100")] = 10,
) -> Pagination:
    """Read the page and its size from the query string, within their limits."""
    return Pagination(page=page, size=size)


# What routes declare: `pagination: PaginationDep`.
PaginationDep = Annotated[Pagination, Depends(get_pagination)]

# --- the database session: a dependency with yield -------------------------------------

# One session per request, closed by get_db once the response is sent.
SessionDep = Annotated[AsyncSession, Depends(get_db)]

# --- item filters: a class as a dependency -----------------------------------------------


class ItemFilters:
    """Which items a listing keeps: ?tag=games&min_price=5&max_price=20, each optional.

    FastAPI calls the class like a function: the parameters of __init__ are read from
    the query string, and the route receives the instance. The SQL they become is
    built by the repository (app/repositories/items.py).
    """

    def __init__(
        self,
        tag: Annotated[
            NoNulStr | None, Query(max_length=50, description="Only with this tag")
        ] = None,
        min_price: Annotated[float | None, Query(ge=0, description="Lowest price")] = None,
        max_price: Annotated[float | None, Query(ge=0, description="Highest price")] = None,
    ) -> None:
        self.tag = tag
        self.min_price = min_price
        self.max_price = max_price


# Depends() with no argument: the dependency is the class named in the annotation.
ItemFiltersDep = Annotated[ItemFilters, Depends()]

# --- the services: one per request, on the request's session ------------------------------


# async def, though nothing is awaited: FastAPI runs a plain `def` dependency in its
# thread pool, a hop to another thread per request for two constructor calls.
async def get_user_service(db: SessionDep) -> UserService:
    """The user rules, on a repository that uses this request's session."""
    return UserService(UserRepository(db))


async def get_item_service(request: Request, db: SessionDep) -> ItemService:
    """The catalogue rules, on a repository that uses this request's session, and the
    catalogue's cache, which every request shares (made by the lifespan, chapter 25)."""
    cache = getattr(request.app.state, "catalogue_cache", None)
    return ItemService(ItemRepository(db), cache=cache)


# What routes declare: `users: UserServiceDep`. A test can swap the service with
# app.dependency_overrides[get_user_service], without touching a route.
UserServiceDep = Annotated[UserService, Depends(get_user_service)]
ItemServiceDep = Annotated[ItemService, Depends(get_item_service)]

# --- the user of the session cookie: a chain of dependencies (chapter 07's demo) -----------


def get_session_token(session_id: Annotated[str | None, Cookie()] = None) -> str:
    """The token of the session cookie; 401 when the request has none."""
    if not session_id:
        raise UnauthorizedError("Not logged in")
    return session_id


async def get_session_user(
    token: Annotated[str, Depends(get_session_token)], db: SessionDep
) -> User:
    """The user whose session the token names; 401 for an unknown or ended session."""
    user_id = SESSIONS.get(token)
    # None when there is no such row (a user deleted since the login).
    user = await UserRepository(db).get(user_id) if user_id is not None else None
    if user is None:
        raise UnauthorizedError("Not logged in")
    return user


# GET /session/me only: since chapter 15 the API's protected routes take a bearer token.
SessionUser = Annotated[User, Depends(get_session_user)]

# --- the current user: a bearer token, and the scopes it was granted ----------------------

# The security scheme: it reads `Authorization: Bearer <token>`, and tells the OpenAPI
# document where a token is obtained and which scopes exist (the Authorize dialog of
# /docs lists them, with a checkbox each). auto_error=False: without a token it answers
# None, and get_current_user answers the 401, in the app's words and envelope.
oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl=f"{settings.API_V1_PREFIX}/auth/token", scopes=SCOPES, auto_error=False
)

# What every 401 about a token adds (RFC 6750): which scheme would have been accepted.
BEARER = {"WWW-Authenticate": "Bearer"}


async def get_current_user(
    security_scopes: SecurityScopes,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    db: SessionDep,
) -> User:
    """The user the bearer token was issued to, if the token holds every scope the route needs.

    401 for a missing, forged or expired token (WWW-Authenticate: Bearer), and for a token
    without a needed scope (RFC 6750, section 3: the header names the scopes to ask for).
    """
    if not token:
        raise UnauthorizedError("Not logged in", headers=BEARER)
    data = read_access_token(token)
    # The signature says who the token was issued to, not that they still exist: read the
    # user (None for a user deleted since the login) and refuse a deactivated one.
    user = await UserRepository(db).get(data.user_id) if data is not None else None
    if data is None or user is None or not user.is_active:
        raise UnauthorizedError("Invalid or expired token", headers=BEARER)
    # security_scopes.scopes: every scope that Security(...) declared on the way from the
    # route to here, the route's and those of the dependencies in between. A token that
    # lacks one is told which to ask for at the next login.
    challenge = {"WWW-Authenticate": f'Bearer scope="{security_scopes.scope_str}"'}
    missing = [scope for scope in security_scopes.scopes if scope not in data.scopes]
    if missing:
        raise UnauthorizedError(f"The token lacks the scope {' '.join(missing)}", headers=challenge)
    return user


# What routes declare: `user: CurrentUser` (a token, no scope); and for a scope,
# Annotated[User, Security(get_current_user, scopes=["items:write"])].
CurrentUser = Annotated[User, Depends(get_current_user)]
ItemWriter = Annotated[User, Security(get_current_user, scopes=["items:write"])]
