"""The fork server: every check and server is a fresh process, and none outlives its owner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbook import forkserver
from workbook.check import run_check
from workbook.server import ForkedProcess, LiveServer

from .conftest import CHAPTERS

pytestmark = pytest.mark.skipif(not forkserver.available(), reason="no fork() here")


def gone(pid: int, within: float = 10) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_each_check_imports_the_app_afresh(tmp_path: Path) -> None:
    """A forked check sees the file as it is now, never a copy imported by an earlier one."""
    folder = shutil.copytree(CHAPTERS[0].checkpoint, tmp_path / "workspace")
    assert run_check(CHAPTERS[0], folder, slow="none").ok
    main = folder / "app/main.py"
    main.write_text(main.read_text().replace("Hello, FastAPI!", "Hello FastAPI"))
    second = run_check(CHAPTERS[0], folder, slow="none")
    assert not second.ok and "Hello" in second.table(), second.table()


def test_checks_run_side_by_side_in_one_fork_server(tmp_path: Path) -> None:
    """The learner's check runs its parts at once; each gets its answer, not another's."""
    folder = shutil.copytree(CHAPTERS[2].checkpoint, tmp_path / "workspace")
    report = run_check(CHAPTERS[2], folder)
    assert report.ok and {r.chapter for r in report.results} == {1, 2, 3}, report.table()


def test_a_forked_server_is_a_fresh_process_that_stops(tmp_path: Path) -> None:
    folder = shutil.copytree(CHAPTERS[0].checkpoint, tmp_path / "workspace")
    with LiveServer(folder) as server:
        assert server.get("/").status_code == 200
        process = server.process
        assert isinstance(process, ForkedProcess), "the server was not forked"
        assert process.pid != os.getpid()
    assert gone(process.pid), f"server {process.pid} still runs after stop()"


OWNER = """
import sys
from pathlib import Path
from workbook import forkserver
from workbook.server import LiveServer
forkserver.shared()
live = LiveServer(Path(sys.argv[1])).start()
print(forkserver._own[0].pid, live.process.pid, flush=True)
import time; time.sleep(60)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="Linux ends children with their parent")
def test_the_fork_server_and_its_servers_die_with_their_owner(tmp_path: Path) -> None:
    folder = shutil.copytree(CHAPTERS[0].checkpoint, tmp_path / "workspace")
    env = {k: v for k, v in os.environ.items() if k != forkserver.ADDRESS}
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(folder)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert owner.stdout is not None
    fork_server, server = map(int, owner.stdout.readline().split())
    owner.kill()  # no atexit, no cleanup: only the pipe and the kernel's death signal
    owner.wait()
    assert gone(fork_server), "the fork server outlived its owner"
    assert gone(server), "a server forked for a dead owner still runs"


def test_the_command_lines_fork_server_stops_when_idle(tmp_path: Path) -> None:
    address = str(tmp_path / "socket")
    process = subprocess.Popen(
        [sys.executable, "-m", "workbook.forkserver", address, "0.5"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
    assert process.wait(timeout=20) == 0
    assert not os.path.exists(address), "the idle fork server left its socket behind"
