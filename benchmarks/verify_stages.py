"""How long `workbook verify` takes, stage by stage, and a projection for 28 chapters.

Runs `workbook verify` (or, with --last, reads the files the last run wrote in
reports/), then prints:

- the seconds of each step (build check, lint, format, types, test suite);
- inside the test suite, the seconds of each invariant's tests (summed over
  the tests, as if on one core), per chapter where they are per chapter;
- a projection for 28 chapters: each per-chapter stage fitted as a line
  a + b·N over the chapters that exist (b > 0 where a chapter's work grows
  with the chapters before it, as the check at the end of each solution does);
  the runs of one exercise or one wrong answer each fitted per run, times the
  mean number per chapter;
  the runs at the latest checkpoint and the tooling tests scaled with the
  number of chapters, and the wall-clock time from the parallel efficiency
  of this run;
- with --setup, also a fresh `make setup` (benchmarks/setup_speed.py), timed
  in the same run;
- beside them, the baseline of benchmarks/check_speed.py (a bare pytest run
  of one TestClient test) measured before and after, since a machine's pace
  drifts from one day (and one minute) to the next.

usage: python benchmarks/verify_stages.py [--last] [--setup] [--chapters 28]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable

from check_speed import bare_baseline  # type: ignore[import-not-found]  # this folder
from setup_speed import fresh_setup_seconds  # type: ignore[import-not-found]  # this folder

from workbook import paths
from workbook.timings import CHECKPOINT_TESTS, EXERCISE_TEST, LEARNER_TEST, WRONG_ANSWER_TEST

INVARIANTS = "tests/workbook/test_invariants.py::"
LATEST_SQLITE = "test_latest_checkpoint_passes_every_test_of_every_chapter"
LATEST_POSTGRES = LATEST_SQLITE + "_on_postgresql"
FUZZ = "tests/workbook/test_fuzz_latest_checkpoint.py::test_latest_checkpoint_survives_fuzzing_on_"

# (stage, how to find the chapter "NN" of a test id, or None for a whole-course stage)
Classifier = Callable[[str], str | None]


def _param(pattern: str) -> Classifier:
    compiled = re.compile(pattern)

    def chapter(nodeid: str) -> str | None:
        match = compiled.search(nodeid)
        return match[1] if match else None

    return chapter


PER_CHAPTER: dict[str, Classifier] = {
    "solutions under nbval (2; 5 at every checkpoint)": _param(r"^solutions/(\d\d)_"),
    "learner notebooks (3)": _param(rf"::{LEARNER_TEST}\[(\d\d)_"),
    "each exercise left undone (4)": _param(rf"::{EXERCISE_TEST}\[(\d\d)\."),
    "each wrong answer (8)": _param(rf"::{WRONG_ANSWER_TEST}\[(\d\d)\."),
    "checkpoint under uvicorn (6)": _param(rf"::{CHECKPOINT_TESTS[0]}\[(\d\d)_"),
    "own chapter on PostgreSQL (5)": _param(rf"::{CHECKPOINT_TESTS[1]}\[(\d\d)_"),
}
WHOLE_COURSE = {
    "latest checkpoint, every test, SQLite (5)": INVARIANTS + LATEST_SQLITE,
    "latest checkpoint, every test, PostgreSQL (5)": INVARIANTS + LATEST_POSTGRES,
    # It fuzzes every operation of the app: it grows with the operations the chapters add.
    "latest checkpoint fuzzed, SQLite": FUZZ + "sqlite",
    "latest checkpoint fuzzed, PostgreSQL": FUZZ + "postgresql",
}
TOOLING = "tooling tests"


# Stages of one run per exercise or wrong answer: projected per run, since a chapter
# has about as many exercises as any other (not more as the course goes on).
PER_RUN = ("each exercise left undone (4)", "each wrong answer (8)")
runs: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))


def group(durations: dict[str, float]) -> tuple[dict[str, dict[int, float]], dict[str, float]]:
    """Seconds per stage and chapter, and seconds of the whole-course stages."""
    per_chapter: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    whole: dict[str, float] = defaultdict(float)
    for nodeid, seconds in durations.items():
        for stage, classify in PER_CHAPTER.items():
            number = classify(nodeid)
            if number:
                per_chapter[stage][int(number)] += seconds
                runs[stage][int(number)] += 1
                break
        else:
            stage = next((s for s, prefix in WHOLE_COURSE.items() if nodeid == prefix), TOOLING)
            whole[stage] += seconds
    return per_chapter, whole


def line_fit(points: dict[int, float]) -> tuple[float, float]:
    """a, b of seconds = a + b·N, least squares (b = 0 with one point)."""
    xs, ys = list(points), list(points.values())
    if len(xs) < 2:
        return (ys[0] if ys else 0.0), 0.0
    slope, intercept = statistics.linear_regression(xs, ys)
    return intercept, slope


def projected(points: dict[int, float], first: int, last: int) -> float:
    a, b = line_fit(points)
    return sum(max(a + b * n, 0.0) for n in range(first, last + 1))


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--last", action="store_true", help="read reports/ of the last verify")
    options.add_argument("--setup", action="store_true", help="also time a fresh install")
    options.add_argument("--chapters", type=int, default=28, help="project to this many")
    args = options.parse_args()
    reports = paths.ROOT / "reports"
    baselines = [bare_baseline(5)]
    setup = fresh_setup_seconds() if args.setup else None
    if not args.last:
        done = subprocess.run([sys.executable, "-m", "workbook", "verify"], cwd=paths.ROOT)
        if done.returncode != 0:
            sys.exit("verify failed: the figures below would not mean much")
        baselines.append(bare_baseline(5))
    baseline = statistics.mean(baselines)
    steps: dict[str, float] = json.loads((reports / "stages.json").read_text())
    record = json.loads((reports / "durations.json").read_text())
    per_chapter, whole = group(record["durations"])
    chapters = max((n for stage in per_chapter.values() for n in stage), default=0)
    target = args.chapters
    print(f"workbook verify on {chapters} chapters, {record['workers']} workers")
    shown = ", ".join(f"{b:.2f} s" for b in baselines)
    print(f"baseline, bare pytest of one TestClient test: {baseline:.2f} s ({shown})")
    print("\nsteps (wall-clock s):")
    for title, seconds in steps.items():
        print(f"  {title:<28} {seconds:7.1f}")
    print(f"  {'total':<28} {sum(steps.values()):7.1f}")

    print(f"\ntest suite by stage (s of test time; projected for {target} chapters):")
    serial_now = serial_then = 0.0
    for stage in PER_CHAPTER:
        points = dict(sorted(per_chapter.get(stage, {}).items()))
        if not points:
            continue
        now = sum(points.values())
        first = min(points)
        # The PostgreSQL own-chapter runs stop before the latest checkpoint.
        last = target - 1 if stage.startswith("own chapter") else target
        if stage in PER_RUN:
            count = runs[stage]
            per_run = {n: seconds / count[n] for n, seconds in points.items()}
            each = statistics.mean(count.values())
            then = each * projected(per_run, first, last)
            a, b = line_fit(per_run)
            fit = f"{each:4.1f} runs of {a:4.2f} + {b:4.3f}·N"
        else:
            then = projected(points, first, last)
            a, b = line_fit(points)
            fit = f"per chapter {a:5.1f} + {b:4.2f}·N"
        serial_now, serial_then = serial_now + now, serial_then + then
        print(f"  {stage:<48} {now:7.1f}  {fit:>25}  -> {then:7.1f}")
    for stage in (*WHOLE_COURSE, TOOLING):
        now = whole.get(stage, 0.0)
        then = now * target / max(chapters, 1)  # each runs every chapter's tests once
        serial_now, serial_then = serial_now + now, serial_then + then
        print(f"  {stage:<48} {now:7.1f}  {'scales with the chapters':>25}  -> {then:7.1f}")
    wall = record["wall_seconds"]
    efficiency = serial_now / wall if wall else 1.0
    print(f"  {'all tests (one core)':<48} {serial_now:7.1f}  {'':>25}  -> {serial_then:7.1f}")
    print(f"  {'test suite, wall-clock':<48} {wall:7.1f}  {efficiency:.2f} s of tests per second")

    other_steps = sum(s for title, s in steps.items() if title != "test suite")
    build_check = steps.get("generated files in sync", 0.0)
    steps_then = other_steps + build_check * (target / max(chapters, 1) - 1)
    wall_then = serial_then / efficiency + steps_then
    total_now = sum(steps.values())
    print(
        f"\nverify now: {total_now / 60:.1f} min ({total_now / baseline:.0f}x the baseline); "
        f"projected for {target} chapters: {wall_then / 60:.1f} min "
        f"({wall_then / baseline:.0f}x)"
    )
    if setup is not None:
        then = wall_then + setup
        print(f"with a fresh install ({setup:.0f} s): {then / 60:.1f} min ({then / baseline:.0f}x)")
    else:
        print("(add the install: --setup measures it)")


if __name__ == "__main__":
    main()
