"""The freshness run's report (`workbook verify --latest`): what broke, against which release.

The run itself takes minutes in a new environment; these tests build its report from
made-up results, and check that the test suite leaves the outcomes the report reads.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workbook import paths
from workbook.errors import WorkbookError
from workbook.latest import (
    Change,
    Pin,
    Step,
    build_report,
    changes,
    chapter_of,
    pins,
    step_excerpts,
    summary_line,
    suspects,
    to_markdown,
)

CHAPTERS = ["01_philosophy", "05_routing", "16_jwt"]
NAMES = {name[:2]: name for name in CHAPTERS}
DIRECT = [Pin("fastapi", "", "0.165.0"), Pin("python-jose", "[cryptography]", "3.5.0")]
BEFORE = {"fastapi": "0.165.0", "python-jose": "3.5.0", "starlette": "1.0.0", "ecdsa": "0.19.1"}
AFTER = {"FastAPI": "0.166.0", "python_jose": "3.6.0", "starlette": "1.1.0", "ecdsa": "0.19.1"}
MODULES = {"python-jose": ["jose"], "fastapi": ["fastapi"], "starlette": ["starlette"]}
JOSE_FAILURE = """\
tests/chapters/test_16_jwt.py:40: in test_token_round_trip
    token = create_access_token("ada")
.venv/lib/python3.11/site-packages/jose/jwt.py:61: in encode
E   TypeError: encode() got an unexpected keyword argument 'algorithm'
"""


def test_every_dependency_of_pyproject_is_read_with_its_extras() -> None:
    direct = pins((paths.ROOT / "pyproject.toml").read_text())
    by_name = {pin.name: pin for pin in direct}
    assert by_name["uvicorn"].unpinned == "uvicorn[standard]"
    assert by_name["fastapi"].unpinned == "fastapi" and by_name["fastapi"].version
    assert len(direct) >= 20


def test_a_dependency_without_a_pin_is_refused() -> None:
    with pytest.raises(WorkbookError, match="'fastapi>=0.100' is not pinned"):
        pins('dependencies = [\n    "fastapi>=0.100",\n]\n')


def test_changes_compare_names_as_the_index_does() -> None:
    moved, others = changes(DIRECT, BEFORE, AFTER)
    assert [str(c) for c in moved] == ["fastapi 0.165.0 -> 0.166.0", "python-jose 3.5.0 -> 3.6.0"]
    assert [str(c) for c in others] == ["starlette 1.0.0 -> 1.1.0"]
    same = {"fastapi": "0.165.0", "python-jose": "3.5.0"}
    assert changes(DIRECT, same, same) == ([], [])


@pytest.mark.parametrize(
    ("nodeid", "chapter"),
    [
        ("tests/chapters/test_05_routing.py::test_user_404", "05_routing"),
        ("solutions/05_routing.ipynb::Cell 7", "05_routing"),
        ("tests/workbook/test_invariants.py::test_checkpoint_serves[16_jwt]", "16_jwt"),
        ("tests/workbook/test_invariants.py::test_each_wrong_answer[05.2-no-404]", "05_routing"),
        ("tests/workbook/test_cli.py::test_unknown_chapter", "tooling"),
        ("tests/workbook/test_server.py::test_port_8000", "tooling"),
    ],
)
def test_each_test_counts_for_the_chapter_its_id_names(nodeid: str, chapter: str) -> None:
    assert chapter_of(nodeid, NAMES) == chapter


def test_a_failure_is_summed_up_by_its_first_error_line() -> None:
    assert summary_line(JOSE_FAILURE).startswith("TypeError: encode() got an unexpected")
    assert summary_line("nbval: cell 4 output differs\n") == "nbval: cell 4 output differs"
    assert len(summary_line("E   " + "x" * 500)) == 160


def test_the_suspects_are_the_changed_packages_a_traceback_passes_through() -> None:
    moved, _ = changes(DIRECT, BEFORE, AFTER)
    assert suspects(JOSE_FAILURE, moved, MODULES) == ["python-jose 3.5.0 -> 3.6.0"]
    assert suspects("E   assert 404 == 200", moved, MODULES) == []
    # A word that only contains a package's name is not that package.
    assert suspects("E   KeyError: 'fastapi_user'", moved, MODULES) == []


def report_of(outcomes: dict[str, dict[str, str]], steps: list[Step] | None = None) -> str:
    report = build_report(
        when="2026-12-02 01:00 UTC",
        python="3.11.7",
        direct=DIRECT,
        before=BEFORE,
        after=AFTER,
        modules=MODULES,
        steps=steps or [Step("lint", 0, 1.2), Step("test suite", 1, 300.0)],
        outcomes=outcomes,
        chapter_names=CHAPTERS,
    )
    return to_markdown(report)


def test_the_report_names_each_broken_chapter_its_tests_and_their_releases() -> None:
    page = report_of(
        {
            "tests/chapters/test_01_philosophy.py::test_root": {"outcome": "passed"},
            "tests/chapters/test_16_jwt.py::test_token_round_trip": {
                "outcome": "failed",
                "text": JOSE_FAILURE,
            },
            "tests/chapters/test_16_jwt.py::test_expiry": {"outcome": "skipped", "text": "no"},
            "tests/workbook/test_cli.py::test_diff": {"outcome": "error", "text": "E   OSError"},
        }
    )
    assert "| fastapi | 0.165.0 | 0.166.0 |" in page
    assert "| python-jose | 3.5.0 | 3.6.0 |" in page
    assert "starlette 1.0.0 -> 1.1.0" in page, "the transitive changes are listed too"
    assert "| 01_philosophy | 1 | 0 | 0 |  |" in page
    assert "| 16_jwt | 0 | 1 | 1 | python-jose 3.5.0 -> 3.6.0 |" in page
    assert "### 16_jwt: 1 broke" in page
    assert (
        "| `tests/chapters/test_16_jwt.py::test_token_round_trip` | TypeError: encode() got an "
        "unexpected keyword argument 'algorithm' | python-jose 3.5.0 -> 3.6.0 |" in page
    )
    assert "### tooling: 1 broke" in page and "(error) OSError" in page
    assert "| test suite | FAILED (exit 1) | 300 |" in page
    assert "05_routing" not in page, "a chapter with no result gets no row"
    assert "Broken on the newest releases" in page


def test_a_clean_run_says_so_and_a_failed_step_shows_what_it_said() -> None:
    passed = {"tests/chapters/test_05_routing.py::test_ok": {"outcome": "passed"}}
    assert "**Everything passes on the newest releases.**" in report_of(
        passed, [Step("lint", 0, 1.0), Step("test suite", 0, 10.0)]
    )
    page = report_of(passed, [Step("types", 1, 9.0, "workbook/cli.py:3: error: bad")])
    assert "failed steps: types" in page
    assert "```text\nworkbook/cli.py:3: error: bad\n```" in page


def test_each_steps_output_is_cut_from_the_verify_log() -> None:
    log = "retired: 0\n[1/2] lint: ruff check\nE501 too long\n[2/2] types: mypy\nok\n"
    assert step_excerpts(log) == {"lint": "E501 too long", "types": "ok"}


def test_the_test_suite_leaves_each_outcome_for_the_report(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(
        "import pytest\n"
        "@pytest.fixture\n"
        "def broken():\n"
        "    raise OSError('no disk')\n"
        "def test_passes(): pass\n"
        "def test_fails(): assert 1 == 2, 'one is not two'\n"
        "def test_errors(broken): pass\n"
        "def test_skips(): pytest.skip('no server')\n"
    )
    reports = tmp_path / "reports"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "workbook.timing_plugin"]
        + [f"--workbook-timings={reports}", "-o", "addopts=", "-p", "no:cacheprovider"]
        + [str(tmp_path / "test_sample.py")],
        cwd=tmp_path,
        capture_output=True,
    )
    outcomes = json.loads((reports / "outcomes.json").read_text())
    by_test = {nodeid.split("::")[-1]: record for nodeid, record in outcomes.items()}
    assert {name: r["outcome"] for name, r in by_test.items()} == {
        "test_passes": "passed",
        "test_fails": "failed",
        "test_errors": "error",
        "test_skips": "skipped",
    }
    assert "one is not two" in by_test["test_fails"]["text"]
    assert "no disk" in by_test["test_errors"]["text"]
    assert by_test["test_passes"]["text"] == ""


def test_change_prints_a_package_that_appeared_or_went() -> None:
    assert str(Change("ecdsa", None, "0.19.1")) == "ecdsa (none) -> 0.19.1"
    assert str(Change("ecdsa", "0.19.1", None)) == "ecdsa 0.19.1 -> (none)"
