"""How long each chapter's work takes, from the durations of a test run: the report.

Instructors plan a workshop day from it: the learner's estimated minutes
(from the chapter's title cell) next to the seconds CI spends on the
chapter. Pure functions from durations to text; workbook/timing_plugin.py
collects the durations during ``workbook verify`` and writes the files.

A chapter's seconds are four kinds of test items, each summed over its
phases (setup, call, teardown), so a kernel start or a workspace copy counts:

- ``solution``: every item of ``solutions/NN_slug.ipynb`` under nbval (its
  cells, its check cell, and the comparison of its workspace with the checkpoint);
- ``learner``: the invariant test that runs the learner notebook;
- ``exercises``: the invariant tests that leave one exercise undone each, and
  those that write one wrong answer each;
- ``checkpoint``: the invariant tests of the checkpoint itself (it serves
  under uvicorn; from chapter 13 on, its chapter's tests on PostgreSQL).

The runs of every chapter's tests at the latest checkpoint are the course's,
not a chapter's: they are left out of the rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .titlecell import Estimate

LEARNER_TEST = "test_learner_notebook_runs_and_its_check_reports_the_exercises"
EXERCISE_TEST = "test_each_exercise_left_undone_fails_the_chapter_tests"
WRONG_ANSWER_TEST = "test_each_wrong_answer_fails_with_a_line_that_names_its_exercise"
CHECKPOINT_TESTS = (
    "test_checkpoint_serves_openapi_and_offline_docs_under_uvicorn",
    "test_checkpoint_passes_its_own_chapters_tests_on_postgresql",
)
KINDS = ("solution", "learner", "exercises", "checkpoint")
_NAME = r"(\d\d)_[a-z0-9_]+"
_PATTERNS = {
    "solution": re.compile(rf"(?:^|/)solutions/{_NAME}\.ipynb::"),
    "learner": re.compile(rf"::{LEARNER_TEST}\[{_NAME}\]$"),
    "exercises": re.compile(
        rf"::(?:{EXERCISE_TEST}|{WRONG_ANSWER_TEST})\[(\d\d)\.\d+(?:-[\w-]+)?\]$"
    ),
    "checkpoint": re.compile(rf"::(?:{'|'.join(CHECKPOINT_TESTS)})\[{_NAME}\]$"),
}


@dataclass(frozen=True)
class ChapterTiming:
    name: str
    title: str
    estimate: Estimate | None
    seconds: dict[str, float | None]  # by kind; None when no such test ran

    @property
    def total(self) -> float | None:
        ran = [s for s in self.seconds.values() if s is not None]
        return sum(ran) if ran else None


def classify(nodeid: str) -> tuple[str, str] | None:
    """``(chapter number "NN", kind)`` of a test item that counts for a chapter, else None."""
    for kind, pattern in _PATTERNS.items():
        match = pattern.search(nodeid)
        if match:
            return match[1], kind
    return None


def chapter_timings(
    durations: Mapping[str, float], chapters: Sequence[tuple[str, str, Estimate | None]]
) -> list[ChapterTiming]:
    """One row per chapter ``(name, title, estimate)``, from seconds by test nodeid."""
    found: dict[tuple[str, str], float] = {}
    for nodeid, seconds in durations.items():
        key = classify(nodeid)
        if key:
            found[key] = found.get(key, 0.0) + seconds
    return [
        ChapterTiming(name, title, estimate, {kind: found.get((name[:2], kind)) for kind in KINDS})
        for name, title, estimate in chapters
    ]


def _sum(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def total_estimate(rows: Sequence[ChapterTiming]) -> Estimate | None:
    """The estimates added up; a part is left out unless every estimate gives it."""
    estimates = [row.estimate for row in rows if row.estimate is not None]
    if not estimates:
        return None
    reading = [e.reading for e in estimates]
    exercises = [e.exercises for e in estimates]
    return Estimate(
        sum(e.total for e in estimates),
        None if None in reading else sum(r for r in reading if r is not None),
        None if None in exercises else sum(x for x in exercises if x is not None),
    )


def _kind_totals(rows: Sequence[ChapterTiming]) -> dict[str, float | None]:
    totals = {kind: _sum([row.seconds[kind] for row in rows]) for kind in KINDS}
    return totals | {"total": _sum([row.total for row in rows])}


def _estimate_json(estimate: Estimate | None) -> dict[str, int | None] | None:
    if estimate is None:
        return None
    return {"total": estimate.total, "reading": estimate.reading, "exercises": estimate.exercises}


def _seconds_json(seconds: Mapping[str, float | None]) -> dict[str, float | None]:
    return {kind: None if s is None else round(s, 2) for kind, s in seconds.items()}


def to_json(rows: Sequence[ChapterTiming]) -> str:
    chapters = [
        {
            "chapter": row.name,
            "title": row.title,
            "estimated_minutes": _estimate_json(row.estimate),
            "seconds": _seconds_json(row.seconds | {"total": row.total}),
        }
        for row in rows
    ]
    totals = {
        "chapters": len(rows),
        "estimated_minutes": _estimate_json(total_estimate(rows)),
        "seconds": _seconds_json(_kind_totals(rows)),
    }
    return json.dumps({"chapters": chapters, "totals": totals}, indent=2) + "\n"


def _minutes(estimate: Estimate | None) -> str:
    if estimate is None:
        return "–"
    if estimate.reading is None or estimate.exercises is None:
        return str(estimate.total)
    return f"{estimate.total} ({estimate.reading} + {estimate.exercises})"


def _seconds(seconds: Mapping[str, float | None]) -> str:
    return " | ".join("–" if s is None else f"{s:.1f}" for s in seconds.values())


def to_markdown(rows: Sequence[ChapterTiming]) -> str:
    lines = [
        "# Chapter timings",
        "",
        "Estimated minutes come from each chapter's title cell; seconds are from the last "
        "`workbook verify` (– where the test did not run).",
        "",
        "| chapter | title | estimated min (reading + exercises) "
        "| solution s | learner notebook s | exercises s | checkpoint tests s | total s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        title = row.title.replace("|", r"\|")
        seconds = _seconds(row.seconds | {"total": row.total})
        lines.append(f"| {row.name} | {title} | {_minutes(row.estimate)} | {seconds} |")
    totals = f"{_minutes(total_estimate(rows))} | {_seconds(_kind_totals(rows))}"
    lines.append(f"| **total** | {len(rows)} chapters | {totals} |")
    return "\n".join(lines) + "\n"
