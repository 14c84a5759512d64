"""Orders: a user orders items of the catalogue; the server prices the order.

Every route of this router needs a valid bearer token, and every answer it gives says
Cache-Control: no-store: both are declared once, on the router (router dependencies,
which run for each of its routes and whose values no route receives). Placing an order
takes the items:write scope, as every other write of a user's does; a user sees their
own orders, an admin every order.
"""

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, Security, status
from pydantic import BaseModel

from app.api.deps import CurrentUser, PaginationDep, SessionDep, get_current_user
from app.core.errors import ForbiddenError, NotFoundError, UnauthorizedError, error_responses
from app.models import User
from app.repositories.orders import OrderRepository
from app.schemas.order import (
    MAX_ID,
    MAX_LINES,
    MAX_QUANTITY,
    OrderCreate,
    OrderOut,
    OrderPage,
    order_out,
)
from app.services.orders import MAX_UNIT_PRICE, OrderService

OrderId = Annotated[int, Path(gt=0, le=MAX_ID, description="The order's id, from 1")]


async def get_order_service(db: SessionDep) -> OrderService:
    """The order rules, on a repository that uses this request's session."""
    return OrderService(OrderRepository(db))


# The aliases of this domain live with its routes (app/api/deps.py keeps the shared ones).
OrderServiceDep = Annotated[OrderService, Depends(get_order_service)]
OrderWriter = Annotated[User, Security(get_current_user, scopes=["items:write"])]


async def no_store(response: Response) -> None:
    """Say Cache-Control: no-store on the answer: an order is one user's business, and no
    browser or proxy cache may keep a copy of it."""
    response.headers["Cache-Control"] = "no-store"


# dependencies=: run before every route of the router, in this order, their values unused.
# get_current_user refuses a request without a valid token (401) before any route runs,
# even a route that names no user (GET /orders/limits); no_store sets a header.
router = APIRouter(
    prefix="/orders",
    tags=["orders"],
    dependencies=[Depends(get_current_user), Depends(no_store)],
)

# 401 from the router's dependency, for every route (FastAPI also documents its 422s).
TOKEN_NEEDED = error_responses(UnauthorizedError)


class OrderLimits(BaseModel):
    """What one order may hold: a client can show the limits before the 422."""

    max_lines: int
    max_quantity: int
    max_unit_price: Decimal


@router.get("/limits", responses=TOKEN_NEEDED)
async def read_order_limits() -> OrderLimits:
    """The bounds of an order. No user parameter: the router's dependency asks for the token."""
    return OrderLimits(
        max_lines=MAX_LINES, max_quantity=MAX_QUANTITY, max_unit_price=MAX_UNIT_PRICE
    )


# 404: an item of the order does not exist; 403: one costs more than an order takes.
@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(UnauthorizedError, ForbiddenError, NotFoundError),
)
async def place_order(
    orders: OrderServiceDep, user: OrderWriter, order_in: OrderCreate
) -> OrderOut:
    """Order items of the catalogue; the server prices every line and the total."""
    return order_out(await orders.place_order(order_in, user))


@router.get("", responses=TOKEN_NEEDED)
async def list_orders(
    orders: OrderServiceDep, caller: CurrentUser, pagination: PaginationDep
) -> OrderPage:
    """One page of the caller's orders, oldest first (every user's, for an admin)."""
    total, page = await orders.page_for(caller, pagination.offset, pagination.size)
    return OrderPage(
        page=pagination.page,
        size=pagination.size,
        total=total,
        orders=[order_out(order) for order in page],
    )


# 403 for an order that is not the caller's, whether it exists or not; 404 for an admin.
@router.get(
    "/{order_id}", responses=error_responses(UnauthorizedError, ForbiddenError, NotFoundError)
)
async def read_order(orders: OrderServiceDep, caller: CurrentUser, order_id: OrderId) -> OrderOut:
    """One order: the caller's own, or any for an admin."""
    return order_out(await orders.get_for(order_id, caller))
