"""What ``%load_ext workbook`` gives a notebook: ``%%app``, ``check``, ``serve``, ``show``,
``hint`` and ``solution``."""

from __future__ import annotations

from typing import Any

import httpx

from . import paths
from .appcells import file_text, parse_target
from .chapters import resolve
from .check import run_check, warm_up
from .errors import WorkbookError
from .postgres import DEFAULT_SERVER as POSTGRES_SERVER
from .server import LiveServer, describe
from .workspace import Workspace

_server: LiveServer | None = None


def app(line: str, cell: str) -> None:
    """%%app PATH: write this cell to PATH in the workspace (markers dropped)."""
    where = f"%%app {line.strip()}"
    try:
        target = parse_target(line, where)
        text = file_text(cell, where)
        print(Workspace(paths.workspace()).write(target, text))
    except WorkbookError as error:
        print(f"workbook: {error}")
        return
    if target.endswith(".py"):
        try:
            compile(text, target, "exec")
        except SyntaxError as error:  # ValueError (a NUL byte) is left to the check
            print(
                f"warning: {target} line {error.lineno}: {error.msg}: the file is written, "
                "but Python cannot read it yet"
            )


def check(chapter: int | str, postgres: bool = False) -> None:
    """Run the tests of this chapter and the ones before it on your workspace.

    postgres=True: on a new database of the PostgreSQL server at 127.0.0.1:5432.
    """
    try:
        report = run_check(
            resolve(str(chapter)),
            Workspace(paths.workspace()).require().root,
            postgres=POSTGRES_SERVER if postgres else None,
        )
    except WorkbookError as error:
        print(f"workbook: {error}")
        return
    print(report.table())


def serve() -> LiveServer:
    """(Re)start your app under uvicorn, so it runs the code you just wrote."""
    global _server
    if _server is not None:
        _server.stop()
    _server = LiveServer(Workspace(paths.workspace()).require().root).start()
    print(f"Your app is running at {_server.url} (API docs at {_server.url}/docs)")
    return _server


def show(response: httpx.Response, *headers: str) -> None:
    """Print a response: status, the named headers, and the body."""
    print(describe(response, headers))


def hint(exercise: str, all: bool = False) -> None:  # noqa: A002 (the CLI's --all)
    """Show the next hint of an exercise such as "05.2" (all=True: every one)."""
    from . import hints

    try:
        shown, after = hints.next_hints(exercise, everything=all, notebook=True)
    except WorkbookError as error:
        print(f"workbook: {error}")
        return
    print(f"{hints.format_hints(shown)}\n\n({after})")


def solution(exercise: str) -> None:
    """Print the reference answer of an exercise such as "05.2", and where it goes."""
    from . import hints

    try:
        print(hints.solution_text(hints.reference(exercise), notebook=True))
    except WorkbookError as error:
        print(f"workbook: {error}")


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magic_function(app, magic_kind="cell", magic_name="app")
    ipython.push({"check": check, "serve": serve, "show": show, "hint": hint, "solution": solution})
    warm_up()  # the check worker preloads while the learner reads the first cells
