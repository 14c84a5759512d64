from __future__ import annotations

from pathlib import Path

import pytest

from workbook.errors import WorkbookError
from workbook.server import LiveServer, describe


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
