"""pytest plugin of ``workbook check``: records each result for the summary table.

Loaded with ``-p workbook.check_plugin`` into a pytest whose plugin autoload is
off, so a check pays only for what it uses.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from workbook.chapters import chapter_of

_results: list[dict[str, str]] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--workbook-report", help="write the results to this JSON file")
    parser.addoption("--workbook-chapter", type=int, default=None, help="the chapter checked")
    parser.addoption(
        "--workbook-fast", action="store_true", help="leave out the slow gates (mypy, servers)"
    )
    parser.addoption(
        "--workbook-stages",
        action="store_true",
        help="a learner's check: the chapter's fast tests first, then the earlier chapters' "
        "fast tests, then the chapter's slow gates; each stage only if the ones before passed",
    )


def _superseded(item: pytest.Item, chapter: int | None) -> bool:
    """``@pytest.mark.until(7, "why")``: the test applies up to checkpoint 07 only."""
    until = item.get_closest_marker("until")
    return chapter is not None and until is not None and chapter > int(until.args[0])


def _is_slow(item: pytest.Item) -> bool:
    return item.get_closest_marker("slow") is not None


def _is_gate(item: pytest.Item) -> bool:
    """``@pytest.mark.gate``: a slow test every later chapter keeps (mypy strict)."""
    return item.get_closest_marker("gate") is not None


# The first test of each stage after the first; a stage starts only when nothing failed.
_stage_starts: set[str] = set()
_failed = False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    chapter = config.getoption("--workbook-chapter")
    fast = config.getoption("--workbook-fast")
    staged = config.getoption("--workbook-stages")
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        slow = _is_slow(item)
        mine = chapter_of(item.nodeid) == chapter
        # Staged, an earlier chapter's slow tests stay out (they passed in their own
        # chapter), except the gates that every chapter keeps.
        earlier_slow = staged and slow and not mine and not _is_gate(item)
        gone = _superseded(item, chapter) or (fast and slow) or earlier_slow
        (drop if gone else keep).append(item)
    if staged:
        stages = [
            [i for i in keep if chapter_of(i.nodeid) == chapter and not _is_slow(i)],
            [i for i in keep if chapter_of(i.nodeid) != chapter],
            [i for i in keep if chapter_of(i.nodeid) == chapter and _is_slow(i)],
        ]
        keep = [item for stage in stages for item in stage]
        _stage_starts.update(stage[0].nodeid for stage in stages[1:] if stage)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """Stop before a stage when a test failed: the learner fixes those first, quickly."""
    if _failed and item.nodeid in _stage_starts:
        item.session.shouldstop = "the next stage waits until these tests pass"
        return True  # handled: not run; pytest stops here and tears the fixtures down
    return None


def message(report: Any) -> str:
    """The one line a learner acts on: the assertion's message, not the traceback."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (file, line, reason)
        text = str(longrepr[2])
    else:
        crash = getattr(longrepr, "reprcrash", None)
        text = crash.message if crash is not None else str(longrepr)
    first = text.strip().splitlines()[0] if text.strip() else "failed"
    return re.sub(r"^(AssertionError|Failed|Skipped): ", "", first)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _failed
    _failed = _failed or report.failed
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
    global _failed
    _failed = _failed or report.failed
    if report.failed:
        _results.append({"nodeid": report.nodeid, "outcome": "error", "message": message(report)})


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = session.config.getoption("--workbook-report")
    if target:
        Path(target).write_text(json.dumps(_results, indent=1))
