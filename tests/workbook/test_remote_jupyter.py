"""On a JupyterHub (or Binder), `serve()` in a notebook gives links that open through the
Jupyter server: a real server with jupyter-server-proxy, a real kernel driven over the
server's websocket as JupyterLab drives it, /docs loaded through the proxy."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from workbook.links import proxy_installed
from workbook.server import free_port

from .conftest import CHAPTERS, copy_tree

pytestmark = pytest.mark.skipif(not proxy_installed(), reason="jupyter-server-proxy missing")

BASE = "/user/ada/"  # the prefix a JupyterHub gives the user's server


@contextlib.contextmanager
def jupyter_server(tmp_path: Path, env: dict[str, str]) -> Iterator[httpx.Client]:
    """`jupyter server` on a free port under BASE, with a token; stopped afterwards."""
    port, token = free_port(), secrets.token_hex(16)
    log = (tmp_path / "jupyter.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "server",
            "--no-browser",
            f"--port={port}",
            f"--ServerApp.base_url={BASE}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={tmp_path}",
            '--ServerApp.jpserver_extensions={"jupyter_server_proxy": True}',
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    http = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"token {token}"},
        timeout=30,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                http.get(f"{BASE}api/status").raise_for_status()
                break
            except httpx.TransportError:
                assert process.poll() is None, (tmp_path / "jupyter.log").read_text()
                assert time.monotonic() < deadline, "the Jupyter server never answered"
                time.sleep(0.2)
        yield http
    finally:
        http.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # the server, its kernels, their apps
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def execute(ws: object, code: str, timeout: float = 90) -> str:
    """Run code in the kernel through the server's websocket; what it printed."""
    msg_id, session = uuid.uuid4().hex, uuid.uuid4().hex
    header = {
        "msg_id": msg_id,
        "msg_type": "execute_request",
        "username": "ada",
        "session": session,
        "date": "2026-01-01T00:00:00Z",
        "version": "5.3",
    }
    content = {"code": code, "silent": False, "store_history": False, "allow_stdin": False}
    message = {"header": header, "parent_header": {}, "metadata": {}, "content": content}
    ws.send(json.dumps({**message, "channel": "shell"}))  # type: ignore[attr-defined]
    printed: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = json.loads(ws.recv(timeout=deadline - time.monotonic()))  # type: ignore[attr-defined]
        if reply.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = reply["header"]["msg_type"]
        if kind == "stream":
            printed.append(reply["content"]["text"])
        elif kind == "error":
            printed.append("\n".join(reply["content"]["traceback"]))
        elif kind == "display_data":
            printed.append(reply["content"]["data"].get("text/html", ""))
        elif kind == "status" and reply["content"]["execution_state"] == "idle":
            return "".join(printed)
    raise AssertionError(f"the kernel did not finish within {timeout} s: {''.join(printed)}")


def test_serve_in_a_hub_kernel_prints_links_that_load_docs_through_the_proxy(
    tmp_path: Path,
) -> None:
    workspace = copy_tree(CHAPTERS[0].checkpoint, tmp_path / "workspace")
    env = {
        **os.environ,
        "JUPYTERHUB_SERVICE_PREFIX": BASE,  # as JupyterHub sets it for the user's server
        "WORKBOOK_WORKSPACE": str(workspace),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    env.pop("WORKBOOK_LINKS", None)
    with jupyter_server(tmp_path, env) as http:
        kernel = http.post(f"{BASE}api/kernels", json={"name": "python3"})
        assert kernel.status_code == 201, kernel.text
        token = http.headers["Authorization"].split()[1]
        channels = f"{http.base_url}{BASE}api/kernels/{kernel.json()['id']}/channels"
        with connect(f"{channels}?token={token}".replace("http://", "ws://")) as ws:
            out = execute(ws, "%load_ext workbook\nserver = serve()\nprint(server.get('/'))")
            assert "Traceback" not in out, out
            assert "<Response [200 OK]>" in out, f"calls from the notebook must still work: {out}"
            found = re.search(rf"API docs at ({BASE}proxy/(\d+)/docs)", out)
            assert found, f"no link through the Jupyter server in: {out}"
            docs, port = found.group(1), found.group(2)
            assert f'href="{docs}"' in out, "the relative link is also an HTML link"

            page = http.get(docs)
            assert page.status_code == 200, page.text
            assert "swagger" in page.text.lower()
            # The page asks for its schema and assets under the proxy's prefix too.
            schema_url = f"{BASE}proxy/{port}/openapi.json"
            assert schema_url in page.text, page.text
            schema = http.get(schema_url)
            assert schema.status_code == 200 and "openapi" in schema.json(), schema.text
            assert (
                http.get(f"{BASE}proxy/{port}/").json()
                == httpx.get(f"http://127.0.0.1:{port}/").json()
            )
        http.delete(f"{BASE}api/kernels/{kernel.json()['id']}")
    time.sleep(0.5)
    with pytest.raises(httpx.TransportError):  # the app stopped with its kernel
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
