"""The app's /docs work with no internet (workshop rooms often have none), in a browser.

FastAPI's default pages load Swagger UI and ReDoc from a CDN; the app serves
them itself (fastapi-offline ships the files) from chapter 01 on. That every
checkpoint's pages load only the app's own assets is part of the uvicorn
invariant in test_invariants.py; here a real browser cut off from the network
shows that Swagger UI works with them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from workbook.chapters import Chapter
from workbook.server import LiveServer

from .conftest import CHAPTERS

ASSET = re.compile(r'(?:src|href)="([^"]+)"')
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here (apt-get install chromium)")
def test_docs_list_every_operation_in_a_browser_cut_off_from_the_network(
    fresh_checkpoint: Callable[[Chapter], Path], tmp_path: Path
) -> None:
    assert CHROMIUM is not None
    with LiveServer(fresh_checkpoint(CHAPTERS[-1])) as server:
        paths = set(server.get("/openapi.json").json()["paths"])
        browser = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}",
             # Every host name but the app's own address fails to resolve: no CDN.
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--virtual-time-budget=10000", "--dump-dom", f"{server.url}/docs"],
            capture_output=True, text=True, timeout=90,
        )  # fmt: skip
    listed = set(re.findall(r'data-path="([^"]+)"', browser.stdout))
    assert listed == paths, f"Swagger UI listed {sorted(listed)}, the API has {sorted(paths)}"
