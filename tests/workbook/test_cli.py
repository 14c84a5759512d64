"""The command line: bad input is one clear line and exit 2, never a traceback."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from workbook import paths
from workbook.cli import lab_environment, main
from workbook.server import free_port

from .conftest import CHAPTERS, copy_tree


def run(*args: str, root: Path = paths.ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WORKBOOK_ROOT": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "workbook", *args],
        cwd=paths.ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and fragment in done.stderr, done.stderr


def test_unknown_chapter() -> None:
    assert_one_line_error(run("hint", "99"), "unknown chapter '99'")


def test_workspace_that_does_not_exist(tmp_path: Path) -> None:
    assert_one_line_error(
        run("check", "1", "--workspace", str(tmp_path / "nope")), "does not exist"
    )


def test_reset_into_a_folder_that_is_not_a_workspace(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("precious")
    assert_one_line_error(
        run("reset", "1", "--workspace", str(tmp_path)), "is not a workbook workspace"
    )
    assert (tmp_path / "thesis.tex").read_text() == "precious"


def test_notebook_that_is_not_valid_json(tmp_path: Path) -> None:
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions/01_broken.ipynb").write_text("{ not json")
    assert_one_line_error(run("hint", "1", root=tmp_path), "is not a valid notebook")
    assert_one_line_error(run("build", "--check", root=tmp_path), "is not a valid notebook")


@pytest.mark.parametrize("name", ["1", "01", CHAPTERS[0].name])
def test_chapters_are_named_by_number_or_name(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["hint", name]) == 0
    assert f"Hint 1 of 2 · exercise {CHAPTERS[0].number:02d}.1" in capsys.readouterr().out


def test_reset_and_jump_keep_the_learner_files_and_print_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "workspace"
    assert main(["jump", "1", "--workspace", str(workspace)]) == 0
    (workspace / "app/main.py").write_text("# my own version\n")
    assert main(["reset", "1", "--workspace", str(workspace)]) == 0
    out = capsys.readouterr().out
    backup = Path(out.split("kept in ", 1)[1].split("\n", 1)[0])
    assert (backup / "app/main.py").read_text() == "# my own version\n"
    assert not (workspace / "app").exists(), "reset 1 must give the empty starting state"


def test_diff_shows_what_a_chapter_changes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "1"]) == 0
    out = capsys.readouterr().out
    assert f"+++ {CHAPTERS[0].name}/app/main.py" in out and "--- /dev/null" in out


def test_check_exit_status_follows_the_result(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    assert main(["jump", "1", "--workspace", str(workspace)]) == 0
    assert main(["check", "1", "--workspace", str(workspace)]) == 0
    assert main(["reset", "1", "--workspace", str(workspace)]) == 0
    (workspace / "app").mkdir()
    (workspace / "app/main.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    assert main(["check", "1", "--workspace", str(workspace)]) == 1


def test_check_on_a_postgresql_server_that_does_not_answer() -> None:
    # Port 9 (discard) on this machine: nothing listens, the connection is refused at once.
    done = run(
        "check",
        CHAPTERS[-1].name,
        "--workspace",
        str(CHAPTERS[-1].checkpoint),
        "--postgres",
        "postgresql://postgres@127.0.0.1:9/postgres",
    )
    assert_one_line_error(done, "no PostgreSQL at postgresql://postgres@127.0.0.1:9/postgres")


def test_a_reader_that_stops_early_gets_no_traceback() -> None:
    # `workbook diff 13 14 | head -1`: the pipe closes after the first line.
    process = subprocess.Popen(
        [sys.executable, "-m", "workbook", "diff", CHAPTERS[-2].name, CHAPTERS[-1].name],
        cwd=paths.ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith(b"--- ")
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.wait(timeout=30)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert process.returncode in (0, 141), (process.returncode, stderr)


@pytest.mark.parametrize("command", ["check 3", "status"])
def test_a_suggestion_keeps_the_workspace_the_user_gave(command: str, tmp_path: Path) -> None:
    nope = tmp_path / "nope"
    done = run(*command.split(), "--workspace", str(nope))
    assert_one_line_error(done, f"run `workbook reset 1 --workspace {nope}` to start")


def test_jupyterlab_terminals_find_the_venvs_commands() -> None:
    env = lab_environment({"PATH": "/usr/bin:/bin", "HOME": "/home/learner"})
    first = env["PATH"].split(os.pathsep)[0]
    assert first == str(Path(sys.executable).parent), env["PATH"]
    assert (Path(first) / "workbook").is_file() and (Path(first) / "ruff").is_file()
    assert env["PATH"].endswith("/usr/bin:/bin") and env["HOME"] == "/home/learner"


def _server_processes(port: int) -> dict[int, str]:
    """uvicorn's reloader names the port; its worker runs in the temporary copy."""
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            text = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if f"--port {port}" in text or "workbook-serve-" in cwd:
            found[int(proc.name)] = text
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="looks for the server's processes in /proc")
def test_serving_a_checkpoint_leaves_it_untouched_and_sigterm_stops_the_whole_server(
    tmp_path: Path,
) -> None:
    checkpoint = CHAPTERS[0].checkpoint
    before = sorted(p.relative_to(checkpoint) for p in checkpoint.rglob("*"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # A file, not a pipe: a server left behind would hold a pipe open forever.
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "workbook", "serve", "1", "--port", str(port)],
        cwd=paths.ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert httpx.get(f"{base}/", timeout=1).status_code == 200
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "never answered"
                time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        time.sleep(0.5)  # a worker that outlived its reloader would still answer now
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{base}/", timeout=1)
        assert not _server_processes(port), "uvicorn outlived `workbook serve`"
    finally:
        if process.poll() is None:
            process.kill()
        for pid in _server_processes(port):  # whatever it left behind (a failed test)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        log.close()
    output = (tmp_path / "serve.log").read_text()
    assert "temporary copy" in output and "Traceback" not in output, output
    assert sorted(p.relative_to(checkpoint) for p in checkpoint.rglob("*")) == before


def test_status_tells_the_current_chapter_from_an_earlier_one_it_broke(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Chapter 14 done, but with a change that breaks a test of chapter 01.
    last = CHAPTERS[-1]
    folder = copy_tree(last.checkpoint, tmp_path / "workspace")
    main_py = folder / "app/main.py"
    main_py.write_text(main_py.read_text().replace("Hello, FastAPI!", "Hello FastAPI"))
    assert main(["status", "--workspace", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    first = next(line for line in lines if CHAPTERS[0].name in line)
    assert "broken by later changes" in first and "started" not in first, lines
    current = next(line for line in lines if last.name in line)
    assert "your current chapter" in current, lines
    assert f"`workbook check {last.number} --workspace {folder}`" in lines[-1], lines
