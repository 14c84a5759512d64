"""API version 2: the router of every route module of v2, included by main.py under /api/v2.

Only items changed their contract (app/api/v2/routes/items.py); every other domain is
mounted from version 1's own module, so that a client moves to /api/v2 as a whole (one base
URL, never half of each) and an unchanged route is the same code in both versions.
"""

from fastapi import APIRouter

from app.api.v1.routes import (
    admin,
    auth,
    chat,
    echo,
    files,
    health,
    orders,
    session,
    system,
    users,
)
from app.api.v2.routes import items

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
