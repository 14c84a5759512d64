"""Chapter 03: the guide's package layout, settings, routers wired in main.py, GET /health.

The layout rules hold for every later checkpoint: absolute imports, and no
new routes in app/main.py (they go into route modules).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from conftest import body, import_app_module
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient

HEALTH_MODULE = "app.api.v1.routes.health"
# The routes of chapters 01 and 02, whose tests point learners at app/main.py.
WELCOME_ROUTES = {"read_root", "say_hello", "read_version"}
LAYOUT = [
    "app/core/__init__.py",
    "app/core/config.py",
    "app/api/__init__.py",
    "app/api/v1/__init__.py",
    "app/api/v1/router.py",
    "app/api/v1/routes/__init__.py",
    "app/api/v1/routes/health.py",
]


def get_routes(routes: list[Any], path: str) -> list[RouteContext]:
    """The GET operations at ``path``, looking inside included routers.

    Since FastAPI 0.137, ``include_router`` keeps each included router as one
    node of ``routes`` instead of copying its routes: ``iter_route_contexts``
    lists them all, with their full paths.
    """
    return [
        context
        for context in iter_route_contexts(routes)
        if isinstance(context.original_route, APIRoute)
        and context.path == path
        and "GET" in (context.methods or ())
    ]


@pytest.mark.parametrize("relative", LAYOUT)
def test_layout_file_exists(app_dir: Path, relative: str) -> None:
    assert (app_dir / relative).is_file(), f"{relative} is missing: run its %%app cell"


def test_settings_hold_name_version_and_prefix(app_dir: Path) -> None:
    settings = getattr(import_app_module("app.core.config"), "settings", None)
    assert settings is not None, "app/core/config.py must define `settings = Settings()`"
    version = getattr(import_app_module("app"), "__version__", None)
    expected = {
        "PROJECT_NAME": "FastAPI Mastery Workbook",
        "VERSION": version,
        "API_V1_PREFIX": "/api/v1",
    }
    for name, value in expected.items():
        assert getattr(settings, name, None) == value, (
            f"settings.{name} is {getattr(settings, name, None)!r}, not {value!r}: "
            f"fix Settings in app/core/config.py"
        )


def test_app_is_built_from_the_settings(app: FastAPI) -> None:
    settings = getattr(import_app_module("app.core.config"), "settings", None)
    expected = (getattr(settings, "PROJECT_NAME", None), getattr(settings, "VERSION", None))
    assert (app.title, app.version) == expected, (
        f"the app's title and version are {app.title!r}, {app.version!r}: create it with "
        f"title=settings.PROJECT_NAME, version=settings.VERSION in app/main.py"
    )


def not_served_because(path: str) -> str:
    """Which exercise keeps GET ``path`` from being served: the first missing link of
    route -> health.router -> api_router -> app (the message names it, so the line
    starts with that exercise whatever the test's marker says)."""
    health_router = getattr(import_app_module(HEALTH_MODULE), "router", None)
    if not get_routes(getattr(health_router, "routes", []), "/health"):
        return "health.router has no GET /health yet (exercise 03.1)"
    if path == "/health":
        return "wire it with app.include_router(health.router) in app/main.py (exercise 03.3)"
    api_router = getattr(import_app_module("app.api.v1.router"), "api_router", None)
    if not get_routes(getattr(api_router, "routes", []), "/health"):
        return "api_router does not include health.router yet (exercise 03.2)"
    return (
        "wire it with app.include_router(api_router, prefix=settings.API_V1_PREFIX) "
        "in app/main.py (exercise 03.3)"
    )


@pytest.mark.exercise("03.1")
def test_health_module_has_a_router_with_get_health(app_dir: Path) -> None:
    router = getattr(import_app_module(HEALTH_MODULE), "router", None)
    assert isinstance(router, APIRouter), (
        "app/api/v1/routes/health.py must define `router = APIRouter(...)`"
    )
    assert get_routes(router.routes, "/health"), (
        "the router of app/api/v1/routes/health.py has no GET /health: "
        'add it with @router.get("/health")'
    )


@pytest.mark.exercise("03.2")
def test_api_router_includes_the_health_routes(app_dir: Path) -> None:
    api_router = getattr(import_app_module("app.api.v1.router"), "api_router", None)
    assert isinstance(api_router, APIRouter), (
        "app/api/v1/router.py must define `api_router = APIRouter()`"
    )
    served = get_routes(api_router.routes, "/health")
    health_router = getattr(import_app_module(HEALTH_MODULE), "router", None)
    if not served and not get_routes(getattr(health_router, "routes", []), "/health"):
        pytest.fail("api_router has no GET /health: health.router has none yet (exercise 03.1)")
    assert any(getattr(r.endpoint, "__module__", None) == HEALTH_MODULE for r in served), (
        "api_router has no GET /health: include health.router in it in app/api/v1/router.py"
    )


@pytest.mark.parametrize("path", ["/health", "/api/v1/health"])
@pytest.mark.exercise("03.3")
def test_health_answers_ok(client: TestClient, path: str) -> None:
    r = client.get(path)
    if r.status_code == 404:
        pytest.fail(f"GET {path} answered 404: {not_served_because(path)}")
    assert r.status_code == 200, f"GET {path} answered {r.status_code}"


@pytest.mark.exercise("03.1")
def test_health_says_ok(client: TestClient) -> None:
    path = "/health"
    r = client.get(path)
    if r.status_code != 200:
        pytest.fail(f"GET {path} answered {r.status_code}: {not_served_because(path)}")
    assert body(r) == {"status": "ok"}, (
        f"GET {path} answered {body(r)!r}: health_check in app/api/v1/routes/health.py must "
        f'return {{"status": "ok"}}'
    )


@pytest.mark.parametrize("path", ["/health", "/api/v1/health"])
@pytest.mark.exercise("03.2")
def test_health_comes_from_the_health_module(app: FastAPI, path: str) -> None:
    modules = {getattr(r.endpoint, "__module__", None) for r in get_routes(app.routes, path)}
    if not modules:
        pytest.fail(f"GET {path} is not served at all yet: {not_served_because(path)}")
    assert modules == {HEALTH_MODULE}, (
        f"GET {path} is served by {sorted(modules) or 'nothing'}: define it once, in "
        f"app/api/v1/routes/health.py, and include that router in app/main.py"
    )


@pytest.mark.parametrize("path", ["/health", "/api/v1/health"])
@pytest.mark.exercise("03.1")
def test_health_is_tagged_in_the_docs(client: TestClient, path: str) -> None:
    spec = body(client.get("/openapi.json"))
    operation = spec.get("paths", {}).get(path, {}).get("get")
    if operation is None:
        pytest.fail(f"GET {path} is not in /openapi.json yet: {not_served_because(path)}")
    assert "health" in operation.get("tags", []), (
        f"GET {path} has the tags {operation.get('tags', [])} in /openapi.json: create the "
        f'router as APIRouter(tags=["health"]) in app/api/v1/routes/health.py'
    )


def test_main_defines_no_routes_beyond_the_welcome_ones(app: FastAPI) -> None:
    extra = sorted(
        f"{context.original_route.endpoint.__name__} ({context.path})"
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and context.original_route.endpoint.__module__ == "app.main"
        and context.original_route.endpoint.__name__ not in WELCOME_ROUTES
    )
    assert not extra, (
        f"app/main.py defines {', '.join(extra)}: move new routes into a route module under "
        f"app/api/v1/routes/ and include its router"
    )


def test_app_uses_absolute_imports(app_dir: Path) -> None:
    for path in sorted((app_dir / "app").rglob("*.py")):
        relative = path.relative_to(app_dir).as_posix()
        try:
            tree = ast.parse(path.read_text(), filename=relative)
        except SyntaxError as error:
            pytest.fail(f"{relative}, line {error.lineno}: syntax error: {error.msg}")
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                source = "." * node.level + (node.module or "")
                pytest.fail(
                    f"{relative}, line {node.lineno}: relative import `from {source} import ...`: "
                    f"write it absolute, from app.... import ..."
                )
