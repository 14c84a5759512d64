"""The invariants of ARCHITECTURE.md, for every chapter that exists.

Invariant 2 (solutions replay into their checkpoint, outputs match) is the
nbval run over solutions/ with workbook/nbval_plugin.py; the others are here.
A new chapter is covered by adding its notebook and its test module.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from nbclient.exceptions import CellExecutionError

from workbook import paths, postgres
from workbook.appcells import AppCell, app_cells, file_text
from workbook.build import differences, read_notebook
from workbook.chapters import Chapter, checkpoint_before
from workbook.check import Result, run_check
from workbook.execute import run_notebook
from workbook.markers import find_blocks, replace_blocks, stub_lines
from workbook.server import LiveServer
from workbook.wrong_answers import WrongAnswer, exercise_blocks, write_into, wrong_answers

from .conftest import CHAPTERS, chapter_params


def test_generated_files_are_in_sync_with_solutions() -> None:
    """Invariant 1."""
    _, changed = differences()
    assert not changed, "run `workbook build`; out of date: " + ", ".join(changed)


def test_every_chapter_has_notebook_test_module_and_checkpoint() -> None:
    assert CHAPTERS, "no solution notebooks found"
    for chapter in CHAPTERS:
        assert chapter.tests.is_file(), f"missing {chapter.tests}"
        assert (chapter.checkpoint / "app").is_dir(), f"missing {chapter.checkpoint}/app"


@pytest.mark.parametrize("chapter", chapter_params())
def test_learner_notebook_runs_and_its_check_reports_the_exercises(
    chapter: Chapter, tmp_path: Path
) -> None:
    """Invariants 3 and 4: the stubbed notebook runs; its check fails, it does not crash.

    The check cell's own output is the proof that the chapter's tests fail: it is
    the table of a real check of the workspace the notebook left.
    """
    workspace = tmp_path / "workspace"
    try:
        notebook = run_notebook(chapter.learner, workspace, chapter)
    except CellExecutionError as error:
        pytest.fail(f"{chapter.learner.name} raised: {str(error)[-800:]}")
    check_output = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code" and cell.source.strip().startswith("check(")
        for output in cell.outputs
    )
    assert "FAIL" in check_output, f"check cell did not report failing exercises:\n{check_output}"
    assert check_output.rstrip().endswith(FAILING_VERDICT), (
        f"the stubbed chapter's check does not end in failure:\n{check_output}"
    )


def _exercises() -> list[object]:
    params = []
    for chapter in CHAPTERS:
        notebook = read_notebook(chapter.solution)
        number = 0
        for cell in app_cells(notebook, chapter.solution.name):
            for block_index, _ in enumerate(find_blocks(cell.body, chapter.solution.name)):
                number += 1
                label = f"{chapter.number:02d}.{number}"
                params.append(pytest.param(chapter, cell.index, block_index, label, id=label))
    return params


@pytest.mark.parametrize(("chapter", "cell_index", "block_index", "label"), _exercises())
def test_each_exercise_left_undone_fails_the_chapter_tests(
    chapter: Chapter,
    cell_index: int,
    block_index: int,
    label: str,
    fresh_checkpoint: Callable[[Chapter], Path],
    tmp_path: Path,
) -> None:
    """Invariant 4, one exercise at a time: its stub alone must fail a test."""
    workspace = fresh_checkpoint(chapter)
    cell = next(
        c
        for c in app_cells(read_notebook(chapter.solution), chapter.solution.name)
        if c.index == cell_index
    )
    blocks = find_blocks(cell.body, label)
    stubbed = replace_blocks(
        cell.body, blocks, {block_index: stub_lines(blocks[block_index], label)}
    )
    (workspace / cell.path).write_text(file_text(stubbed, label))
    # The chapter's own tests are the ones that must tell the stub apart.
    report = run_check(chapter, workspace, earlier=False)
    assert report.results, f"no test ran:\n{report.output}"
    assert not report.ok, f"exercise {label} left as its stub still passes every test"
    # The lines lead to the exercise left undone, and blame no other one alone.
    blamed = [r for r in report.results if r.failed and _exercises_named(r)]
    assert any(label in _exercises_named(r) for r in blamed), (
        f"exercise {label} left undone fails, but no line names it "
        f"(mark the tests that catch it @pytest.mark.exercise({label!r})):\n{report.table()}"
    )
    misleading = [r.message for r in blamed if label not in _exercises_named(r)]
    assert not misleading, (
        f"exercise {label} left undone, yet these lines blame another exercise "
        f"(mark them with {label!r} too):\n" + "\n".join(misleading)
    )


def _wrong_answers() -> list[object]:
    return [
        pytest.param(wrong, id=wrong.id) for chapter in CHAPTERS for wrong in wrong_answers(chapter)
    ]


@pytest.mark.parametrize("wrong", _wrong_answers())
def test_each_wrong_answer_fails_with_a_line_that_names_its_exercise(
    wrong: WrongAnswer, fresh_checkpoint: Callable[[Chapter], Path]
) -> None:
    """Invariant 8: a plausible wrong answer, alone in the reference app, fails the check,
    and one of its failure lines starts with the exercise it got wrong (or, when the app no
    longer imports, names the exercise's file and line)."""
    workspace = fresh_checkpoint(wrong.chapter)
    write_into(wrong, workspace)
    # Only the tests marked as catching the exercise can name it: no other need run.
    report = run_check(wrong.chapter, workspace, earlier=False, exercise=wrong.exercise)
    assert report.results, f"no test ran:\n{report.output}"
    assert not report.ok, f"wrong answer {wrong.id} passes every test:\n{wrong.code}"
    # An app that no longer imports stops every test: its one line names the file
    # and the line of the exercise instead.
    where = Path(exercise_blocks(wrong.chapter)[wrong.exercise][0].path).name
    named = [
        r
        for r in report.results
        if r.failed
        and (
            wrong.exercise in _exercises_named(r)
            or ("does not import" in r.message and where in r.message)
        )
    ]
    assert named, (
        f"wrong answer {wrong.id} fails, but no line names exercise {wrong.exercise} "
        f"(mark the test that catches it @pytest.mark.exercise(...)):\n{report.table()}"
    )


def _exercises_named(result: Result) -> list[str]:
    """``["14.1", "14.2"]`` of a line ``exercise 14.1, 14.2: ...`` (check_plugin.message)."""
    named = re.match(r"exercise ([\d., ]+):", result.message)
    return named[1].replace(" ", "").split(",") if named else []


WHOLE_UNIT_FROM = 10  # from here on a learner also writes code, not only fills it in


def _writes_a_whole_unit(cell: AppCell, index: int, where: str) -> bool:
    """The block holds a definition itself (a decorator, def, async def or class at the
    block's own indentation), so the learner writes it from the task, signature and all."""
    block = find_blocks(cell.body, where)[index]
    lines = cell.body.splitlines()[block.begin + 1 : block.end]
    code = [line for line in lines if line.strip() and not line.strip().startswith("###")]
    first = code[0][len(block.indent) :] if code else ""
    return first.startswith(("def ", "async def ", "class ", "@"))


def test_from_chapter_10_each_chapter_has_an_exercise_that_writes_a_whole_unit() -> None:
    """Issue 15: filling blanks in given code is not all; each chapter from 10 on asks for
    at least one function, route or class written whole from its specification."""
    missing = [
        chapter.name
        for chapter in CHAPTERS
        if chapter.number >= WHOLE_UNIT_FROM
        and not any(
            _writes_a_whole_unit(cell, index, chapter.name)
            for cell, index in exercise_blocks(chapter).values()
        )
    ]
    assert not missing, f"no exercise writes a whole function, route or class in {missing}"


def test_a_chapter_with_wrong_answers_has_two_for_each_exercise() -> None:
    """Chapters are covered whole: at least two wrong answers per exercise."""
    for chapter in CHAPTERS:
        written = wrong_answers(chapter)
        if not written:
            continue
        counts = {label: 0 for label in exercise_blocks(chapter)}
        for wrong in written:
            counts[wrong.exercise] += 1
        few = [label for label, count in counts.items() if count < 2]
        assert not few, f"{chapter.solution.name}: fewer than two wrong answers for {few}"


PASSING_VERDICT = "all done!"
FAILING_VERDICT = "keep going: fix the first FAIL above"


@pytest.mark.parametrize("chapter", chapter_params())
def test_every_solution_ends_with_a_check_that_passes(chapter: Chapter) -> None:
    """Invariant 5 at every checkpoint, proven by the solution's own check cell.

    The last code cell of solutions/NN is `check(NN)`, and its stored output
    says every test passed. nbval replays that cell (invariant 2) and compares
    its output, with only the counts and times sanitized, so the replay passes
    only if the check passes again; the replay's last item proves that the
    workspace checked is byte-equal to checkpoints/NN. That check runs the
    fast tests of every chapter up to NN, the gates every chapter keeps
    (ruff, mypy strict) and chapter NN's own slow tests. The slow tests of
    earlier chapters run at the latest checkpoint (the next test), on SQLite
    and on PostgreSQL; see ARCHITECTURE.md for what that leaves out and why.
    """
    code = [c for c in read_notebook(chapter.solution).cells if c.cell_type == "code"]
    assert code and code[-1].source.strip() == f"check({chapter.number})", (
        f"the last code cell of {chapter.solution.name} must be check({chapter.number})"
    )
    stored = "".join(output.get("text", "") for output in code[-1].outputs)
    assert stored.rstrip().endswith(PASSING_VERDICT), (
        f"the stored check output of {chapter.solution.name} does not pass; run "
        f"`workbook execute {chapter.number:02d}`:\n{stored}"
    )


LATEST = CHAPTERS[-1]


def test_latest_checkpoint_passes_every_test_of_every_chapter(
    fresh_checkpoint: Callable[[Chapter], Path],
) -> None:
    """Invariant 5 with every slow test of every chapter, at the latest checkpoint."""
    report = run_check(LATEST, fresh_checkpoint(LATEST), slow="all")
    assert report.ok, report.table()


# From chapter 13 on the app's database access is async and runs on PostgreSQL too.
FIRST_POSTGRES_CHAPTER = 13


def _postgres_server() -> str:
    server = os.environ.get(postgres.SERVER_VARIABLE, postgres.DEFAULT_SERVER)
    reason = postgres.unreachable(server)
    if reason:
        pytest.skip(f"{reason}; set {postgres.SERVER_VARIABLE} to a server URL to run these")
    return server


def test_latest_checkpoint_passes_every_test_of_every_chapter_on_postgresql(
    fresh_checkpoint: Callable[[Chapter], Path],
) -> None:
    """Invariant 5 again, on a new PostgreSQL database: the same app, the same tests."""
    report = run_check(LATEST, fresh_checkpoint(LATEST), slow="all", postgres=_postgres_server())
    assert report.ok, report.table()


@pytest.mark.parametrize(
    "chapter",
    [p for p in chapter_params() if FIRST_POSTGRES_CHAPTER <= p.values[0].number < LATEST.number],
)
def test_checkpoint_passes_its_own_chapters_tests_on_postgresql(
    chapter: Chapter, fresh_checkpoint: Callable[[Chapter], Path]
) -> None:
    """Each earlier checkpoint from chapter 13 on: its own chapter's tests, slow ones too, on
    PostgreSQL (the earlier chapters' tests on PostgreSQL run at the latest checkpoint)."""
    report = run_check(
        chapter, fresh_checkpoint(chapter), slow="all", postgres=_postgres_server(), earlier=False
    )
    assert report.ok, report.table()


ASSET = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.mark.parametrize("chapter", chapter_params())
def test_checkpoint_serves_openapi_and_offline_docs_under_uvicorn(
    chapter: Chapter, fresh_checkpoint: Callable[[Chapter], Path]
) -> None:
    """Invariant 6; and /docs and /redoc load only assets the app serves itself (workshop
    rooms often have no internet; fastapi-offline ships Swagger UI and ReDoc)."""
    with LiveServer(fresh_checkpoint(chapter)) as server:
        response = server.get("/openapi.json")
        assert response.status_code == 200, response.text
        assert response.json()["openapi"].startswith("3."), response.text
        for page in ("/docs", "/redoc"):
            response = server.get(page)
            assert response.status_code == 200, f"{page}: {response.status_code}"
            assets = ASSET.findall(response.text)
            assert assets, f"{page} references no script or stylesheet"
            for asset in assets:
                assert asset.startswith("/") and not asset.startswith("//"), (
                    f"{page} of {chapter.name} loads {asset} from outside the app"
                )
                assert server.get(asset).status_code == 200, f"{page}: {asset} is missing"


def test_checkpoint_00_is_empty() -> None:
    assert paths.tree_files(checkpoint_before(CHAPTERS[0])) == {}
