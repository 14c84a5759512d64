"""How long `make setup` takes on a fresh clone, beside a bare pytest run measured in the same run.

A fresh clone as a learner gets it: a copy of the files `make setup` reads,
no `.venv`, and empty package caches (uv's and pip's), so nothing that an
earlier install downloaded helps. Prints the seconds of the default route
(uv, fetched into the new venv when it is not on PATH) and, with --pip, of
the fallback (pip alone), each beside the baseline of
benchmarks/check_speed.py (a bare pytest run of one TestClient test).
The course's goal: at most 15 s on the 2-core machine of DEVELOPERS.md.

usage: python benchmarks/setup_speed.py [--pip]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from check_speed import bare_baseline  # type: ignore[import-not-found]  # this folder

from workbook import paths

# What `make setup` reads: the Makefile, the lock file and the package itself.
SOURCES = ("Makefile", "pyproject.toml", "requirements.lock", "README.md", "workbook")


def fresh_setup_seconds(route: str = "uv") -> float:
    """`make setup` in a fresh copy with cold caches; route "pip" hides uv."""
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        clone.mkdir()
        for name in SOURCES:
            source = paths.ROOT / name
            copy = shutil.copytree if source.is_dir() else shutil.copy
            copy(source, clone / name)
        env = {**os.environ, "UV_CACHE_DIR": f"{tmp}/uv-cache", "PIP_NO_CACHE_DIR": "1"}
        # Without uv on PATH, and with its download refused, the Makefile falls back to pip.
        env["PATH"] = os.pathsep.join(
            p for p in env["PATH"].split(os.pathsep) if not (Path(p) / "uv").exists()
        )
        command = ["make", "setup"] + (["UV_VERSION=0+unavailable"] if route == "pip" else [])
        started = time.perf_counter()
        subprocess.run(command, cwd=clone, env=env, check=True, capture_output=True)
        return time.perf_counter() - started


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--pip", action="store_true", help="also time the pip fallback")
    args = options.parse_args()
    baseline = bare_baseline(3)
    print(f"baseline (bare pytest, one TestClient test): {baseline:.2f} s")
    routes = ["uv", "pip"] if args.pip else ["uv"]
    for route in routes:
        seconds = fresh_setup_seconds(route)
        print(f"fresh `make setup` ({route}): {seconds:.1f} s ({seconds / baseline:.1f}x baseline)")
    print("goal: at most 15 s (uv)")


if __name__ == "__main__":
    main()
