"""Chapter 02: version metadata, GET /version, the environment check, the ruff and mypy gates.

The gates apply to every later checkpoint too: the app stays lint-clean,
formatted and strictly typed as it grows.
"""

from __future__ import annotations

import inspect
import os
import platform
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import fastapi
import pytest
from conftest import body, import_app_module
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient


def package_version() -> str:
    version = getattr(import_app_module("app"), "__version__", None)
    if not isinstance(version, str):
        pytest.fail('app/__init__.py must define __version__ = "X.Y.Z" (a string)')
    return version


def run_tool(app_dir: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """``python -m COMMAND`` in the workspace, so its pyproject.toml configures the tool."""
    # A check started from a notebook inherits the kernel's FORCE_COLOR: keep messages plain.
    plain = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE")}
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=app_dir, env=plain, capture_output=True, text=True
    )


def first_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[0] if lines else "(no output)"


# --- version metadata -----------------------------------------------------------------


def test_package_declares_its_version(app_dir: Path) -> None:
    version = package_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", version), (
        f'app.__version__ is {version!r}: write a version such as "0.2.0" in app/__init__.py'
    )


def test_docs_show_the_package_version(client: TestClient) -> None:
    version = package_version()
    info = body(client.get("/openapi.json")).get("info", {})
    assert info.get("version") == version, (
        f"/openapi.json says version {info.get('version')!r}, app.__version__ is {version!r}: "
        f"pass version=__version__ where app/main.py creates the app"
    )


@pytest.mark.exercise("02.2")
def test_version_route_answers_the_three_versions(client: TestClient) -> None:
    r = client.get("/version")
    assert r.status_code == 200, (
        f"GET /version answered {r.status_code}: finish read_version in app/main.py"
    )
    answer = body(r)
    expected = {
        "app": package_version(),
        "python": platform.python_version(),
        "fastapi": fastapi.__version__,
    }
    assert isinstance(answer, dict) and set(answer) == set(expected), (
        f"GET /version answered {answer!r}: read_version in app/main.py must return exactly "
        f"the keys 'app', 'python' and 'fastapi'"
    )
    for key, value in expected.items():
        assert answer[key] == value, (
            f"GET /version says {key} is {answer[key]!r}, not {value!r}: fix read_version in "
            f"app/main.py"
        )


@pytest.mark.exercise("02.1")
def test_version_route_documents_a_dict_of_strings(client: TestClient) -> None:
    spec = body(client.get("/openapi.json"))
    operation = spec.get("paths", {}).get("/version", {}).get("get")
    assert operation, "/openapi.json lists no GET /version: add read_version in app/main.py"
    schema = operation["responses"]["200"].get("content", {}).get("application/json", {})
    schema = schema.get("schema", {})
    assert schema.get("type") == "object" and schema.get("additionalProperties") == {
        "type": "string"
    }, (
        f"the docs describe the answer of GET /version as {schema}: annotate read_version in "
        f"app/main.py with -> dict[str, str]"
    )


@pytest.mark.exercise("02.1")
def test_every_route_declares_its_return_type(app: FastAPI) -> None:
    # The app's own routes (not those a library adds, such as the docs pages), including
    # those of included routers (chapter 03 on), which only iter_route_contexts lists.
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.endpoint.__module__.split(".")[0] == "app":
            returns = inspect.signature(route.endpoint).return_annotation
            methods = "/".join(sorted(route.methods))
            assert returns is not inspect.Signature.empty, (
                f"{route.endpoint.__name__} ({methods} {context.path}) has no return type: "
                f"annotate it in {route.endpoint.__module__} (mypy --strict demands it, "
                f"FastAPI documents it)"
            )


# --- the environment check -----------------------------------------------------------


def envcheck() -> Any:
    return import_app_module("app.envcheck")


@pytest.mark.parametrize(
    ("version", "ok"),
    [
        ((3, 9, 18), False),
        ((3, 10, 14), False),
        ((3, 11, 0), True),
        ((3, 14, 2), True),
        ((4, 0, 0), True),
    ],
    ids=lambda value: ".".join(map(str, value)) if isinstance(value, tuple) else str(value),
)
@pytest.mark.exercise("02.3")
def test_python_check_wants_python_3_11_or_newer(version: tuple[int, int, int], ok: bool) -> None:
    shown = ".".join(map(str, version))
    try:
        check = envcheck().check_python(version)
    except Exception as error:
        pytest.fail(
            f"check_python({version}) raised {type(error).__name__}: {error}: "
            f"finish check_python in app/envcheck.py"
        )
    assert getattr(check, "ok", None) is ok, (
        f"check_python({version}) says {'ok' if getattr(check, 'ok', None) else 'FAIL'} for "
        f"Python {shown}: compare version[:2] with MINIMUM_PYTHON = (3, 11) in app/envcheck.py"
    )
    if not ok:
        assert "3.11" in check.fix, (
            f"check_python({version}) fails without saying which Python to install: put "
            f"'install Python 3.11 or newer' in its fix (app/envcheck.py)"
        )


def test_envcheck_passes_in_this_environment(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        status = envcheck().main()
    except Exception as error:
        pytest.fail(f"app/envcheck.py main() raised {type(error).__name__}: {error}")
    lines = capsys.readouterr().out.splitlines()
    failing = [line for line in lines if not line.startswith("ok")]
    assert status == 0 and lines and not failing, (
        f"python -m app.envcheck exits {status} here: {failing[0] if failing else 'no output'}"
    )


def test_envcheck_names_the_fix_and_exits_1_when_a_check_fails(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    module = envcheck()
    monkeypatch.setitem(module.PACKAGES, "workbook_missing_module", "missing-package")
    try:
        status = module.main()
    except Exception as error:
        pytest.fail(f"app/envcheck.py main() raised {type(error).__name__}: {error}")
    out = capsys.readouterr().out
    line = next((x for x in out.splitlines() if "workbook_missing_module" in x), "")
    assert line.startswith("FAIL") and 'pip install "missing-package"' in line, (
        f"a missing package shows as {line!r}: print its FAIL line with the pip install fix "
        f"(check_import in app/envcheck.py)"
    )
    assert status == 1, f"with a failing check, main() in app/envcheck.py returns {status}, not 1"


@pytest.mark.slow
def test_envcheck_runs_as_a_module(app_dir: Path) -> None:
    done = run_tool(app_dir, "app.envcheck")
    # A crash ends with the exception's line; a failing check prints a FAIL line.
    errors = done.stderr.strip().splitlines()
    failing = [line for line in done.stdout.splitlines() if not line.startswith("ok")]
    problem = errors[-1] if errors else (failing[0] if failing else "(no output)")
    assert done.returncode == 0, (
        f"python -m app.envcheck exited {done.returncode} in the workspace: {problem}"
    )


# --- the gates ---------------------------------------------------------------------------


def test_workspace_configures_ruff_and_mypy(app_dir: Path) -> None:
    config_file = app_dir / "pyproject.toml"
    assert config_file.is_file(), (
        "no pyproject.toml at the root of the workspace: run the %%app pyproject.toml cell"
    )
    try:
        config = tomllib.loads(config_file.read_text())
    except tomllib.TOMLDecodeError as error:
        pytest.fail(f"pyproject.toml of the workspace is not valid TOML: {error}")
    tool = config.get("tool", {})
    selected = tool.get("ruff", {}).get("lint", {}).get("select", [])
    assert {"E", "F", "I"} <= set(selected), (
        f"[tool.ruff.lint] select = {selected} in pyproject.toml: select at least E, F and I"
    )
    assert tool.get("mypy", {}).get("strict") is True, (
        "pyproject.toml has no strict = true under [tool.mypy]: switch mypy's strict mode on"
    )


def test_app_passes_ruff_check(app_dir: Path) -> None:
    done = run_tool(app_dir, "ruff", "check", "--no-cache", "--output-format=concise", "app")
    assert done.returncode == 0, (
        f"ruff check: {first_line(done.stdout + done.stderr)} (fix it in that file's %%app "
        f"cell; `ruff check app` in the workspace lists every issue)"
    )


def to_reformat(output: str) -> list[str]:
    """The files ``ruff format --check`` would change, in the order it names them:
    ``Would reformat: app/x.py`` (older ruff) or ``--> app/x.py:3:1`` (newer ruff)."""
    found = re.findall(r"^\s*(?:Would reformat: (\S+)|--> (\S+?):\d+:\d+)\s*$", output, re.M)
    files = [old or new for old, new in found]
    return list(dict.fromkeys(files))


def test_app_passes_ruff_format(app_dir: Path) -> None:
    done = run_tool(app_dir, "ruff", "format", "--check", "--no-cache", "app")
    output = done.stdout + done.stderr
    files = to_reformat(output)
    if files:
        named = ", ".join(files[:-1]) + " and " + files[-1] if len(files) > 1 else files[0]
        what = f"{named} would be reformatted"
    else:
        what = first_line(output)
    assert done.returncode == 0, (
        f"ruff format --check: {what} (`ruff format --diff app` in the workspace shows what "
        f"to change in the file's %%app cell)"
    )


@pytest.mark.slow
@pytest.mark.gate
def test_app_passes_mypy_strict(app_dir: Path) -> None:
    # The full path: mypy's cache (shared by every check) then tells this app's
    # modules from another folder's, by content, not only by size and time.
    done = run_tool(app_dir, "mypy", str(app_dir / "app"))
    output = (done.stdout + done.stderr).replace(f"{app_dir}{os.sep}", "")
    assert done.returncode == 0, (
        f"mypy --strict: {first_line(output)} (run `mypy app` in the workspace to see every error)"
    )
