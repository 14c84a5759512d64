"""How long the fuzz test takes, beside a bare pytest run measured in the same run.

Runs each test of tests/workbook/test_fuzz_latest_checkpoint.py (SQLite, then
PostgreSQL) in a pytest of its own, as `workbook verify` runs it, and prints its
wall-clock seconds beside the baseline of benchmarks/check_speed.py (a bare
pytest run of one TestClient test), taken before and after: a machine's pace
drifts from one minute to the next. A fuzz test that fails (the app has a defect)
is timed all the same: schemathesis runs every operation either way.

usage: python benchmarks/fuzz_speed.py [RUNS]   (RUNS of the baseline, 5 by default)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from check_speed import bare_baseline  # type: ignore[import-not-found]  # this folder

from workbook import fuzz, paths

MODULE = "tests/workbook/test_fuzz_latest_checkpoint.py"
TESTS = {
    "SQLite": "test_latest_checkpoint_survives_fuzzing_on_sqlite",
    "PostgreSQL": "test_latest_checkpoint_survives_fuzzing_on_postgresql",
}


def timed(test: str) -> tuple[float, str]:
    """Seconds of one pytest run of the test, and how it ended (passed, failed, skipped)."""
    command = [sys.executable, "-m", "pytest", f"{MODULE}::{test}", "-q", "-rs"]
    # As in verify, without nbval and without schemathesis's unused pytest plugin (pyproject.toml).
    command += ["-p", "no:cacheprovider", "-o", "addopts=", "-p", "no:schemathesis"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=paths.ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    outcome = next((word for word in ("passed", "failed", "skipped") if word in last), "error")
    return seconds, outcome


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    baselines = [bare_baseline(runs)]
    results = {database: timed(test) for database, test in TESTS.items()}
    baselines.append(bare_baseline(runs))
    baseline = statistics.mean(baselines)
    shown = ", ".join(f"{b:.2f} s" for b in baselines)
    print(f"baseline, bare pytest of one TestClient test: {baseline:.2f} s ({shown})")
    print(f"fuzz test, {fuzz.MAX_EXAMPLES} examples per operation and phase:")
    for database, (seconds, outcome) in results.items():
        ratio = f"{seconds / baseline:4.0f}x the baseline" if outcome != "skipped" else ""
        print(f"  {database:<11} {seconds:6.1f} s  {ratio}  ({outcome})")


if __name__ == "__main__":
    main()
