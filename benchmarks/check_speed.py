"""How long `workbook check NN` takes on chapter NN's checkpoint: prints the median.

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

from workbook.chapters import resolve


def main() -> None:
    chapter = resolve(sys.argv[1] if len(sys.argv) > 1 else "3")
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "workspace"
        shutil.copytree(chapter.checkpoint, workspace)
        command = [
            sys.executable,
            "-m",
            "workbook",
            "check",
            chapter.name,
            "--workspace",
            str(workspace),
        ]
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            seconds.append(time.perf_counter() - started)
            if done.returncode != 0:
                sys.exit(f"the check failed:\n{done.stdout}{done.stderr}")
    print(
        f"workbook check {chapter.name}: median {statistics.median(seconds):.2f} s "
        f"over {runs} runs (min {min(seconds):.2f} s, max {max(seconds):.2f} s)"
    )


if __name__ == "__main__":
    main()
