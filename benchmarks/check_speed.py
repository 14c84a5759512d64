"""How long `workbook check NN` takes: prints medians for the two cases a learner meets.

- at the start of chapter NN (the workspace holds checkpoint NN-1, so the
  chapter's tests fail): the loop while fixing, fast tests only;
- at its end (checkpoint NN, everything passes): the slow gates run too.

usage: python benchmarks/check_speed.py [CHAPTER] [RUNS]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workbook.chapters import checkpoint_before, resolve


def median_seconds(name: str, checkpoint: Path, runs: int, expect_pass: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "workspace"
        shutil.copytree(checkpoint, workspace)
        command = [sys.executable, "-m", "workbook", "check", name, "--workspace", str(workspace)]
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            seconds.append(time.perf_counter() - started)
            if (done.returncode == 0) != expect_pass:
                sys.exit(f"unexpected result of the check:\n{done.stdout}{done.stderr}")
    return statistics.median(seconds)


def main() -> None:
    chapter = resolve(sys.argv[1] if len(sys.argv) > 1 else "3")
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    start = median_seconds(chapter.name, checkpoint_before(chapter), runs, expect_pass=False)
    end = median_seconds(chapter.name, chapter.checkpoint, runs, expect_pass=True)
    print(
        f"workbook check {chapter.name} (median of {runs} runs): "
        f"{start:.2f} s while its tests fail, {end:.2f} s when all pass (slow gates included)"
    )


if __name__ == "__main__":
    main()
