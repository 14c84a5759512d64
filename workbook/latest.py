"""The freshness run: `workbook verify --latest`.

An instructor wants to learn before the workshop, not in it, that a new
release broke a chapter (the guide's own code was broken so: passlib by
bcrypt 5, `AsyncClient(app=...)` by httpx). This builds a throwaway virtual
environment in a temporary folder with the newest release of every direct
dependency (the pins of pyproject.toml, unpinned), runs the whole
verification there, and writes reports/latest.md: which releases differ
from the pins, each step's result, and per chapter the tests that broke,
with the changed packages that each failure's report names.

The environment: `python -m venv`, then uv (the one on PATH, or
`pip install uv` into the new environment) installs `--upgrade` every direct
dependency; pip does it when uv cannot be had. The workbook itself is
installed editable without dependencies, so the run tests this clone.

Building the report is pure (``build_report``, ``to_markdown``) and tested
on its own; ``run`` is the part that takes minutes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import paths
from .errors import WorkbookError

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]+\])?==(\S+)$")
# A chapter in a test id: test_05_routing.py, solutions/05_routing.ipynb, [05_routing], [05.2-...]
_CHAPTER = re.compile(r"(?<![\d.])(\d\d)(?=_[a-z]|\.\d)")
_STEP = re.compile(r"^\[(\d+)/(\d+)\] (.+?): ")
# Tests that compare the environment with the pins: they fail here by design.
PIN_TESTS = ("tests/workbook/test_doctor.py::test_every_check_passes_here",)


def normalized(name: str) -> str:
    """A distribution name as the package index compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Pin:
    name: str  # as written: "uvicorn"
    extras: str  # "[standard]" or ""
    version: str

    @property
    def unpinned(self) -> str:
        return f"{self.name}{self.extras}"


def pins(pyproject: str) -> list[Pin]:
    """The direct dependencies of pyproject.toml, each pinned with ==."""
    block = pyproject.split("dependencies = [", 1)[1].split("]\n", 1)[0]
    found = []
    for requirement in re.findall(r'"([^"]+)"', block):
        match = _PIN.match(requirement)
        if not match:
            raise WorkbookError(f"pyproject.toml: {requirement!r} is not pinned with ==")
        found.append(Pin(match[1], match[2] or "", match[3]))
    return found


@dataclass(frozen=True)
class Change:
    package: str
    old: str | None  # None: not installed before
    new: str | None  # None: gone

    def __str__(self) -> str:
        return f"{self.package} {self.old or '(none)'} -> {self.new or '(none)'}"


def changes(
    direct: Sequence[Pin], before: Mapping[str, str], after: Mapping[str, str]
) -> tuple[list[Change], list[Change]]:
    """(direct dependencies whose release differs from the pin, other packages that differ
    from the pinned environment ``before``); versions by distribution name."""
    after_n = {normalized(k): v for k, v in after.items()}
    before_n = {normalized(k): v for k, v in before.items()}
    names = {normalized(pin.name) for pin in direct}
    moved = [
        Change(pin.name, pin.version, after_n.get(normalized(pin.name)))
        for pin in direct
        if after_n.get(normalized(pin.name)) != pin.version
    ]
    others = [
        Change(name, before_n.get(name), after_n.get(name))
        for name in sorted(before_n.keys() | after_n.keys())
        if name not in names
        and before_n.get(name) != after_n.get(name)
        and name not in ("fastapi-mastery-workbook", "uv", "pip", "setuptools")
    ]
    return moved, others


@dataclass(frozen=True)
class Failure:
    nodeid: str
    outcome: str  # failed or error
    summary: str  # the line that says what broke
    suspects: tuple[str, ...]  # the changed packages its report names


@dataclass
class ChapterResult:
    name: str  # "05_routing", or "tooling" for tests of no chapter
    passed: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    title: str
    status: int
    seconds: float
    excerpt: str = ""  # the start of its output, when it failed


@dataclass(frozen=True)
class Report:
    when: str
    python: str
    moved: list[Change]
    others: list[Change]
    steps: list[Step]
    chapters: list[ChapterResult]
    left_out: list[str] = field(default_factory=list)  # deselected: they check the pins

    @property
    def ok(self) -> bool:
        return all(step.status == 0 for step in self.steps) and not any(
            c.failures for c in self.chapters
        )


def chapter_of(nodeid: str, names: Mapping[str, str]) -> str:
    """The chapter a test belongs to ("05_routing"), from the first chapter its id names."""
    match = _CHAPTER.search(nodeid)
    return names.get(match[1], "tooling") if match else "tooling"


def summary_line(text: str) -> str:
    """What broke, in one line: pytest's first `E` line, else the report's last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    line = errors[0] if errors else (lines[-1] if lines else "(no report)")
    return line if len(line) <= 160 else line[:157] + "..."


def suspects(text: str, moved: Sequence[Change], modules: Mapping[str, Sequence[str]]) -> list[str]:
    """The changed packages a failure's report names: a module of theirs in a traceback
    (site-packages/jose/...), an import of it, or the package's own name."""
    named = []
    for change in moved:
        words = {normalized(change.package), *modules.get(normalized(change.package), ())}
        if any(re.search(rf"(?<![\w.-]){re.escape(w)}(?![\w-])", text, re.I) for w in words):
            named.append(str(change))
    return named


def build_report(
    *,
    when: str,
    python: str,
    direct: Sequence[Pin],
    before: Mapping[str, str],
    after: Mapping[str, str],
    modules: Mapping[str, Sequence[str]],
    steps: Sequence[Step],
    outcomes: Mapping[str, Mapping[str, str]],
    chapter_names: Sequence[str],
    left_out: Sequence[str] = (),
) -> Report:
    """The whole report from what the run left: versions, steps, each test's outcome."""
    moved, others = changes(direct, before, after)
    names = {name[:2]: name for name in chapter_names}
    results = {name: ChapterResult(name) for name in [*chapter_names, "tooling"]}
    modules_n = {normalized(k): v for k, v in modules.items()}
    for nodeid, record in sorted(outcomes.items()):
        result = results[chapter_of(nodeid, names)]
        outcome, text = record["outcome"], record.get("text", "")
        if outcome == "passed":
            result.passed += 1
        elif outcome == "skipped":
            result.skipped += 1
        else:
            modules_n = {normalized(k): v for k, v in modules.items()}
            result.failures.append(
                Failure(
                    nodeid, outcome, summary_line(text), tuple(suspects(text, moved, modules_n))
                )
            )
    chapters = [r for r in results.values() if r.passed or r.skipped or r.failures]
    return Report(when, python, moved, others, list(steps), chapters, list(left_out))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    """The report as a page an instructor reads on its own."""
    broken = [c for c in report.chapters if c.failures]
    failed_steps = [s for s in report.steps if s.status != 0]
    if report.ok:
        verdict = "**Everything passes on the newest releases.**"
    else:
        parts = []
        if broken:
            parts.append(f"{len(broken)} of {len(report.chapters)} parts broke")
        if failed_steps:
            parts.append("failed steps: " + ", ".join(s.title for s in failed_steps))
        verdict = f"**Broken on the newest releases**: {'; '.join(parts)}."
    lines = [
        "# Freshness run: the workbook on the newest releases",
        "",
        f"`workbook verify --latest` on {report.when}, Python {report.python}: a throwaway",
        "environment with the newest release of every direct dependency, and the whole",
        "verification run in it. The pins in `pyproject.toml` are unchanged.",
        "",
        verdict,
        "",
        "## Releases newer than the pins",
        "",
    ]
    if report.left_out:
        left_out = ", ".join(f"`{test}`" for test in report.left_out)
        lines[6:6] = [f"Left out, as they compare the environment with the pins: {left_out}.", ""]
    if report.moved:
        lines += ["| package | pinned | newest |", "| --- | --- | --- |"]
        lines += [f"| {c.package} | {c.old} | {c.new or '(not installed)'} |" for c in report.moved]
    else:
        lines.append("Every pin is the newest release.")
    if report.others:
        lines += ["", "Other packages that differ from the pinned environment: "]
        lines[-1] += ", ".join(str(c) for c in report.others) + "."
    lines += ["", "## Steps", "", "| step | result | seconds |", "| --- | --- | --- |"]
    for step in report.steps:
        result = "ok" if step.status == 0 else f"FAILED (exit {step.status})"
        lines.append(f"| {step.title} | {result} | {step.seconds:.0f} |")
    for step in failed_steps:
        if step.excerpt and step.title != "test suite":
            lines += ["", f"What `{step.title}` said:", "", "```text", step.excerpt, "```"]
    lines += [
        "",
        "## Per chapter",
        "",
        "| chapter | passed | failed | skipped | releases its failures name |",
        "| --- | --- | --- | --- | --- |",
    ]
    for chapter in report.chapters:
        named = sorted({s for f in chapter.failures for s in f.suspects})
        lines.append(
            f"| {chapter.name} | {chapter.passed} | {len(chapter.failures)} | "
            f"{chapter.skipped} | {_cell(', '.join(named))} |"
        )
    for chapter in broken:
        lines += [
            "",
            f"### {chapter.name}: {len(chapter.failures)} broke",
            "",
            "| test | what broke | releases it names |",
            "| --- | --- | --- |",
        ]
        for failure in chapter.failures:
            what = failure.summary if failure.outcome == "failed" else f"(error) {failure.summary}"
            names_cell = _cell(", ".join(failure.suspects))
            lines.append(f"| `{_cell(failure.nodeid)}` | {_cell(what)} | {names_cell} |")
    if broken:
        lines += [
            "",
            "A release named beside a failure is a suspect, not a proof: pin it back in the",
            "throwaway environment to confirm. Each failure's full report is in",
            "latest-outcomes.json beside this page.",
        ]
    return "\n".join(lines) + "\n"


def step_excerpts(log: str, lines_kept: int = 15) -> dict[str, str]:
    """The start of each step's output in a verify log, by step title."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in log.splitlines():
        match = _STEP.match(line)
        if match:
            current = found.setdefault(match[3], [])
            continue
        if current is not None and len(current) < lines_kept:
            current.append(line)
    return {title: "\n".join(kept).strip() for title, kept in found.items()}


# --- the run itself -----------------------------------------------------------------

_VERSIONS = (
    "import importlib.metadata as m, json; "
    "print(json.dumps({'versions': {d.metadata['Name']: d.version for d in m.distributions()}, "
    "'modules': {k: v for k, v in m.packages_distributions().items()}}))"
)


def _versions(python: str | Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(version by distribution, modules by distribution) of an interpreter's environment."""
    done = subprocess.run([str(python), "-c", _VERSIONS], capture_output=True, text=True)
    data = json.loads(done.stdout)
    modules: dict[str, list[str]] = {}
    for module, dists in data["modules"].items():
        for dist in dists:
            modules.setdefault(normalized(dist), []).append(module)
    return dict(data["versions"]), modules


def _run(command: list[str], log: Path) -> None:
    with log.open("a") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        status = subprocess.call(command, stdout=out, stderr=subprocess.STDOUT)
    if status != 0:
        raise WorkbookError(f"`{' '.join(command[:4])} ...` failed (exit {status}); see {log}")


def build_environment(folder: Path, direct: Sequence[Pin], log: Path) -> Path:
    """A new venv in ``folder`` with the newest release of each direct dependency."""
    _run([sys.executable, "-m", "venv", str(folder)], log)
    python = folder / "bin" / "python"
    newest = [pin.unpinned for pin in direct]
    uv = shutil.which("uv")
    if uv is None:
        try:
            _run([str(python), "-m", "pip", "install", "-q", "uv"], log)
            uv = str(folder / "bin" / "uv")
        except WorkbookError:
            uv = None  # pip, slower, does the same
    if uv:
        install = [uv, "pip", "install", "--python", str(python)]
    else:
        install = [str(python), "-m", "pip", "install", "-q"]
    _run([*install, "--upgrade", *newest], log)
    _run([*install, "--no-deps", "-e", str(paths.ROOT)], log)
    return python


def run(jobs: str, reports: Path) -> int:
    """Build the environment, run `workbook verify --keep-going` in it, write the report."""
    reports.mkdir(parents=True, exist_ok=True)
    log = reports / "latest.log"
    log.write_text("")
    direct = pins((paths.ROOT / "pyproject.toml").read_text())
    before, _ = _versions(sys.executable)
    with tempfile.TemporaryDirectory(prefix="workbook-latest-") as tmp:
        print(f"building a throwaway environment with the newest releases in {tmp} ...", flush=True)
        python = build_environment(Path(tmp) / "venv", direct, log)
        after, modules = _versions(python)
        inner = Path(tmp) / "reports"
        env = {
            **os.environ,
            "VIRTUAL_ENV": str(Path(tmp) / "venv"),
            "PATH": f"{Path(tmp) / 'venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            # Caches of their own: other releases of mypy must not rewrite the pinned ones.
            "WORKBOOK_CACHE": str(Path(tmp) / "cache"),
            "MYPY_CACHE_DIR": str(Path(tmp) / "mypy"),
        }
        env.pop("WORKBOOK_FORKSERVER", None)  # never the pinned environment's warm worker
        command = [str(python), "-m", "workbook", "verify", "--keep-going", "--reports", str(inner)]
        command += ["-j", jobs, "--", *(f"--deselect={test}" for test in PIN_TESTS)]
        print(f"running `{' '.join(command[1:])}` there (minutes) ...", flush=True)
        with log.open("a") as out:
            subprocess.call(
                command,
                cwd=paths.ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        steps_file, outcomes_file = inner / "steps.json", inner / "outcomes.json"
        excerpts = step_excerpts(log.read_text(errors="replace"))
        steps = [
            Step(s["title"], s["status"], s["seconds"], excerpts.get(s["title"], ""))
            for s in (json.loads(steps_file.read_text()) if steps_file.is_file() else [])
        ]
        outcomes = json.loads(outcomes_file.read_text()) if outcomes_file.is_file() else {}
        if outcomes_file.is_file():
            shutil.copy(outcomes_file, reports / "latest-outcomes.json")
    from .chapters import all_chapters

    report = build_report(
        when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        python=".".join(map(str, sys.version_info[:3])),
        direct=direct,
        before=before,
        after=after,
        modules=modules,
        steps=steps,
        outcomes=outcomes,
        chapter_names=[c.name for c in all_chapters()],
        left_out=PIN_TESTS,
    )
    (reports / "latest.md").write_text(to_markdown(report), encoding="utf-8")
    print(to_markdown(report))
    print(f"(in {reports / 'latest.md'}; the run's output in {log})")
    return 0 if report.ok else 1
