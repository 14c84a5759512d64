"""How long a learner waits for a check, beside a bare pytest run measured in the same run.

Machines differ from one day to the next, so every figure is printed with its
ratio to a baseline taken here and now: a bare `pytest` run of one TestClient
test (chapter 01's `GET /` test on checkpoint 01), a new interpreter each time.

For chapter NN it measures (medians):

- in a notebook, `check(NN)`: the kernel's fork server forks each run
  (workbook/forkserver.py);
- on the command line, `workbook check NN` in a terminal of its own: a new
  process, its fork server started too;

each at the start of the chapter (the workspace holds checkpoint NN-1, so the
chapter's tests fail: the loop while fixing) and at its end (checkpoint NN,
everything passes, slow gates included). Goals of the course: while fixing at
most 1.2x the baseline (chapter 14) and 1.5x (chapter 28); once all pass, 3x.

usage: python benchmarks/check_speed.py [CHAPTER] [RUNS]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from workbook import forkserver, paths
from workbook.chapters import Chapter, all_chapters, checkpoint_before, resolve
from workbook.check import run_check, warm_up


def median(runs: int, once: Callable[[], bool], expect_pass: bool) -> float:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        passed = once()
        seconds.append(time.perf_counter() - started)
        if passed != expect_pass:
            sys.exit(f"unexpected result: the check {'failed' if expect_pass else 'passed'}")
    return statistics.median(seconds)


def bare_baseline(runs: int) -> float:
    first = all_chapters()[0]
    command = [sys.executable, "-m", "pytest", str(first.tests), "-k", "root_says_hello"]
    command += ["-q", "-p", "no:cacheprovider", "-o", "addopts="]
    # Plugin autoload off, as a check runs: the strictest baseline.
    env = {
        **os.environ,
        "WORKBOOK_APP_DIR": str(first.checkpoint),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }

    def once() -> bool:
        return subprocess.run(command, cwd=paths.ROOT, env=env, capture_output=True).returncode == 0

    return median(runs, once, expect_pass=True)


def check_figures(chapter: Chapter, runs: int) -> dict[str, float]:
    figures = {}
    warm_up()
    time.sleep(2)  # a kernel's worker preloads while the learner reads the first cells
    for moment, state, expect_pass in (
        ("while fixing", checkpoint_before(chapter), False),
        ("once all pass", chapter.checkpoint, True),
    ):
        with tempfile.TemporaryDirectory() as tmp:
            workspace = shutil.copytree(state, Path(tmp) / "workspace")
            cli = [sys.executable, "-m", "workbook", "check", chapter.name]
            cli += ["--workspace", str(workspace)]

            def notebook(workspace: Path = workspace) -> bool:
                return run_check(chapter, workspace).ok

            def command_line(cli: list[str] = cli) -> bool:
                # A terminal of its own: no fork server to inherit from this process.
                alone = {k: v for k, v in os.environ.items() if k != forkserver.ADDRESS}
                return subprocess.run(cli, capture_output=True, env=alone).returncode == 0

            notebook()  # the first check of a workspace fills the caches (mypy, bytecode)
            figures[f"check({chapter.number}) in a notebook, {moment}"] = median(
                runs, notebook, expect_pass
            )
            figures[f"workbook check {chapter.number:02d}, {moment}"] = median(
                runs, command_line, expect_pass
            )
    return figures


def main() -> None:
    chapter = resolve(sys.argv[1] if len(sys.argv) > 1 else "14")
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    # The baseline before and after the checks: the machine's pace drifts within a run.
    before = bare_baseline(runs)
    figures = check_figures(chapter, runs)
    after = bare_baseline(runs)
    baseline = (before + after) / 2
    print(
        f"baseline, bare pytest of one TestClient test: {baseline:.2f} s "
        f"(medians of {runs}: {before:.2f} s before the checks, {after:.2f} s after)"
    )
    for name, seconds in figures.items():
        print(f"  {name:<42} {seconds:5.2f} s  {seconds / baseline:4.2f}x")


if __name__ == "__main__":
    main()
