"""Failure lines a learner can act on: each said once, each naming the file to fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbook import magics
from workbook.chapters import resolve
from workbook.check import CheckReport, Result, run_check

from .conftest import copy_tree

NOT_IMPORTING = "app.main does not import: SyntaxError: '(' was never closed (main.py, line 2)"


def checkpoint(name: str, tmp_path: Path) -> Path:
    chapter = resolve(name)
    return copy_tree(chapter.checkpoint, tmp_path / chapter.name)


def arrows(table: str) -> list[str]:
    return [line.strip().removeprefix("-> ") for line in table.splitlines() if "-> " in line]


def test_a_message_many_tests_share_shows_once_with_their_number(tmp_path: Path) -> None:
    report = CheckReport(resolve("1"), tmp_path)
    report.results = [
        Result("tests/chapters/test_01_philosophy.py::test_app_is_a_package", "passed", ""),
        *(
            Result(f"tests/chapters/test_01_philosophy.py::test_{n}", "error", NOT_IMPORTING)
            for n in range(3)
        ),
        Result("tests/chapters/test_01_philosophy.py::test_other", "failed", "something else"),
        Result("tests/chapters/test_01_philosophy.py::test_late", "failed", NOT_IMPORTING),
    ]
    table = report.table()
    assert arrows(table) == [f"{NOT_IMPORTING} — 4 tests stopped by it", "something else"], table
    assert "5 failed" in table.splitlines()[-1], table


def test_an_app_that_does_not_import_takes_one_line(tmp_path: Path) -> None:
    folder = checkpoint("1", tmp_path)
    (folder / "app/main.py").write_text("from fastapi import FastAPI\napp = FastAPI(\n")
    table = run_check(resolve("1"), folder, slow="none").table()
    lines = arrows(table)
    assert len(lines) == 1 and "tests stopped by it" in lines[0], table


@pytest.mark.parametrize(
    ("source", "line"),
    [("from fastapi import FastAPI\napp = FastAPI(\n", 2), ("def f(:\n    pass\n", 1)],
    ids=["unclosed", "bad-def"],
)
def test_a_syntax_error_names_its_line_once(tmp_path: Path, source: str, line: int) -> None:
    folder = checkpoint("1", tmp_path)
    (folder / "app/main.py").write_text(source)
    table = run_check(resolve("1"), folder, slow="none").table()
    [first, *_] = arrows(table)
    assert first.count(f"(main.py, line {line})") == 1, table
    assert first.count("line") == 1, table


def test_app_magic_warns_when_python_cannot_read_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WORKBOOK_WORKSPACE", str(tmp_path / "ws"))
    magics.app("app/main.py", "def f(:\n")
    assert (tmp_path / "ws/app/main.py").read_text() == "def f(:\n"
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "created app/main.py (1 line)", out
    assert out[1:] == [
        "warning: app/main.py line 1: invalid syntax: the file is written, "
        "but Python cannot read it yet"
    ], out


def test_app_magic_says_nothing_more_of_a_good_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WORKBOOK_WORKSPACE", str(tmp_path / "ws"))
    magics.app("app/main.py", "x = 1\n")
    magics.app("app/notes.txt", "def f(:\n")
    assert capsys.readouterr().out.splitlines() == [
        "created app/main.py (1 line)",
        "created app/notes.txt (1 line)",
    ]


def test_ruff_format_names_the_file_to_reformat(tmp_path: Path) -> None:
    folder = checkpoint("2", tmp_path)
    main_py = folder / "app/main.py"
    main_py.write_text(main_py.read_text() + "x=1\n")
    table = run_check(resolve("2"), folder, slow="none").table()
    [line] = [line for line in arrows(table) if line.startswith("ruff format")]
    assert "app/main.py would be reformatted" in line, table


def plugin_result(
    tmp_path: Path, test: str, app: dict[str, str], **environment: str
) -> dict[str, str]:
    """The check plugin's one result for ``test`` (a test module's source) on an app of
    ``app``'s files, as a check reports it (``environment``: more variables for it)."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app/__init__.py").write_text("")
    for name, source in app.items():
        (tmp_path / "app" / name).write_text(source)
    (tmp_path / "test_it.py").write_text(test)
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "pytest", str(tmp_path / "test_it.py"), "--tb=line", "-q"]
    command += ["-p", "workbook.check_plugin", f"--workbook-report={report}"]
    command += ["-p", "no:cacheprovider", "-o", "addopts="]
    env = {**os.environ, "WORKBOOK_APP_DIR": str(tmp_path), "PYTHONPATH": str(tmp_path)}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    subprocess.run(command, cwd=tmp_path, capture_output=True, env=env | environment)
    [result] = json.loads(report.read_text())
    return dict(result)


RAW_TEST = """
from app.lookup import find


def test_find():
    find("no-such-session")
"""


def test_a_raw_error_names_where_the_app_raised_it(tmp_path: Path) -> None:
    """A KeyError out of the learner's code, not an assertion: the line says where."""
    lookup = "SESSIONS = {}\n\n\ndef find(token):\n    return SESSIONS[token]\n"
    result = plugin_result(tmp_path, RAW_TEST, {"lookup.py": lookup})
    assert result["message"] == "KeyError: 'no-such-session' (raised in app/lookup.py, line 5)", (
        result
    )


HANGING_TEST = """
from app.lookup import wait_for_the_lock


def test_wait():
    wait_for_the_lock()
"""


def test_a_test_that_hangs_fails_with_a_line_instead_of_stopping_the_check(
    tmp_path: Path,
) -> None:
    """A lock nobody releases (the export's cursor once held SQLite's for good): the test
    fails after WORKBOOK_HANG_SECONDS, and the check goes on."""
    lookup = "import threading\n\n\ndef wait_for_the_lock():\n    threading.Event().wait()\n"
    result = plugin_result(tmp_path, HANGING_TEST, {"lookup.py": lookup}, WORKBOOK_HANG_SECONDS="1")
    assert result["outcome"] == "failed" and result["message"].startswith(
        "still running after 1 s: a hang"
    ), result


HANGING_FIXTURE_TEST = """
import pytest
from app.lookup import wait_for_the_lock


@pytest.fixture
def started():
    wait_for_the_lock()


def test_wait(started):
    pass
"""


def test_a_fixture_that_hangs_fails_with_a_line_too(tmp_path: Path) -> None:
    """A TestClient whose startup waits forever hangs in a fixture, before the test."""
    lookup = "import threading\n\n\ndef wait_for_the_lock():\n    threading.Event().wait()\n"
    result = plugin_result(
        tmp_path, HANGING_FIXTURE_TEST, {"lookup.py": lookup}, WORKBOOK_HANG_SECONDS="1"
    )
    assert result["outcome"] == "error" and result["message"].startswith(
        "still running after 1 s: a hang"
    ), result


NOT_AWAITED_TEST = """
from app.lookup import fetch


def test_fetch():
    fetch("ada")
    assert False, "fetch gave nothing"
"""


def test_a_coroutine_never_awaited_is_named_on_the_failure_line(tmp_path: Path) -> None:
    """A missing await fails somewhere else; the line says which call was never awaited."""
    lookup = "async def fetch(name):\n    return name\n"
    result = plugin_result(tmp_path, NOT_AWAITED_TEST, {"lookup.py": lookup})
    assert result["message"] == (
        "fetch gave nothing (coroutine 'fetch' was never awaited: a missing await?)"
    ), result


STUB_REACHED_TEST = """
import pytest

from app.users import delete_user


@pytest.mark.exercise("05.4")
def test_delete():
    delete_user(6)
"""


def test_a_stub_that_was_reached_names_its_own_exercise_not_the_markers(tmp_path: Path) -> None:
    """05.4's test fails in 05.2's stub: the line sends the learner to 05.2."""
    users = (
        "def get_user_or_404(user_id):\n"
        '    raise NotImplementedError("exercise 05.2")\n\n\n'
        "def delete_user(user_id):\n    get_user_or_404(user_id)\n"
    )
    result = plugin_result(tmp_path, STUB_REACHED_TEST, {"users.py": users})
    assert result["message"].startswith("exercise 05.2: NotImplementedError: exercise 05.2"), result
