"""`workbook lab` with JupyterLab's options, as on a remote machine or in a container."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from workbook import paths
from workbook.cli import lab_command
from workbook.server import free_port


def test_the_users_options_come_last_so_they_win() -> None:
    command = lab_command(["--no-browser", "--port", "8890"], is_root=False)
    assert command[-3:] == ["--no-browser", "--port", "8890"], command
    assert "--LabApp.default_url=/lab/tree/chapters" in command
    assert "--allow-root" not in command
    assert lab_command([], is_root=True).count("--allow-root") == 1
    assert lab_command(["--allow-root"], is_root=True).count("--allow-root") == 1


def test_lab_with_no_browser_and_a_port_serves_the_chapters_and_sigterm_stops_it(
    tmp_path: Path,
) -> None:
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        # Jupyter's files of this run (server info, lab workspaces) in the test's folder.
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    log = (tmp_path / "lab.log").open("w")  # a file: a server left behind never blocks a pipe
    command = ["--no-browser", "--port", str(port), f"--IdentityProvider.token={token}"]
    process = subprocess.Popen(
        [sys.executable, "-m", "workbook", "lab", *command],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/api/contents/chapters"
    auth = {"Authorization": f"token {token}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                listing = httpx.get(url, headers=auth, timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, (tmp_path / "lab.log").read_text()
                assert time.monotonic() < deadline, "JupyterLab never answered"
                time.sleep(0.2)
        assert listing.status_code == 200, listing.text
        names = {entry["name"] for entry in listing.json()["content"]}
        expected = {notebook.name for notebook in paths.CHAPTERS.glob("*.ipynb")}
        assert expected and expected <= names, names
        assert httpx.get(url, timeout=2).status_code == 403, "the token is not required"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) is not None
        time.sleep(0.5)
        try:
            httpx.get(url, headers=auth, timeout=1)
            raise AssertionError("the Jupyter server outlived `workbook lab`")
        except httpx.TransportError:
            pass
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for info in (tmp_path / "runtime").glob("jpserver-*.json"):  # a server left behind
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(info.stem.removeprefix("jpserver-")), signal.SIGKILL)
        log.close()
    assert "Traceback" not in (tmp_path / "lab.log").read_text()
