"""The command line: bad input is one clear line and exit 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbook import paths
from workbook.cli import main

from .conftest import CHAPTERS


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
    assert f"Hint {CHAPTERS[0].number:02d}.1" in capsys.readouterr().out


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
