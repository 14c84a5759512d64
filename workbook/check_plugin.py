"""pytest plugin of ``workbook check``: records each result for the summary table.

Loaded with ``-p workbook.check_plugin`` into a pytest whose plugin autoload is
off, so a check pays only for what it uses.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import threading
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from workbook.chapters import chapter_of

_results: list[dict[str, str]] = []

# Past this, a test hangs: a lock never released, a request never answered (the slowest
# test of a chapter, a real server started and stopped, takes seconds). It then fails with
# a line, and the check goes on, instead of holding the notebook or CI until killed.
HANG_SECONDS = int(os.environ.get("WORKBOOK_HANG_SECONDS", "300"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--workbook-report", help="write the results to this JSON file")
    parser.addoption("--workbook-chapter", type=int, default=None, help="the chapter checked")
    parser.addoption(
        "--workbook-fast", action="store_true", help="leave out the slow gates (mypy, servers)"
    )
    parser.addoption("--workbook-exercise", help="only the tests that catch this exercise")
    parser.addoption(
        "--workbook-select",
        choices=("own-fast", "rest"),
        help="a learner's check: own-fast, the chapter's own fast tests; rest, every other "
        "test of a learner's check: the earlier chapters' fast tests, the gates every "
        "chapter keeps (mypy) and the chapter's own slow tests",
    )


def _catches(item: pytest.Item, exercise: str | None) -> bool:
    """``--workbook-exercise 05.2``: only the tests marked as catching that exercise's
    mistakes (the wrong-answer invariant needs no other)."""
    marker = item.get_closest_marker("exercise")
    return exercise is None or (marker is not None and exercise in marker.args)


def _superseded(item: pytest.Item, chapter: int | None) -> bool:
    """``@pytest.mark.until(7, "why")``: the test applies up to checkpoint 07 only."""
    until = item.get_closest_marker("until")
    return chapter is not None and until is not None and chapter > int(until.args[0])


def _is_slow(item: pytest.Item) -> bool:
    return item.get_closest_marker("slow") is not None


def _is_gate(item: pytest.Item) -> bool:
    """``@pytest.mark.gate``: a slow test every later chapter keeps (mypy strict)."""
    return item.get_closest_marker("gate") is not None


def _selected(item: pytest.Item, chapter: int | None, select: str | None) -> bool:
    if select is None:
        return True
    mine, slow = chapter_of(item.nodeid) == chapter, _is_slow(item)
    if select == "own-fast":
        return mine and not slow
    # An earlier chapter's slow tests stay out (they passed in its own chapter's
    # check), except the gates that every chapter keeps.
    return (mine and slow) or (not mine and (not slow or _is_gate(item)))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    chapter = config.getoption("--workbook-chapter")
    fast = config.getoption("--workbook-fast")
    select = config.getoption("--workbook-select")
    exercise = config.getoption("--workbook-exercise")
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        gone = (
            _superseded(item, chapter) or (fast and _is_slow(item)) or not _catches(item, exercise)
        )
        (drop if gone or not _selected(item, chapter, select) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


def message(report: Any) -> str:
    """The one line a learner acts on: the assertion's message, not the traceback.

    A raw error of the learner's code (a KeyError, not an assertion) also says
    where the app raised it, which the test's own message cannot know.
    """
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (file, line, reason)
        text = str(longrepr[2])
    else:
        crash = getattr(longrepr, "reprcrash", None)
        text = crash.message if crash is not None else str(longrepr)
    first = text.strip().splitlines()[0] if text.strip() else "failed"
    first = re.sub(r"^(AssertionError|Failed|Skipped): ", "", first)
    raised_in = getattr(report, "workbook_raised_in", "")
    first = f"{first} (raised in {raised_in})" if raised_in else first
    # ``@pytest.mark.exercise("05.2")``: the line starts with the exercise to fix.
    exercise = getattr(report, "workbook_exercise", "")
    return f"exercise {exercise}: {first}" if exercise and report.failed else first


def _app_frame(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """``app/api/deps.py, line 92``: the last frame of the traceback in the app folder."""
    folder = os.environ.get("WORKBOOK_APP_DIR")
    if not folder:
        return ""
    root = Path(folder).resolve()
    where = ""
    for entry in excinfo.traceback:
        try:
            relative = Path(str(entry.path)).resolve().relative_to(root)
        except ValueError:
            continue
        where = f"{relative.as_posix()}, line {entry.lineno + 1}"
    return where


# "exercise 14.2" in a failure's message, as a stub raises it (workbook/markers.py).
_NAMED = re.compile(r"\bexercise (\d\d\.\d+)\b")

_NOT_RAW = (AssertionError, pytest.fail.Exception, pytest.skip.Exception)


@contextlib.contextmanager
def _hang_guard() -> Iterator[None]:
    """Fail what is still running after HANG_SECONDS (SIGALRM, in the main thread)."""

    def hung(signum: int, frame: Any) -> None:
        pytest.fail(
            f"still running after {HANG_SECONDS} s: a hang (a database lock, a server that "
            "never answers, a task that waits for itself)",
            pytrace=False,
        )

    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only: no guard elsewhere
        return
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    """A fixture that hangs (a TestClient whose startup waits forever) fails too."""
    with _hang_guard():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with _hang_guard():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Record where a raw error left the app, from the exception's own frames, whatever
    the ``--tb`` style keeps of them in the report (message() reads it)."""
    report = yield
    excinfo = call.excinfo
    if excinfo is not None and not isinstance(excinfo.value, _NOT_RAW):
        report.workbook_raised_in = _app_frame(excinfo)  # type: ignore[attr-defined]
    exercise = item.get_closest_marker("exercise")
    if exercise is not None and call.when == "call":  # not a fixture's error (an import)
        report.workbook_exercise = ", ".join(map(str, exercise.args))  # type: ignore[attr-defined]
    crash = getattr(report.longrepr, "reprcrash", None)
    if call.when == "call" and report.failed and crash is not None:
        # The failure itself names the exercise at fault (a stub that was reached says
        # "NotImplementedError: exercise 14.2"): it knows better than the test's marker.
        named = _NAMED.search(crash.message)
        if named:
            report.workbook_exercise = named[1]  # type: ignore[attr-defined]
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or report.outcome != "passed":
        outcome = "error" if report.when != "call" and report.failed else report.outcome
        _results.append(
            {
                "nodeid": report.nodeid,
                "outcome": outcome,
                "message": "" if report.passed else message(report),
            }
        )


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _results.append({"nodeid": report.nodeid, "outcome": "error", "message": message(report)})


# "coroutine 'X' was never awaited", by test: pytest hands warnings over once a test
# is done, after its report, so they join its failure line at the end.
_never_awaited: dict[str, str] = {}


def pytest_warning_recorded(warning_message: Any, when: str, nodeid: str, location: object) -> None:
    text = str(warning_message.message)
    if nodeid and "was never awaited" in text:
        _never_awaited.setdefault(nodeid, text)


def pytest_sessionfinish(session: pytest.Session) -> None:
    for result in _results:
        hint = _never_awaited.get(result["nodeid"])
        if hint and result["outcome"] in ("failed", "error"):
            result["message"] += f" ({hint}: a missing await?)"
    target = session.config.getoption("--workbook-report")
    if target:
        Path(target).write_text(json.dumps(_results, indent=1))
