"""Chapter 24: the app's own test suite, in the workspace's tests/, run as a learner runs it.

The check runs `pytest tests` in the workspace in a process of its own, on a database of
its own, and asks three things of the suite: it passes on the app; it runs at least 80 % of
the lines of the app's modules (those this chapter's app has and imports, coverage's count);
and it fails on each of three copies of the app with one behaviour broken (a mutant): a
suite that asserts nothing passes on all of them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest

from workbook import paths, postgres

MIN_COVERAGE = 80
SUITE_TIMEOUT = 300

# name: (the exercise whose test catches it, or None when a given test does; what breaks;
#        the file; its line in the app; the same line in the mutant)
MUTANTS = {
    "signup_answers_200": (
        None,
        "POST /api/v1/users answers 200 instead of 201",
        "app/api/v1/routes/users.py",
        '@router.post("", status_code=status.HTTP_201_CREATED, responses=',
        '@router.post("", status_code=status.HTTP_200_OK, responses=',
    ),
    "anyone_owns_every_item": (
        "24.2",
        "ensure_owner lets any user change or delete another user's item",
        "app/services/items.py",
        "    if item.owner_id is None or item.owner_id != user.id:",
        "    if item.owner_id is None:",
    ),
    "item_name_unbounded": (
        None,
        "an item's name may be 1000 characters long instead of 100",
        "app/models/item.py",
        "StringConstraints(strip_whitespace=True, min_length=1, max_length=100)",
        "StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)",
    ),
}


@dataclass
class Run:
    returncode: int
    output: str
    coverage: float | None = None


def databases() -> AbstractContextManager[str]:
    """A database for one run of the suite: never the check's own (the suite empties it)."""
    server = os.environ.get(postgres.SERVER_VARIABLE)
    if server:
        return postgres.fresh_database(server)
    return nullcontext("")


def measured_modules(workspace: Path) -> str:
    """The workspace's copies of the modules the app had at the end of this chapter, as
    coverage's --include: the 80 % is a promise about the app this suite was written for.
    Chapters 25-28 add modules (a cache, the logs, the metrics, the migrations, the audit)
    that their own chapters' tests cover; counted here, they would fail this chapter's
    check at every later checkpoint without a line of the suite having changed."""
    app = paths.CHECKPOINTS / "24_testing" / "app"
    return ",".join(str(workspace / module.relative_to(app.parent)) for module in app.rglob("*.py"))


def run_suite(workspace: Path, scratch: Path, *, coverage: bool) -> Run:
    """`pytest tests` in the workspace, as the learner runs it, in a process of its own."""
    scratch.mkdir(parents=True, exist_ok=True)
    with databases() as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
        env["DATABASE_URL"] = url or f"sqlite:///{scratch / 'suite.db'}"
        env["COVERAGE_FILE"] = str(scratch / ".coverage")
        env["BCRYPT_ROUNDS"] = "4"
        pytest_args = ["-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-o", "addopts="]
        pytest_args += ["--rootdir", str(workspace), "tests"]
        command = [sys.executable]
        if coverage:
            command += ["-m", "coverage", "run", f"--include={measured_modules(workspace)}"]
        done = subprocess.run(
            command + pytest_args,
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=SUITE_TIMEOUT,
        )
    run = Run(done.returncode, done.stdout + done.stderr)
    if coverage and done.returncode == 0:
        report = subprocess.run(
            [sys.executable, "-m", "coverage", "report", "--format=total", "--precision=1"],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
        )
        run.coverage = float(report.stdout.strip() or "0")
    return run


def last_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    failed = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
    return (failed or lines or ["no output"])[0]


@pytest.fixture(scope="module")
def suite(app_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    if not (app_dir / "tests").is_dir():
        pytest.fail("no tests/ folder beside app/ in the workspace: run the chapter's %%app cells")
    return run_suite(app_dir, tmp_path_factory.mktemp("suite"), coverage=True)


@pytest.mark.exercise("24.1")
def test_workspace_has_a_test_suite_with_a_client_fixture(app_dir: Path) -> None:
    conftest = app_dir / "tests" / "conftest.py"
    assert conftest.is_file(), "no tests/conftest.py in the workspace: run its %%app cell"
    assert "def client(" in conftest.read_text(), (
        "tests/conftest.py defines no client fixture: write it (a TestClient with the lifespan run)"
    )


@pytest.mark.exercise("24.2")
def test_the_suite_has_a_test_of_the_ownership_rule(app_dir: Path) -> None:
    """A test of the refused side of ensure_owner expects a 403 somewhere in tests/."""
    sources = [path.read_text() for path in sorted((app_dir / "tests").glob("test_*.py"))]
    assert any("403" in source for source in sources), (
        "no test in tests/ expects a 403: write the test of the ownership rule "
        "(another user's DELETE of an item is refused, and the item is still there)"
    )


@pytest.mark.slow
@pytest.mark.exercise("24.1")
def test_the_suite_passes_on_the_app(suite: Run) -> None:
    assert suite.returncode == 0, (
        f"`pytest tests` fails on the app itself: {last_line(suite.output)} "
        "(run it in the workspace; check the fixtures of tests/conftest.py)"
    )


@pytest.mark.slow
def test_the_suite_covers_most_of_the_app(suite: Run) -> None:
    if suite.returncode != 0:
        pytest.skip("the suite fails on the app itself")
    assert suite.coverage is not None and suite.coverage >= MIN_COVERAGE, (
        f"the suite runs {suite.coverage} % of the app's lines, under {MIN_COVERAGE} %: "
        "`coverage run -m pytest tests; coverage report` in the workspace shows what it misses"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "mutant",
    [
        pytest.param(name, marks=[pytest.mark.exercise(m[0])] if m[0] else [], id=name)
        for name, m in MUTANTS.items()
    ],
)
def test_the_suite_catches_a_planted_bug(
    mutant: str, suite: Run, app_dir: Path, tmp_path: Path
) -> None:
    if suite.returncode != 0:
        pytest.skip("the suite fails on the app itself: no bug planted")
    _, what, relative, original, broken = MUTANTS[mutant]
    copy = tmp_path / "mutant"
    shutil.copytree(app_dir / "app", copy / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(app_dir / "tests", copy / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / relative
    text = target.read_text()
    assert original in text, (
        f"{relative} no longer holds the line `{original.strip()}` of the chapter: put it back "
        "(the check plants its bug there)"
    )
    target.write_text(text.replace(original, broken, 1))
    run = run_suite(copy, tmp_path / "scratch", coverage=False)
    assert run.returncode != 0, (
        f"the suite passes on an app where {what} ({relative}): add a test that fails on it"
    )
