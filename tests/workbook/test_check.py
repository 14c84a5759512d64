"""The check runner: a short table, one actionable line per failure."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workbook.chapters import checkpoint_before
from workbook.check import run_check
from workbook.cli import main

from .conftest import CHAPTERS


def wrong_app(tmp_path: Path) -> Path:
    """Chapter 01's checkpoint with the classic mistake: a different greeting."""
    folder = tmp_path / "workspace"
    shutil.copytree(CHAPTERS[0].checkpoint, folder)
    main_py = folder / "app/main.py"
    main_py.write_text(main_py.read_text().replace("Hello, FastAPI!", "Hello FastAPI"))
    return folder


def test_a_failure_is_one_line_that_says_what_to_fix(tmp_path: Path) -> None:
    report = run_check(CHAPTERS[0], wrong_app(tmp_path), slow="none")
    assert not report.ok
    table = report.table()
    failing = [line for line in table.splitlines() if " FAIL " in line]
    assert failing, table
    hint = table.splitlines()[table.splitlines().index(failing[0]) + 1]
    assert hint.strip().startswith("-> ") and "app/main.py" in hint, table
    assert "Traceback" not in table and "keep going" in table.splitlines()[-1]


def test_an_app_that_does_not_import_is_reported_not_crashed(tmp_path: Path) -> None:
    folder = wrong_app(tmp_path)
    (folder / "app/main.py").write_text("from fastapi import FastAPI\napp = FastAPI(\n")
    report = run_check(CHAPTERS[0], folder, slow="none")
    assert not report.ok
    assert "app.main does not import: SyntaxError" in report.table()


def test_status_shows_every_chapter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--workspace", str(wrong_app(tmp_path))]) == 0
    lines = capsys.readouterr().out.splitlines()
    first = next(line for line in lines if CHAPTERS[0].name in line)
    assert "started" in first, lines
    assert all(any(c.name in line for line in lines) for c in CHAPTERS)


def test_earlier_chapters_take_one_line_unless_they_fail(tmp_path: Path) -> None:
    later = CHAPTERS[2]
    folder = tmp_path / "later"
    shutil.copytree(later.checkpoint, folder)
    main_py = folder / "app/main.py"
    main_py.write_text(main_py.read_text().replace("Hello, FastAPI!", "Hello FastAPI"))
    table = run_check(later, folder, slow="none").table().splitlines()
    assert any(line.startswith("  01  FAIL") for line in table), table
    assert "  02  pass   all " in "\n".join(table) and not any(
        line.startswith("  02  pass   ") and "all" not in line for line in table
    ), table
    assert any(line.startswith(f"  {later.number:02d}  pass") for line in table), table


def test_a_learners_check_runs_the_chapters_own_tests_first(tmp_path: Path) -> None:
    later = CHAPTERS[2]
    # The start of the chapter: its own tests fail, the earlier ones would pass.
    folder = shutil.copytree(checkpoint_before(later), tmp_path / "start")
    report = run_check(later, folder)
    assert not report.ok and {r.chapter for r in report.results} == {later.number}
    assert f"not run yet: they run once the tests of chapter {later.number:02d}" in (
        report.table()
    ), report.table()


def test_earlier_chapters_run_once_the_chapters_own_tests_pass(tmp_path: Path) -> None:
    later = CHAPTERS[2]
    folder = tmp_path / "later"
    shutil.copytree(later.checkpoint, folder)
    main_py = folder / "app/main.py"
    main_py.write_text(main_py.read_text().replace("Hello, FastAPI!", "Hello FastAPI"))
    report = run_check(later, folder)
    table = report.table()
    assert not report.ok and "not run yet" not in table, table
    assert any(line.startswith("  01  FAIL") for line in table.splitlines()), table
