"""API version 1: one router that includes the router of every route module of v1.

main.py mounts it under settings.API_V1_PREFIX; route modules never repeat that prefix.
"""

from fastapi import APIRouter

from app.api.v1.routes import admin, auth, chat, echo, files, health, items, session, system, users

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
