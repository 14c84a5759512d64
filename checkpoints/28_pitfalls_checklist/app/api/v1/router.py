"""API version 1: one router that assembles the router of every route module of v1.

main.py includes this router alone, under settings.API_V1_PREFIX (and /health once more
at the root, for load balancers). Each route module declares its own prefix, tags and
router dependencies; this file only says which modules make up version 1, and a new
domain (orders, chapter 22) is one line here, not a change to main.py.
"""

from fastapi import APIRouter

from app.api.v1.routes import (
    admin,
    auth,
    chat,
    echo,
    files,
    health,
    items,
    orders,
    session,
    system,
    users,
)

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(items.router)
api_router.include_router(users.router)
api_router.include_router(echo.router)
api_router.include_router(session.router)
api_router.include_router(files.router)
api_router.include_router(auth.router)
api_router.include_router(system.router)
api_router.include_router(admin.router)
api_router.include_router(chat.router)
api_router.include_router(orders.router)
