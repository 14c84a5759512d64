"""A real uvicorn server for the app in a folder, on a free port.

Notebooks and tests use it to call the app over HTTP exactly as a client
would. The server process dies with the process that started it: it is
stopped at interpreter exit, and on Linux the kernel also kills it if its
parent dies abruptly.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as websocket_connect
from websockets.typing import Subprotocol

from . import forkserver
from .errors import WorkbookError
from .links import Proxy

_running: set[LiveServer] = set()


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every client: httpx builds a new one per client (40 ms of
    loading certificates) though the app speaks plain HTTP."""
    return ssl.create_default_context()


def client(base_url: str, timeout: float = 10) -> httpx.Client:
    """A new client (no cookie or connection carried over from an earlier call)."""
    return httpx.Client(base_url=base_url, timeout=timeout, verify=_tls())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ForkedProcess:
    """A server forked by the fork server (workbook/forkserver.py): not a child of
    this process, so watched and stopped by its pid, like a ``Popen``."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -1  # gone (its exit status went to the fork server)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"server {self.pid}", timeout or 0)
            time.sleep(0.01)
        return -1


class LiveServer:
    """``uvicorn app.main:app --app-dir APP_DIR`` on 127.0.0.1 and a free port.

    With a ``proxy`` (workbook/links.py) the app also knows the prefix a Jupyter
    server serves it under, so its /docs work in a browser on another machine;
    calls from this process still go to ``url``.
    """

    def __init__(
        self,
        app_dir: Path,
        target: str = "app.main:app",
        *extra: str,
        proxy: Proxy | None = None,
    ) -> None:
        self.app_dir = Path(app_dir)
        self.target = target
        self.extra = extra
        self.proxy = proxy
        self.port = 0
        self.process: subprocess.Popen[bytes] | ForkedProcess | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="workbook-server-", suffix=".log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def public_url(self, path: str = "") -> str:
        """The address a learner's browser opens: through the proxy when there is one."""
        return self.proxy.link(self.port, path) if self.proxy else f"{self.url}{path}"

    def start(self, timeout: float = 20.0) -> LiveServer:
        self.port = free_port()
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            self.target,
            "--app-dir",
            str(self.app_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *self.extra,
        ]
        if self.proxy is not None:
            command += ["--root-path", self.proxy.root_path(self.port)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        warm = forkserver.shared()
        if warm is not None:  # forked with FastAPI and uvicorn imported: 0.5 s sooner
            log = Path(self._log.name)
            self.process = ForkedProcess(warm.start_uvicorn(command[3:], env, Path.cwd(), log))
        else:
            self.process = subprocess.Popen(
                command,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                preexec_fn=forkserver.die_with_parent,
                # Its own session: ipykernel's shutdown would otherwise wait for it
                # (2.5 s), and a kernel interrupt would reach it; stop() ends it.
                start_new_session=True,
                env=env,
            )
        _running.add(self)
        deadline = time.monotonic() + timeout
        with client(self.url, timeout=0.5) as probe:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise WorkbookError(f"the app did not start: {self._last_line()}\n{self.log()}")
                try:
                    probe.get("/openapi.json")
                    return self
                except httpx.TransportError:
                    time.sleep(0.05)
        self.stop()
        raise WorkbookError(f"the app did not answer within {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        """What the server printed so far (its errors, tracebacks)."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace").strip()

    def _last_line(self) -> str:
        lines = self.log().splitlines()
        return lines[-1] if lines else "(it printed nothing)"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        _running.discard(self)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with client(self.url) as http:
            return http.request(method, path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def websocket(
        self, path: str, subprotocols: Sequence[str] = (), timeout: float = 5
    ) -> WebSocketClient:
        """A WebSocket to ``path`` on this server (``ws://``), opened before it returns.

        A handshake the app refuses (it closed before accepting) raises WebSocketRefused.
        """
        return WebSocketClient.open(
            f"ws://127.0.0.1:{self.port}{path}", subprotocols=subprotocols, timeout=timeout
        )

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class WebSocketRefused(WorkbookError):
    """The server answered the WebSocket handshake with an HTTP status, not a WebSocket."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"the server refused the WebSocket handshake of {url}: HTTP {status}")
        self.status = status


class WebSocketClient:
    """A small synchronous WebSocket client (the ``websockets`` package's), for notebooks
    and tests: text in, text out, and after the server closes, its close code and reason."""

    def __init__(self, connection: ClientConnection, timeout: float = 5) -> None:
        self.connection = connection
        self.timeout = timeout
        self.close_code: int | None = None
        self.close_reason = ""

    @classmethod
    def open(
        cls, url: str, subprotocols: Sequence[str] = (), timeout: float = 5
    ) -> WebSocketClient:
        try:
            connection = websocket_connect(
                url,
                subprotocols=[Subprotocol(name) for name in subprotocols] or None,
                open_timeout=timeout,
                close_timeout=timeout,
                proxy=None,  # 127.0.0.1: never through an HTTP(S)_PROXY of the environment
                compression=None,
                legacy=True,  # connected when it returns, not a context manager to enter
            )
        except InvalidStatus as error:
            raise WebSocketRefused(url, error.response.status_code) from None
        assert isinstance(connection, ClientConnection)  # legacy=True: never a reconnect
        return cls(connection, timeout)

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the server accepted (None: it accepted none)."""
        return self.connection.subprotocol

    def send(self, message: str | bytes) -> None:
        """Send a text message (a str) or a binary one (bytes)."""
        self.connection.send(message)

    def receive(self, timeout: float | None = None) -> str | None:
        """The next message, as text; None once the server has closed (see ``ended``).

        TimeoutError when nothing arrives within ``timeout`` seconds (default: the client's).
        """
        try:
            message = self.connection.recv(timeout=self.timeout if timeout is None else timeout)
        except ConnectionClosed as closed:
            self._closed(closed)
            return None
        return message if isinstance(message, str) else message.decode(errors="replace")

    def receive_json(self, timeout: float | None = None) -> Any:
        """The next message, parsed as JSON; None once the server has closed."""
        message = self.receive(timeout)
        return None if message is None else json.loads(message)

    @property
    def ended(self) -> str:
        """How the server ended the connection, on one line: "closed: 1009 (reason)"."""
        if self.close_code is None:
            return "still open"
        reason = f" ({self.close_reason})" if self.close_reason else ""
        return f"closed: {self.close_code}{reason}"

    def _closed(self, closed: ConnectionClosed) -> None:
        frame = closed.rcvd
        self.close_code = frame.code if frame is not None else 1006  # 1006: no close frame
        self.close_reason = frame.reason if frame is not None else ""

    def close(self) -> None:
        """Close from this side (code 1000); the server's endpoint sees a disconnect."""
        self.connection.close()

    def __enter__(self) -> WebSocketClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def describe(response: httpx.Response, headers: tuple[str, ...] = ()) -> str:
    """A response as a learner reads it: status line, chosen headers, the body."""
    # httpx's own table, not the server's words: Python 3.13 renamed some phrases.
    lines = [f"{response.status_code} {httpx.codes.get_reason_phrase(response.status_code)}"]
    lines += [f"{name}: {response.headers.get(name)}" for name in headers]
    try:
        body = json.dumps(response.json(), indent=2, ensure_ascii=False)
    except ValueError:
        body = response.text
    if body:
        lines.append(body)
    return "\n".join(lines)


@atexit.register
def _stop_all() -> None:
    for server in list(_running):
        server.stop()
