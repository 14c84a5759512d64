from __future__ import annotations

from pathlib import Path

import pytest

from workbook.errors import WorkbookError
from workbook.server import LiveServer, WebSocketRefused, describe


def app_folder(tmp_path: Path, main: str) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app/__init__.py").write_text("")
    (tmp_path / "app/main.py").write_text(main)
    return tmp_path


def test_live_server_serves_over_real_http_and_stops(tmp_path: Path) -> None:
    folder = app_folder(
        tmp_path,
        "from fastapi import FastAPI\napp = FastAPI()\n"
        "@app.get('/')\ndef root() -> dict[str, int]:\n    return {'n': 1}\n",
    )
    with LiveServer(folder) as server:
        response = server.get("/")
        assert describe(response) == '200 OK\n{\n  "n": 1\n}'
        process = server.process
    assert process is not None and process.poll() is not None, "server still running after stop"


def test_an_app_that_does_not_import_is_reported_with_its_error(tmp_path: Path) -> None:
    folder = app_folder(tmp_path, "raise RuntimeError('broken on purpose')\n")
    with pytest.raises(WorkbookError, match="broken on purpose"):
        LiveServer(folder).start()


WEBSOCKET_APP = """
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/echo")
async def echo(websocket: WebSocket) -> None:
    offered = websocket.scope.get("subprotocols", [])
    await websocket.accept(subprotocol=offered[0] if offered else None)
    text = await websocket.receive_text()
    await websocket.send_text(f"echo: {text}")
    await websocket.close(4000, "done")


@app.websocket("/closed")
async def closed(websocket: WebSocket) -> None:
    await websocket.close(1008)
"""


def test_live_server_opens_a_websocket_and_says_how_it_ended(tmp_path: Path) -> None:
    with LiveServer(app_folder(tmp_path, WEBSOCKET_APP)) as server:
        with server.websocket("/echo", ["bearer", "a.b-c_d"]) as ws:
            assert ws.subprotocol == "bearer" and ws.ended == "still open"
            ws.send("hi")
            assert ws.receive() == "echo: hi"
            assert ws.receive() is None, "a closed connection receives None"
            assert (ws.close_code, ws.ended) == (4000, "closed: 4000 (done)")
        with pytest.raises(WebSocketRefused, match="HTTP 403") as refused:
            server.websocket("/closed")
        assert refused.value.status == 403
        with server.websocket("/echo") as ws, pytest.raises(TimeoutError):
            ws.receive(timeout=0.2)
