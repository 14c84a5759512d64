"""A warm process that forks a fresh pytest run for each check.

Starting Python and importing pytest, FastAPI, Pydantic, SQLAlchemy and httpx
costs more than a chapter's tests (about 1.2 s of a 1.5 s check on a 2-core
machine). The worker imports those libraries once; every check then runs in a
child forked from it. The child is a new process as far as the learner's code
goes: their app is imported only there, and the child exits after the run, so
no stale import survives from one check to the next. Only third-party
libraries are loaded beforehand, never the workbook's plugins or the tests.

The worker is a child of the process that uses it (a kernel, the command line,
a test worker), in a session of its own so that a Ctrl-C or a kernel
interrupt reaches only its client. It dies with that process: it stops when
its request pipe closes, and on Linux the kernel also kills it when its
parent dies. Each of its children dies with it in turn.

Protocol, one JSON object per line: the client writes ``{"argv": [...],
"env": {...}, "cwd": "...", "output": "file"}`` on the worker's stdin; the
worker answers ``{"status": N}`` once the child has exited, its stdout and
stderr written to ``output``.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from typing import IO, Any

# What a check imports anyway; each is optional (a chapter may need none of it).
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
    "starlette.testclient",
    "multipart",
    "sqlalchemy",
    "sqlalchemy.orm",
    "sqlalchemy.ext.asyncio",
    "sqlmodel",
    "aiosqlite",
)

# Set to 0 to run every check in a new interpreter (to compare, or to debug).
SWITCH = "WORKBOOK_CHECK_WORKER"


def available() -> bool:
    return hasattr(os, "fork") and os.environ.get(SWITCH, "1") != "0"


def _run_child(request: dict[str, Any], channels: tuple[IO[str], IO[str]]) -> None:
    """In the forked child: become the requested pytest process, then exit."""
    status = 3
    try:
        for channel in channels:
            os.close(channel.fileno())
        _die_with_parent()
        output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.pycache_prefix = os.environ.get("PYTHONPYCACHEPREFIX")
        sys.dont_write_bytecode = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
        sys.argv = ["pytest", *request["argv"]]
        import pytest

        status = int(pytest.main(request["argv"]))
    except BaseException:  # the child must never return into the worker's loop
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def serve() -> None:
    """The worker's loop: preload, then fork one child per request, in turn."""
    requests = os.fdopen(os.dup(0), "r")
    answers = os.fdopen(os.dup(1), "w")
    nothing = os.open(os.devnull, os.O_RDWR)
    os.dup2(nothing, 0)
    os.dup2(nothing, 1)
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    answers.write(json.dumps({"ready": True}) + "\n")
    answers.flush()
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _run_child(request, (requests, answers))
        _, code = os.waitpid(pid, 0)
        answers.write(json.dumps({"status": os.waitstatus_to_exitcode(code)}) + "\n")
        answers.flush()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    if sys.platform == "linux":
        import ctypes
        import signal

        try:
            ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_DEATHSIG
        except OSError:
            pass


class CheckWorker:
    """The client side: one worker process, started on first use, one run at a time."""

    def __init__(self, env: dict[str, str]) -> None:
        self._env = env
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def start(self) -> CheckWorker:
        """Start the worker now (it preloads while the caller does other work)."""
        with self._lock:
            self._ensure_started()
        return self

    def _ensure_started(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "workbook.check_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=self._env,
                text=True,
                preexec_fn=_die_with_parent,
                # Its own session: a kernel's interrupt and shutdown signal their
                # process group, and ipykernel waits for every child it finds there.
                start_new_session=True,
            )
        return self._process

    def run(self, argv: list[str], env: dict[str, str], cwd: Path, output: Path) -> int:
        """Run ``pytest argv`` in a fresh child; its output goes to ``output``."""
        with self._lock:
            process = self._ensure_started()
            assert process.stdin is not None and process.stdout is not None
            request = {"argv": argv, "env": env, "cwd": str(cwd), "output": str(output)}
            try:
                process.stdin.write(json.dumps(request) + "\n")
                process.stdin.flush()
                while True:
                    answer = json.loads(process.stdout.readline() or '{"status": null}')
                    if "ready" not in answer:
                        break
            except BaseException:
                # Interrupted mid-run (a kernel interrupt): the worker's next answer
                # would belong to this run, so the worker and its child go.
                self.stop()
                raise
            if answer["status"] is None:
                self.stop()
                raise RuntimeError("the check worker stopped unexpectedly")
            return int(answer["status"])

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()


if __name__ == "__main__":
    serve()
