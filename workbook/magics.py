"""What ``%load_ext workbook`` gives a notebook: ``%%app``, ``check``, ``serve``, ``show``,
``hint`` and ``solution``."""

from __future__ import annotations

from typing import Any

import httpx

from . import links, paths
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
    proxy = links.detect()
    if proxy is not None and not links.proxy_installed():
        print(
            "note: this Jupyter runs on another machine than your browser, and without "
            "jupyter-server-proxy the links below open only on that machine: "
            "`pip install jupyter-server-proxy`, then restart the Jupyter server"
        )
        proxy = None
    _server = LiveServer(Workspace(paths.workspace()).require().root, proxy=proxy).start()
    if proxy is None:
        print(f"Your app is running at {_server.url} (API docs at {_server.url}/docs)")
    else:
        _print_proxied(_server)
    return _server


def _print_proxied(server: LiveServer) -> None:
    """The links through the Jupyter server; a relative one also as an HTML link, which
    the browser completes with the address it is on."""
    page, docs = server.public_url("/"), server.public_url("/docs")
    print(
        f"Your app is running at {page} (API docs at {docs}), through the Jupyter server; "
        f"this notebook calls it at {server.url}"
    )
    if not page.startswith("http"):
        from IPython.display import display

        html = (
            f'Open <a href="{page}" target="_blank">your app</a> or '
            f'<a href="{docs}" target="_blank">its API docs</a>'
        )
        display({"text/html": html}, raw=True)  # type: ignore[no-untyped-call]


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
