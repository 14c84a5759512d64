"""Graded hints and reference answers (AUTHORING.md, "Hints"): the format, the
commands, and the rule that hints never give the answer away."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from nbformat.v4 import new_markdown_cell

from workbook.build import read_notebook
from workbook.chapters import Chapter
from workbook.cli import main
from workbook.hints import hint_problems, notebook_hints, references
from workbook.transforms import learner_notebook

from .conftest import CHAPTERS, chapter_params
from .test_cli import assert_one_line_error, run


@pytest.mark.parametrize("chapter", chapter_params())
def test_every_exercise_has_graded_hints_that_hold_no_answer(chapter: Chapter) -> None:
    problems = hint_problems(chapter, read_notebook(chapter.solution))
    assert not problems, "; ".join(problems)


def _chapter_with_hints() -> tuple[Chapter, object, str]:
    chapter = next(c for c in CHAPTERS if notebook_hints(read_notebook(c.solution)))
    notebook = read_notebook(chapter.solution)
    return chapter, notebook, next(iter(notebook_hints(notebook)))


def test_a_hint_that_gives_the_answer_away_is_refused() -> None:
    chapter, notebook, exercise = _chapter_with_hints()
    answer = references(chapter, notebook)[exercise].code
    spoiled = copy.deepcopy(notebook)
    for cell in spoiled.cells:
        if cell.source.startswith(f"**Exercise {exercise} · hint 2 of"):
            cell.source += f"\n\n```python\n{answer}\n```"
    assert hint_problems(chapter, spoiled) == [
        f"{chapter.solution.name}: the hints of {exercise} hold its solution block verbatim"
    ]


def test_an_exercise_with_one_hint_or_an_ungraded_hint_is_refused() -> None:
    chapter, notebook, exercise = _chapter_with_hints()
    short = copy.deepcopy(notebook)
    short.cells = [c for c in short.cells if not c.source.startswith(f"**Exercise {exercise} ·")]
    short.cells.append(new_markdown_cell(f"**Exercise {exercise}.** Try harder."))
    short.cells[-1].metadata["tags"] = ["hint"]
    problems = hint_problems(chapter, short)
    assert any("a hint starts with **Exercise NN.k · hint i of n.**" in p for p in problems)
    assert f"{chapter.solution.name}: exercise {exercise} has 0 graded hint(s), not 2+" in problems


def test_learner_notebook_folds_each_hint_with_its_level_and_the_way_to_the_answer() -> None:
    chapter, notebook, exercise = _chapter_with_hints()
    learner = learner_notebook(notebook, chapter.solution.name, chapter.number)
    folded = [c.source for c in learner.cells if f"· exercise {exercise}</summary>" in c.source]
    total = len(notebook_hints(notebook)[exercise])
    assert folded[0].startswith(f"<details><summary>Hint 1 of {total} · exercise {exercise}")
    assert f'solution("{exercise}")' in folded[-1]
    assert not any("solution(" in text for text in folded[:-1])


def test_hint_shows_the_next_hint_each_time_then_points_to_the_solution(
    capsys: pytest.CaptureFixture[str],
) -> None:
    chapter, notebook, exercise = _chapter_with_hints()
    hints = notebook_hints(notebook)[exercise]
    for hint in hints:
        assert main(["hint", exercise]) == 0
        out = capsys.readouterr().out
        assert out.startswith(hint.title) and hint.text in out
        assert out.count("Hint ") == 1, "only the next hint, not the earlier ones again"
    assert f"`workbook solution {exercise}` shows the answer" in out
    assert main(["hint", exercise]) == 0  # all seen: all of them again
    assert capsys.readouterr().out.count("Hint ") == len(hints)


def test_hint_all_and_hint_of_a_chapter(capsys: pytest.CaptureFixture[str]) -> None:
    chapter, notebook, exercise = _chapter_with_hints()
    graded = notebook_hints(notebook)
    assert main(["hint", exercise, "--all"]) == 0
    assert capsys.readouterr().out.count("Hint ") == len(graded[exercise])
    assert main(["hint", str(chapter.number)]) == 0
    out = capsys.readouterr().out
    assert out.count("Hint 1 of") == len(graded), "the first hint of each exercise"
    assert f"Hint 2 of {len(graded[exercise])} · exercise {exercise}" in out, "seen ones kept"
    assert main(["hint", chapter.name, "--all"]) == 0
    assert capsys.readouterr().out.count("Hint ") == sum(len(h) for h in graded.values())


def test_solution_prints_the_reference_block_and_where_it_goes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    chapter, notebook, exercise = _chapter_with_hints()
    ref = references(chapter, notebook)[exercise]
    assert main(["solution", exercise.lstrip("0")]) == 0
    out = capsys.readouterr().out
    assert all(line.strip() in out for line in ref.code.splitlines())
    assert f"`%%app {ref.path}` cell" in out and f"# TODO exercise {exercise}" in out
    assert "### BEGIN SOLUTION" not in out and "### STUB" not in out


@pytest.mark.parametrize(
    ("argument", "fragment"),
    [("01.99", "has no exercise 01.99; it has 01.1"), ("x.1", "is not an exercise")],
)
def test_solution_and_hint_of_an_unknown_exercise_are_one_line(
    argument: str, fragment: str
) -> None:
    assert_one_line_error(run("solution", argument), fragment)
    assert_one_line_error(run("hint", argument), fragment)


def test_notebook_hint_and_solution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WORKBOOK_WORKSPACE", str(tmp_path / "ws"))
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext workbook")
    chapter, notebook, exercise = _chapter_with_hints()
    shell.run_cell(f'hint("{exercise}")')
    out = capsys.readouterr().out
    assert out.startswith("Hint 1 of") and f'`hint("{exercise}")` again' in out
    shell.run_cell(f'solution("{exercise}")')
    out = capsys.readouterr().out
    code = references(chapter, notebook)[exercise].code
    assert "in your notebook" in out and all(line in out for line in code.splitlines())
    shell.run_cell('solution("01.99")')
    assert capsys.readouterr().out.startswith("workbook: chapter ")
