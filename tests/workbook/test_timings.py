"""The timings report of `workbook verify`: which tests count for which chapter, and its files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbook.timings import (
    CHECKPOINT_TESTS,
    EXERCISE_TEST,
    LEARNER_TEST,
    WRONG_ANSWER_TEST,
    chapter_timings,
    classify,
    to_json,
    to_markdown,
)
from workbook.titlecell import Estimate

from .conftest import CHAPTERS

INVARIANTS = "tests/workbook/test_invariants.py"
CHECKPOINT_TEST = CHECKPOINT_TESTS[0]
DURATIONS = {
    # The solution notebook: every item of it, every phase (the setup starts the kernel).
    "solutions/01_first.ipynb::Cell 0": 1.25,
    "solutions/01_first.ipynb::Cell 3": 0.5,
    "solutions/01_first.ipynb::workspace matches checkpoint": 0.25,
    f"{INVARIANTS}::{LEARNER_TEST}[01_first]": 4.0,
    f"{INVARIANTS}::{CHECKPOINT_TEST}[01_first]": 2.0,
    f"{INVARIANTS}::{CHECKPOINT_TESTS[1]}[02_second]": 3.0,
    f"{INVARIANTS}::{EXERCISE_TEST}[01.1]": 0.5,
    f"{INVARIANTS}::{EXERCISE_TEST}[01.2]": 0.75,
    # Not a chapter's own work: left out.
    "tests/workbook/test_build.py::test_something": 9.0,
    f"{INVARIANTS}::test_latest_checkpoint_passes_every_test_of_every_chapter": 9.0,
    "tests/chapters/test_01_first.py::test_root": 9.0,
}
CHAPTER_CARDS = [
    ("01_first", "First app", Estimate(25, 10, 15)),
    ("02_second", "Second | more", Estimate(35, 15, 20)),
    ("03_third", "Being written", None),
]


@pytest.mark.parametrize(
    ("nodeid", "expected"),
    [
        ("solutions/01_first.ipynb::Cell 12", ("01", "solution")),
        ("solutions/01_first.ipynb::Cell 12@01_first", ("01", "solution")),
        (f"{INVARIANTS}::{LEARNER_TEST}[12_sql_alchemy]", ("12", "learner")),
        (f"{INVARIANTS}::{CHECKPOINT_TEST}[28_pitfalls]", ("28", "checkpoint")),
        (f"{INVARIANTS}::{CHECKPOINT_TESTS[1]}[14_service]", ("14", "checkpoint")),
        (f"{INVARIANTS}::{EXERCISE_TEST}[01.1]", ("01", "exercises")),
        (f"{INVARIANTS}::{WRONG_ANSWER_TEST}[05.2-only-prefixes]", ("05", "exercises")),
        (f"{INVARIANTS}::test_latest_checkpoint_passes_every_test_of_every_chapter", None),
        ("chapters/01_first.ipynb::Cell 0", None),
    ],
)
def test_classify(nodeid: str, expected: tuple[str, str] | None) -> None:
    assert classify(nodeid) == expected


def test_seconds_per_chapter_and_kind() -> None:
    rows = chapter_timings(DURATIONS, CHAPTER_CARDS)
    assert [row.seconds for row in rows] == [
        {"solution": 2.0, "learner": 4.0, "exercises": 1.25, "checkpoint": 2.0},
        {"solution": None, "learner": None, "exercises": None, "checkpoint": 3.0},
        {"solution": None, "learner": None, "exercises": None, "checkpoint": None},
    ]
    assert [row.total for row in rows] == [9.25, 3.0, None]


def test_markdown_report() -> None:
    table = to_markdown(chapter_timings(DURATIONS, CHAPTER_CARDS)).split("\n\n", 2)[2]
    assert table == (
        "| chapter | title | estimated min (reading + exercises) "
        "| solution s | learner notebook s | exercises s | checkpoint tests s | total s |\n"
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        "| 01_first | First app | 25 (10 + 15) | 2.0 | 4.0 | 1.2 | 2.0 | 9.2 |\n"
        "| 02_second | Second \\| more | 35 (15 + 20) | – | – | – | 3.0 | 3.0 |\n"
        "| 03_third | Being written | – | – | – | – | – | – |\n"
        "| **total** | 3 chapters | 60 (25 + 35) | 2.0 | 4.0 | 1.2 | 5.0 | 12.2 |\n"
    )


def test_json_report() -> None:
    report = json.loads(to_json(chapter_timings(DURATIONS, CHAPTER_CARDS)))
    assert report["chapters"][0] == {
        "chapter": "01_first",
        "title": "First app",
        "estimated_minutes": {"total": 25, "reading": 10, "exercises": 15},
        "seconds": {
            "solution": 2.0,
            "learner": 4.0,
            "exercises": 1.25,
            "checkpoint": 2.0,
            "total": 9.25,
        },
    }
    assert report["chapters"][2]["estimated_minutes"] is None
    assert report["totals"] == {
        "chapters": 3,
        "estimated_minutes": {"total": 60, "reading": 25, "exercises": 35},
        "seconds": {
            "solution": 2.0,
            "learner": 4.0,
            "exercises": 1.25,
            "checkpoint": 5.0,
            "total": 12.25,
        },
    }


def test_the_timed_tests_exist_under_these_names() -> None:
    """A renamed invariant test would silently leave its column empty."""
    source = (Path(__file__).parent / "test_invariants.py").read_text()
    for name in (LEARNER_TEST, EXERCISE_TEST, WRONG_ANSWER_TEST, *CHECKPOINT_TESTS):
        assert f"def {name}(" in source, f"test_invariants.py has no {name}"


def test_plugin_writes_the_report_from_the_xdist_controller_even_when_tests_fail(
    tmp_path: Path,
) -> None:
    """Two test files on two workers: only the controller has the durations of both."""
    chapter = CHAPTERS[0].name
    for test in (CHECKPOINT_TEST, LEARNER_TEST):
        (tmp_path / f"test_{test[5:15]}.py").write_text(
            "import os, time, pytest\n"
            f"@pytest.mark.parametrize('chapter', ['{chapter}'])\n"
            f"def {test}(chapter):\n"
            "    assert 'PYTEST_XDIST_WORKER' in os.environ, 'not on an xdist worker'\n"
            "    time.sleep(0.2)\n"
            "    assert False, 'a failing chapter still gets its timings'\n"
        )
    reports = tmp_path / "reports"
    # Plugin autoload off (xdist loaded by name) keeps the run under a second.
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "xdist.plugin", "-n", "2", "--dist=loadfile"]
        + ["-q", "-p", "no:cacheprovider", "-p", "workbook.timing_plugin"]
        + [f"--workbook-timings={reports}"],
        cwd=tmp_path,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
    )
    assert "2 failed" in done.stdout, done.stdout + done.stderr
    report = json.loads((reports / "timings.json").read_text())
    assert [r["chapter"] for r in report["chapters"]] == [c.name for c in CHAPTERS]
    seconds = report["chapters"][0]["seconds"]
    assert seconds["checkpoint"] >= 0.2 and seconds["learner"] >= 0.2, seconds
    assert (reports / "timings.md").read_text().startswith("# Chapter timings")
