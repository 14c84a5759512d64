"""Run chapter tests against an app folder in a fresh pytest process, and summarise.

The subprocess starts clean each time (no stale imports of the learner's
app) and with plugin autoload off: importing every installed pytest plugin
(nbval pulls in nbformat and jsonschema) would cost more than the tests.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from . import forkserver, paths
from . import postgres as postgres_server
from .chapters import Chapter, all_chapters, chapter_of
from .errors import WorkbookError

Slow = Literal["own", "all", "none"]
_SLOW_OPTION: dict[Slow, list[str]] = {"all": [], "none": ["--workbook-fast"]}
SYMBOL = {"passed": "pass", "failed": "FAIL", "error": "ERROR", "skipped": "skip"}


@dataclass
class Result:
    nodeid: str
    outcome: str
    message: str

    @property
    def chapter(self) -> int:
        return chapter_of(self.nodeid)

    @property
    def failed(self) -> bool:
        return self.outcome in ("failed", "error")

    @property
    def title(self) -> str:
        """``test_root_says_hello[x]`` reads as ``root says hello [x]``."""
        name = self.nodeid.split("::")[-1].removeprefix("test_")
        name, _, param = name.partition("[")
        return name.replace("_", " ") + (f" [{param}" if param else "")


@dataclass
class CheckReport:
    chapter: Chapter
    app_dir: Path
    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0
    output: str = ""
    # Earlier chapters whose tests were left for later: the chapter's own fail.
    earlier_not_run: bool = False

    def count(self, *outcomes: str) -> int:
        return sum(r.outcome in outcomes for r in self.results)

    @property
    def ok(self) -> bool:
        return bool(self.results) and self.count("failed", "error") == 0

    def table(self) -> str:
        """This chapter test by test; an earlier chapter in one line unless it fails."""
        lines = [f"Check of chapter {self.chapter.number:02d} (and the chapters before it)"]
        for number in sorted({r.chapter for r in self.results}):
            mine = [r for r in self.results if r.chapter == number]
            problems = [r for r in mine if r.outcome != "passed"]
            if number != self.chapter.number and not problems:
                lines.append(
                    f"  {number:02d}  pass   all {len(mine)} tests of chapter {number:02d}"
                )
                continue
            lines += _rows(number, mine if number == self.chapter.number else problems)
        if self.earlier_not_run:
            lines.append(
                f"  01–{self.chapter.number - 1:02d}  not run yet: they run once the tests of "
                f"chapter {self.chapter.number:02d} pass"
            )
        if not self.results:
            lines.append("  no test ran:\n" + self.output.strip())
        passed, failed = self.count("passed"), self.count("failed", "error")
        skipped = self.count("skipped")
        summary = f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else "")
        verdict = "all done!" if self.ok else "keep going: fix the first FAIL above"
        lines.append(f"{summary} in {self.seconds:.1f} s: {verdict}")
        return "\n".join(lines)


def _rows(number: int, results: list[Result]) -> list[str]:
    """A row per test, and its failure line; a failure line that several tests share
    (an app that does not import stops them all) shows once, at its first test."""
    stopped = Counter(_cause(r.message) for r in results if r.failed and r.message)
    shown: set[str] = set()
    rows: list[str] = []
    for result in results:
        cause = _cause(result.message)
        if result.failed and cause in shown:
            continue
        rows.append(f"  {number:02d}  {SYMBOL[result.outcome]:<5}  {result.title}")
        if result.message and result.outcome != "passed":
            times = stopped[cause] if result.failed else 1
            more = f" — {times} tests stopped by it" if times > 1 else ""
            rows.append(f"             -> {result.message}{more}")
            shown.add(cause)
    return rows


def _cause(message: str) -> str:
    """A failure line without the exercise it names: tests of two exercises can share it."""
    return re.sub(r"^exercise [\d., ]+: ", "", message)


def test_files(chapter: Chapter, earlier: bool = True) -> list[Path]:
    """The tests of this chapter and (unless ``earlier`` is false) of every chapter before it."""
    files = [
        c.tests
        for c in all_chapters()
        if c.number == chapter.number or (earlier and c.number < chapter.number)
    ]
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise WorkbookError(f"missing test module {missing[0]}")
    return files


def run_check(
    chapter: Chapter,
    app_dir: Path,
    *,
    slow: Slow = "own",
    postgres: str | None = None,
    earlier: bool = True,
    exercise: str | None = None,
) -> CheckReport:
    """Chapter tests up to ``chapter``; slow gates: the chapter's own, all or none.

    With "own" (a learner's check), the chapter's own fast tests run first,
    alone; only once they pass do the rest run: the earlier chapters' fast
    tests, the gates every chapter keeps (mypy) and the chapter's own slow
    tests (a real server), in two processes side by side. While a learner is
    still fixing things, a check runs one chapter's tests, and stays quick
    however far into the course it is. ``postgres``, a server URL: the tests
    run on a new database there instead of a SQLite file (workbook/postgres.py).
    ``earlier=False``: the chapter's own tests only (the verification's
    per-chapter runs, which leave the earlier chapters to other runs).
    ``exercise`` ("05.2"): only the tests marked as catching its mistakes.
    """
    if not (app_dir / "app").is_dir():
        raise WorkbookError(f"{app_dir} has no app/ package; run the chapter's %%app cells first")
    database: dict[str, str] = {}
    if postgres:
        reason = postgres_server.unreachable(postgres)
        if reason:
            raise WorkbookError(f"{reason}: start PostgreSQL, or run the check without it")
        database[postgres_server.SERVER_VARIABLE] = postgres
    files = test_files(chapter, earlier)
    only = [f"--workbook-exercise={exercise}"] if exercise else []
    if slow != "own":
        return _run_pytest(chapter, app_dir, files, _SLOW_OPTION[slow] + only, database)
    started = time.perf_counter()
    report = _run_pytest(
        chapter, app_dir, files[-1:], ["--workbook-select=own-fast", *only], database
    )
    if not report.ok:
        report.earlier_not_run = len(files) > 1
        return report
    # Side by side: the earlier chapters in two halves, and the chapter's slow tests
    # (mostly waiting on a real server) in a third process. Not under `workbook
    # verify`, whose workers keep every core busy already: there a part's start-up
    # would only add work.
    if os.environ.get("PYTEST_XDIST_WORKER") or (os.cpu_count() or 1) < 2:
        parts = [files]
    else:
        parts = [*_halves(files[:-1]), files[-1:]]
    with ThreadPoolExecutor(len(parts)) as pool:
        rest = pool.map(
            lambda part: _run_pytest(
                chapter, app_dir, part, ["--workbook-select=rest", *only], database
            ),
            [part for part in parts if part],
        )
        for part in rest:
            report.results += part.results
            report.output += part.output
    report.seconds = time.perf_counter() - started
    return report


def _halves(files: list[Path]) -> list[list[Path]]:
    """Two groups of about the same size (a module's bytes stand in for its tests)."""
    groups: list[list[Path]] = [[], []]
    sizes = [0, 0]
    for file in sorted(files, key=lambda f: f.stat().st_size, reverse=True):
        lighter = sizes.index(min(sizes))
        groups[lighter].append(file)
        sizes[lighter] += file.stat().st_size
    return [sorted(group) for group in groups]


def _base_env() -> dict[str, str]:
    """The environment of every check, whatever the caller's."""
    # ipykernel forces colour on; failure lines quoting ruff or mypy must stay plain.
    unwanted = ("FORCE_COLOR", "CLICOLOR_FORCE", "PYTHONDONTWRITEBYTECODE")
    return {
        **{k: v for k, v in os.environ.items() if k not in unwanted},
        "NO_COLOR": "1",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        # Compiled tests (assertion rewriting) and app modules are cached
        # between checks, in one folder outside the workspace.
        "PYTHONPYCACHEPREFIX": str(paths.ROOT / ".pycache"),
        "MYPY_CACHE_DIR": str(mypy_cache()),
    }


def mypy_cache() -> Path:
    """mypy's cache, shared by every check: the libraries' types are read once (8 s),
    then a check types only the app's modules. One per xdist worker in `workbook
    verify`, whose checks run one at a time, so that no two mypy runs write the
    same cache at once. The notebooks' own mypy runs (chapter 02) share it too."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return paths.cache() / (f"mypy-{worker}" if worker else "mypy")


def warm_up() -> None:
    """Start the fork server now, so that the first check is quick too (the notebook's setup)."""
    forkserver.warm_up()


def _run_pytest(
    chapter: Chapter,
    app_dir: Path,
    files: list[Path],
    options: list[str],
    database: dict[str, str],
) -> CheckReport:
    """One fresh pytest process over ``files`` (forked from the warm fork server where it
    runs, workbook/forkserver.py), its results read from the plugin's report."""
    with tempfile.TemporaryDirectory() as tmp:
        report_file = Path(tmp) / "report.json"
        command = [
            sys.executable,
            "-m",
            "pytest",
            *map(str, files),
            "-p",
            "workbook.check_plugin",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:unraisableexception",  # its gc.collect() at exit costs 0.2 s
            # The table shows one line per failure: a full traceback for each would
            # cost up to 0.25 s per test (151 failing tests: 90 s instead of 20).
            "--tb=line",
            f"--workbook-report={report_file}",
            f"--workbook-chapter={chapter.number}",
            *options,
            "-o",
            "addopts=",
            "-q",
            "--no-header",
            "-rN",
        ]
        env = {**_base_env(), "WORKBOOK_APP_DIR": str(app_dir.resolve()), **database}
        started = time.perf_counter()
        output_file = Path(tmp) / "output.txt"
        warm = forkserver.shared()
        if warm is not None:
            warm.run_pytest(command[3:], env, paths.ROOT, output_file)
            output = output_file.read_text(errors="replace")
        else:
            done = subprocess.run(command, cwd=paths.ROOT, env=env, capture_output=True, text=True)
            output = done.stdout + done.stderr
        report = CheckReport(
            chapter,
            app_dir,
            seconds=time.perf_counter() - started,
            output=output,
        )
        if report_file.is_file():
            report.results = [Result(**r) for r in json.loads(report_file.read_text())]
    return report
