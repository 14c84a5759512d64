"""The app's /docs and /redoc work with no internet (workshop rooms often have none).

FastAPI's default pages load Swagger UI and ReDoc from a CDN; the app serves
them itself (fastapi-offline ships the files) from chapter 01 on.
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

from .conftest import CHAPTERS, chapter_params

ASSET = re.compile(r'(?:src|href)="([^"]+)"')
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.parametrize("chapter", chapter_params())
def test_docs_pages_load_only_assets_the_app_serves(
    chapter: Chapter, fresh_checkpoint: Callable[[Chapter], Path]
) -> None:
    with LiveServer(fresh_checkpoint(chapter)) as server:
        for page in ("/docs", "/redoc"):
            response = server.get(page)
            assert response.status_code == 200, f"{page}: {response.status_code}"
            assets = ASSET.findall(response.text)
            assert assets, f"{page} references no script or stylesheet"
            for asset in assets:
                assert asset.startswith("/") and not asset.startswith("//"), (
                    f"{page} of {chapter.name} loads {asset} from outside the app"
                )
                assert server.get(asset).status_code == 200, f"{page}: {asset} is missing"


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
