"""Chapter 01: the first app: its title, GET /, GET /hello/{name}?shout, the generated docs."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from conftest import body, import_app_module
from fastapi import FastAPI
from fastapi.testclient import TestClient

from workbook.server import LiveServer

TITLE = "FastAPI Mastery Workbook"
ROOT_BODY = {"message": "Hello, FastAPI!"}


def hello_answered(r: httpx.Response, url: str) -> str:
    """Why GET /hello/... did not answer 200, for the failure line."""
    if r.status_code == 404:
        return (
            f"GET {url} answered 404: add the route GET /hello/{{name}} (say_hello) in app/main.py"
        )
    return (
        f"GET {url} answered {r.status_code} {body(r)!r}: say_hello in app/main.py takes "
        f"name from the path and an optional query parameter shout"
    )


def test_app_is_a_package(app_dir: Path) -> None:
    package = import_app_module("app")
    assert getattr(package, "__file__", None), (
        "app/ has no __init__.py: run the %%app app/__init__.py cell"
    )


def test_app_has_the_workbook_title(app: FastAPI) -> None:
    assert app.title == TITLE, (
        f"the app's title is {app.title!r}: create it as FastAPIOffline(title={TITLE!r}) "
        f"in app/main.py"
    )


@pytest.mark.exercise("01.1")
def test_root_says_hello(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code != 404, "GET / answered 404: add a GET / route (read_root) in app/main.py"
    assert r.status_code == 200, (
        f"GET / answered {r.status_code}: read_root in app/main.py raised (a stub's "
        f"NotImplementedError, or a value FastAPI cannot send as a dict[str, str]): "
        f'return {{"message": "Hello, FastAPI!"}}; server.log() in the notebook shows it'
    )
    assert body(r) == ROOT_BODY, (
        f"GET / answered {body(r)!r}: read_root in app/main.py must return "
        f'{{"message": "Hello, FastAPI!"}}'
    )


@pytest.mark.exercise("01.2")
@pytest.mark.parametrize("name", ["Ada", "Grace Hopper"])
def test_hello_greets_by_name(client: TestClient, name: str) -> None:
    url = f"/hello/{quote(name)}"
    r = client.get(url)
    assert r.status_code == 200, hello_answered(r, url)
    expected = {"message": f"Hello, {name}!"}
    assert body(r) != {"message": expected["message"].upper()}, (
        f"GET {url} shouted without ?shout: in say_hello (app/main.py) shout must default to False"
    )
    assert body(r) == expected, (
        f"GET {url} answered {body(r)!r}: say_hello in app/main.py must return {expected!r}"
    )


@pytest.mark.exercise("01.2")
def test_hello_shouts_when_asked(client: TestClient) -> None:
    url = "/hello/Ada?shout=true"
    r = client.get(url)
    assert r.status_code == 200, hello_answered(r, url)
    assert body(r) == {"message": "HELLO, ADA!"}, (
        f"GET {url} answered {body(r)!r}: with shout, say_hello in app/main.py must upper-case "
        f"the whole message"
    )


@pytest.mark.exercise("01.2")
def test_hello_does_not_shout_when_told_not_to(client: TestClient) -> None:
    url = "/hello/Ada?shout=false"
    r = client.get(url)
    assert r.status_code == 200, hello_answered(r, url)
    assert body(r) == {"message": "Hello, Ada!"}, (
        f"GET {url} answered {body(r)!r}: annotate shout as bool in say_hello "
        f"(app/main.py) so that 'false' means False"
    )


@pytest.mark.exercise("01.2")
def test_hello_refuses_a_shout_that_is_not_a_boolean(client: TestClient) -> None:
    url = "/hello/Ada?shout=maybe"
    r = client.get(url)
    assert r.status_code != 404, hello_answered(r, url)
    assert r.status_code == 422, (
        f"GET {url} answered {r.status_code}, not 422: annotate shout as bool in say_hello "
        f"(app/main.py) and FastAPI refuses non-booleans itself"
    )
    answer = body(r) if isinstance(body(r), dict) else {}
    # FastAPI's default 422 lists the errors under "detail"; from chapter 08 on, the
    # app's error envelope lists them under "error" -> "details", with the same "loc".
    detail = answer.get("detail") or (answer.get("error") or {}).get("details") or []
    locations = [error.get("loc") for error in detail if isinstance(error, dict)]
    assert ["query", "shout"] in locations, (
        f"GET {url} was refused for {locations}, not for the query parameter shout: "
        f"check say_hello's signature in app/main.py"
    )


def test_docs_describe_both_routes(client: TestClient) -> None:
    spec = body(client.get("/openapi.json"))
    paths = spec.get("paths", {}) if isinstance(spec, dict) else {}
    assert "get" in paths.get("/", {}), (
        "/openapi.json lists no GET /: add the read_root route in app/main.py"
    )
    assert "get" in paths.get("/hello/{name}", {}), (
        "/openapi.json lists no GET /hello/{name}: add the say_hello route in app/main.py"
    )
    parameters = {(p["in"], p["name"]) for p in paths["/hello/{name}"]["get"].get("parameters", [])}
    assert parameters >= {("path", "name"), ("query", "shout")}, (
        f"the docs of GET /hello/{{name}} list the parameters {sorted(parameters)}: say_hello in "
        f"app/main.py takes name (from the path) and shout (from the query string)"
    )


def test_docs_load_their_scripts_from_the_app(client: TestClient) -> None:
    docs = client.get("/docs")
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    outside = [a for a in assets if not a.startswith("/") or a.startswith("//")]
    assert docs.status_code == 200 and assets and not outside, (
        f"GET /docs loads {outside or 'nothing'} from outside the app, so it stays blank "
        f"offline: create the app with FastAPIOffline(...) in app/main.py"
    )
    missing = [a for a in assets if client.get(a).status_code != 200]
    assert not missing, f"GET /docs needs {missing}, which the app does not serve"


@pytest.mark.slow
def test_app_serves_for_real_under_uvicorn(live_server: LiveServer) -> None:
    root = live_server.get("/")
    assert root.status_code == 200 and body(root) == ROOT_BODY, (
        f"under uvicorn app.main:app, GET / answered {root.status_code} {body(root)!r}: "
        f"finish read_root in app/main.py"
    )
    docs = live_server.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower(), (
        f"under uvicorn app.main:app, GET /docs answered {docs.status_code}: keep FastAPI's "
        f"generated docs on (do not pass docs_url=None) in app/main.py"
    )
