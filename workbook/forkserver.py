"""A warm process that forks a fresh pytest run or a fresh uvicorn server on request.

Starting Python and importing pytest, FastAPI, Pydantic, SQLAlchemy, httpx and
uvicorn costs more than a chapter's tests (about 1.2 s of a 1.5 s check on a
2-core machine) and most of a server's start. The fork server imports those
libraries once; each check and each live server then runs in a child forked
from it. The child is a new process as far as the learner's code goes: their
app is imported only there, and the child exits when its run or its server
ends, so no stale import survives. Only third-party libraries are loaded
beforehand, never the workbook's plugins, the tests or the app.

Who starts it owns it: the first process that needs one (a kernel, the
command line, a test worker) starts it, in a session of its own so that a
Ctrl-C or a kernel interrupt reaches only its owner, and names its socket in
WORKBOOK_FORKSERVER for the processes it starts in turn (a kernel started by
a test worker uses its owner's). It dies with its owner: it stops when the
pipe from its owner closes, and on Linux also when its owner dies, and takes
its children with it.

Protocol over a Unix socket, one JSON line each way: ``{"kind": "pytest" or
"uvicorn", "argv": [...], "env": {...}, "cwd": "...", "output": "file"}``;
the answer is ``{"status": N}`` once a pytest child has exited (closing the
connection first kills the run), or ``{"pid": N}`` at once for a server.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib
import io
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from . import paths

# What checks and servers import anyway; each is optional.
PRELOAD = (
    "pytest",
    "_pytest.python",
    "_pytest.assertion.rewrite",
    "httpx",
    "pydantic",
    "email_validator",
    "fastapi",
    "fastapi.testclient",
    "fastapi.security",
    "fastapi_offline",
    "starlette.testclient",
    "multipart",
    "sqlalchemy",
    "sqlalchemy.orm",
    "sqlalchemy.ext.asyncio",
    "sqlmodel",
    "aiosqlite",
    "uvicorn",
    "uvicorn.main",
    "uvicorn.server",
    "uvicorn.loops.auto",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.websockets.auto",
    "uvicorn.lifespan.on",
    # Imported by the app as it starts (pydantic.v1 by a library's compatibility layer),
    # or by the later chapters' security and settings.
    "pydantic.v1",
    "pydantic_settings",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlalchemy.dialects.postgresql.asyncpg",
    "sqlalchemy.dialects.postgresql.psycopg",
    "passlib.context",
    "passlib.handlers.bcrypt",
    "jose.jwt",
)

ADDRESS = "WORKBOOK_FORKSERVER"  # "python executable|socket path" of the current one
SWITCH = "WORKBOOK_FORK"  # set to 0: a new interpreter for every check and server


def available() -> bool:
    return hasattr(os, "fork") and sys.platform != "win32" and os.environ.get(SWITCH) != "0"


# --- in the fork server ---------------------------------------------------------------


def die_with_parent() -> None:  # pragma: no cover - runs in a child
    """Linux: the kernel ends this process when its parent dies (elsewhere, atexit does)."""
    if sys.platform == "linux":
        import ctypes

        try:
            ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_DEATHSIG
        except OSError:
            pass


def _become(request: dict[str, Any], inherited: list[int]) -> None:  # pragma: no cover
    """In a forked child: become the requested pytest run or uvicorn server, then exit.

    ``inherited``: the server's own descriptors (its socket, pipes, other clients'
    connections), closed first."""
    status = 3
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in inherited:
            with contextlib.suppress(OSError):
                os.close(fd)
        nothing = os.open(os.devnull, os.O_RDONLY)
        os.dup2(nothing, 0)
        os.close(nothing)
        die_with_parent()
        output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        for fd in (1, 2):
            os.dup2(output, fd)
        os.close(output)
        # Unbuffered, as PYTHONUNBUFFERED would make a new interpreter: a server's
        # log is read while it runs.
        sys.stdout = io.TextIOWrapper(open(1, "wb", buffering=0), write_through=True)
        sys.stderr = io.TextIOWrapper(open(2, "wb", buffering=0), write_through=True)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.pycache_prefix = os.environ.get("PYTHONPYCACHEPREFIX")
        sys.dont_write_bytecode = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
        # What a new interpreter would have put on sys.path from PYTHONPATH.
        extra = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[:0] = [p for p in extra if p not in sys.path]
        if request["kind"] == "pytest":
            import pytest

            sys.argv = ["pytest", *request["argv"]]
            status = int(pytest.main(request["argv"]))
        else:
            from uvicorn.main import main as uvicorn_main

            sys.argv = ["uvicorn", *request["argv"]]
            try:
                uvicorn_main()
                status = 0
            except SystemExit as done:
                status = done.code if isinstance(done.code, int) else 1
    except BaseException:  # the child must never return into the server's loop
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            atexit._run_exitfuncs()  # what the run registered (servers to stop)
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(status)


def serve(address: str, idle: float | None = None) -> None:
    """The fork server's loop: preload, listen, fork a child per request, reap them.

    ``idle`` (the command line's daemon): no owner; stop after that many seconds
    with nothing to do."""
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(64)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the select below
    # The owner's pipe: end of file when the owner is gone.
    owners = [] if idle is not None else [sys.stdin.fileno()]
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    runs: dict[int, socket.socket] = {}  # pytest children and the client waiting for each
    children: set[int] = set()
    while True:
        waiting = [listener, *owners, wake_read, *runs.values()]
        ready, _, _ = select.select(waiting, [], [], idle)
        if not ready and not children:
            break  # idle for `idle` seconds
        if any(owner in ready and not os.read(owner, 1024) for owner in owners):
            break
        if wake_read in ready:
            os.read(wake_read, 1024)
        for pid, connection in list(runs.items()):
            if connection in ready:  # the client went away before its run ended
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if listener in ready:
            connection, _ = listener.accept()
            with connection.makefile("r") as lines:
                request = json.loads(lines.readline() or "null")
            if request is not None:
                pid = os.fork()
                if pid == 0:
                    mine = [listener, connection, *runs.values()]
                    _become(request, [s.fileno() for s in mine] + [wake_read, wake_write])
                children.add(pid)
                if request["kind"] == "pytest":
                    runs[pid] = connection
                else:
                    connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
                    connection.close()
        _reap(children, runs)
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    listener.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(address)


def _reap(children: set[int], runs: dict[int, socket.socket]) -> None:
    while children:
        pid, code = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        children.discard(pid)
        connection = runs.pop(pid, None)
        if connection is not None:
            with contextlib.suppress(OSError):
                status = os.waitstatus_to_exitcode(code)
                connection.sendall(json.dumps({"status": status}).encode() + b"\n")
            connection.close()


# --- in its clients ----------------------------------------------------------------------


class ForkServer:
    """The client side: talks to a fork server at ``address``."""

    def __init__(self, address: str) -> None:
        self.address = address

    def _send(self, request: dict[str, Any]) -> socket.socket:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(self.address)
        connection.sendall(json.dumps(request).encode() + b"\n")
        return connection

    def run_pytest(self, argv: list[str], env: dict[str, str], cwd: Path, output: Path) -> int:
        """``pytest argv`` in a fresh child; its output goes to ``output``; its exit status."""
        request = {"kind": "pytest", "argv": argv, "env": env, "cwd": str(cwd)}
        with self._send(request | {"output": str(output)}) as connection:
            answer = connection.makefile("r").readline()  # an interrupt here ends the run
        if not answer:
            raise OSError("the fork server stopped during a check")
        return int(json.loads(answer)["status"])

    def start_uvicorn(self, argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> int:
        """``uvicorn argv`` in a fresh child, its output appended to ``log``; its pid."""
        request = {"kind": "uvicorn", "argv": argv, "env": env, "cwd": str(cwd)}
        with self._send(request | {"output": str(log)}) as connection:
            answer = connection.makefile("r").readline()
        if not answer:
            raise OSError("the fork server did not start the server")
        return int(json.loads(answer)["pid"])


_lock = threading.Lock()
_own: tuple[subprocess.Popen[str], str] | None = None
_ready = False


def warm_up() -> None:
    """Start this process's fork server now, without waiting: it preloads meanwhile."""
    if available() and not _inherited():
        with _lock:
            _ensure_started()


def shared() -> ForkServer | None:
    """The fork server of this process tree, started on first use; None where none can run."""
    global _ready
    if not available():
        return None
    address = _inherited()
    if address:
        return ForkServer(address)
    with _lock:
        process, address = _ensure_started()
        if not _ready:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise OSError("the fork server did not start")
            _ready = True
    return ForkServer(address)


# How long the command line's fork server waits for the next check before it stops.
DAEMON_IDLE_SECONDS = 600


def daemon() -> ForkServer | None:
    """For the command line: a fork server that outlives one `workbook check`, so the
    next check in a terminal starts warm too; it stops after 10 idle minutes."""
    if not available():
        return None
    if "PYTEST_CURRENT_TEST" in os.environ:
        return shared()  # under a test run: one that ends with the run
    address = _inherited()
    if address:
        return ForkServer(address)
    key = hashlib.sha256(f"{sys.executable}|{paths.ROOT}".encode()).hexdigest()[:12]
    address = os.path.join(tempfile.gettempdir(), f"workbook-{os.getuid()}-{key}.sock")
    if not _answers(address):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(address)  # left by one that was killed
        subprocess.Popen(
            [sys.executable, "-m", "workbook.forkserver", address, str(DAEMON_IDLE_SECONDS)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=paths.ROOT,
            env={k: v for k, v in os.environ.items() if k != ADDRESS},
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while not _answers(address):
            if time.monotonic() > deadline:
                return None  # the check runs in a new interpreter instead
            time.sleep(0.02)
    os.environ[ADDRESS] = f"{sys.executable}|{address}"
    return ForkServer(address)


def _answers(address: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(address)
        except OSError:
            return False
    return True


def _inherited() -> str | None:
    """The socket of a fork server this process may use that another process owns."""
    executable, _, address = os.environ.get(ADDRESS, "").partition("|")
    mine = _own is not None and _own[1] == address
    usable = executable == sys.executable and os.path.exists(address)
    return address if usable and not mine else None


def _ensure_started() -> tuple[subprocess.Popen[str], str]:
    global _own, _ready
    if _own is None or _own[0].poll() is not None:
        _own, _ready = _start(), False
        os.environ[ADDRESS] = f"{sys.executable}|{_own[1]}"  # for the processes we start
    return _own


def _start() -> tuple[subprocess.Popen[str], str]:
    folder = tempfile.mkdtemp(prefix="workbook-fork-")
    address = os.path.join(folder, "socket")
    process = subprocess.Popen(
        [sys.executable, "-m", "workbook.forkserver", address],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=paths.ROOT,  # as a check runs; and no app/ package where it starts
        env={k: v for k, v in os.environ.items() if k != ADDRESS},
        text=True,
        preexec_fn=die_with_parent,
        start_new_session=True,
    )
    atexit.register(_stop, process, folder)
    return process, address


def _stop(process: subprocess.Popen[str], folder: str) -> None:
    if process.stdin is not None:
        process.stdin.close()  # the server ends its children, then itself
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    serve(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else None)
