"""pytest plugin of ``workbook verify``: time each chapter's work and write the report.

Loaded with ``-p workbook.timing_plugin --workbook-timings=DIR``. It adds up
``report.duration`` per test nodeid, and at the end of the session writes
DIR/timings.json and DIR/timings.md (workbook/timings.py), whatever the
outcome of the tests, and DIR/durations.json: every test's seconds, the
session's wall-clock seconds and its number of workers, which
benchmarks/verify_stages.py reads. Under pytest-xdist the controller receives every
worker's reports, so only the controller writes; workers stay quiet.
It also writes DIR/outcomes.json: each test's outcome and, for one that did
not pass, its report (the freshness run, workbook/latest.py, reads it).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

import pytest

from .chapters import all_chapters
from .errors import WorkbookError
from .timings import chapter_timings, to_json, to_markdown
from .titlecell import TitleCell, read_title_cell

_durations: defaultdict[str, float] = defaultdict(float)
_outcomes: dict[str, dict[str, str]] = {}
_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
_KEPT = 6000  # characters of a failure's report: its start and its end
_started = time.perf_counter()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--workbook-timings",
        metavar="DIR",
        help="write the per-chapter timings to DIR/timings.json and DIR/timings.md",
    )


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _durations[report.nodeid] += report.duration
    # A test's outcome is the worst of its phases; a failed setup or teardown is an error.
    outcome = "error" if report.failed and report.when != "call" else report.outcome
    known = _outcomes.get(report.nodeid)
    if known is None or _RANK[outcome] > _RANK[known["outcome"]]:
        text = "" if outcome == "passed" else report.longreprtext
        if len(text) > _KEPT:
            text = f"{text[: _KEPT // 3]}\n[...]\n{text[-2 * _KEPT // 3 :]}"
        _outcomes[report.nodeid] = {"outcome": outcome, "text": text}


def write_report(folder: Path, durations: dict[str, float]) -> list[Path]:
    """Write timings.json and timings.md for every chapter into ``folder``."""
    chapters = []
    for chapter in all_chapters():
        try:
            card = read_title_cell(chapter.solution)
        except WorkbookError:  # a broken notebook fails its own tests; it still gets a row
            card = TitleCell()
        chapters.append((chapter.name, card.title, card.estimate))
    rows = chapter_timings(durations, chapters)
    folder.mkdir(parents=True, exist_ok=True)
    files = [(folder / "timings.json", to_json(rows)), (folder / "timings.md", to_markdown(rows))]
    for path, text in files:
        path.write_text(text, encoding="utf-8")
    return [path for path, _ in files]


def pytest_sessionstart(session: pytest.Session) -> None:
    global _started
    _started = time.perf_counter()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    folder = session.config.getoption("--workbook-timings")
    if folder and not hasattr(session.config, "workerinput"):  # xdist workers have workerinput
        write_report(Path(folder), dict(_durations))
        workers = getattr(session.config.option, "numprocesses", None)
        record = {
            "wall_seconds": round(time.perf_counter() - _started, 2),
            "workers": workers if isinstance(workers, int) else 1,
            "durations": {nodeid: round(s, 3) for nodeid, s in _durations.items()},
        }
        (Path(folder) / "durations.json").write_text(json.dumps(record, indent=1) + "\n")
        (Path(folder) / "outcomes.json").write_text(json.dumps(_outcomes, indent=1) + "\n")
