"""The build on a small repository of its own (one made-up chapter)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from workbook import build, paths
from workbook.errors import WorkbookError


def notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def tagged(cell: nbformat.NotebookNode, tag: str) -> nbformat.NotebookNode:
    cell.metadata["tags"] = [tag]
    return cell


SOLUTION_CELL = "%%app app/main.py\nx = 1\n### BEGIN SOLUTION set y\ny = 2\n### END SOLUTION\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    for name in ("SOLUTIONS", "CHAPTERS", "CHECKPOINTS"):
        monkeypatch.setattr(paths, name, tmp_path / name.lower())
    (tmp_path / "solutions").mkdir()
    first = notebook(
        new_markdown_cell("# 01 · Demo"),
        new_code_cell("%load_ext workbook"),
        new_code_cell(SOLUTION_CELL, outputs=[new_output("stream", text="created app/main.py\n")]),
        tagged(new_markdown_cell("Try `y = ...`."), "hint"),
        tagged(new_markdown_cell("Instructors: y trips people up."), "solution-only"),
        new_code_cell("%%app app/__init__.py\n"),
    )
    second = notebook(new_code_cell("%%app app/extra.py\nz = 3"))
    nbformat.write(first, tmp_path / "solutions" / "01_demo.ipynb")
    nbformat.write(second, tmp_path / "solutions" / "02_more.ipynb")
    return tmp_path


def test_build_writes_learner_notebooks_and_cumulative_checkpoints(repo: Path) -> None:
    build.build()
    assert (repo / "checkpoints/01_demo/app/main.py").read_text() == "x = 1\ny = 2\n"
    assert (repo / "checkpoints/01_demo/app/__init__.py").read_text() == ""
    assert sorted(p.name for p in (repo / "checkpoints/02_more/app").iterdir()) == [
        "__init__.py",
        "extra.py",
        "main.py",
    ]
    assert (repo / "checkpoints/00_start/.gitkeep").exists()

    learner = nbformat.read(repo / "chapters/01_demo.ipynb", as_version=4)
    sources = [cell.source for cell in learner.cells]
    assert not any("Instructors" in s for s in sources), "solution-only cell leaked"
    assert not any("y = 2" in s for s in sources), "solution leaked"
    assert "# TODO exercise 01.1: set y" in sources[2]
    assert sources[3].startswith("<details><summary>Hint</summary>")
    assert all(cell.get("outputs", []) == [] for cell in learner.cells)


def test_build_is_pure_and_check_names_every_drifted_file(repo: Path) -> None:
    build.build()
    first = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    assert build.build() == []
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == first
    (repo / "checkpoints/01_demo/app/main.py").write_text("hacked\n")
    (repo / "checkpoints/01_demo/app/stale.py").write_text("old\n")
    assert build.differences()[1] == [
        "checkpoints/01_demo/app/main.py",
        "checkpoints/01_demo/app/stale.py",
    ]


def test_build_keeps_a_copy_of_a_learner_notebook_before_replacing_it(repo: Path) -> None:
    build.build()
    mine = repo / "chapters/01_demo.ipynb"
    mine.write_text(mine.read_text().replace("TODO", "MY ANSWER"))
    lines = build.build()
    kept = [line for line in lines if line.startswith("kept your copy")]
    assert kept, lines
    backup = Path(kept[0].rsplit(" in ", 1)[1])
    assert "MY ANSWER" in backup.read_text()


def test_invalid_notebook_is_one_clear_error(repo: Path) -> None:
    (repo / "solutions/03_broken.ipynb").write_text("{not json")
    with pytest.raises(WorkbookError, match="03_broken.ipynb is not a valid notebook"):
        build.build()


def test_markers_outside_app_cells_are_an_error(repo: Path) -> None:
    nbformat.write(
        notebook(new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")),
        repo / "solutions/03_bad.ipynb",
    )
    with pytest.raises(WorkbookError, match=r"03_bad.ipynb, cell 0: solution markers may only"):
        build.build()


def test_rebuilding_after_a_solution_change_keeps_no_needless_copies(repo: Path) -> None:
    build.build()
    solution = repo / "solutions/02_more.ipynb"
    solution.write_text(solution.read_text().replace("z = 3", "z = 4"))
    assert build.build() == [
        "wrote chapters/02_more.ipynb",
        "wrote checkpoints/02_more/app/extra.py",
    ]
    assert not (repo / "workspace-backups").exists()


def test_a_rewritten_file_is_introduced_by_what_changed_in_it(repo: Path) -> None:
    third = notebook(
        new_code_cell("%%app app/main.py\nx = 1\ny = 2\nw = 4"),  # one line added, no exercise
        new_code_cell(
            "%%app app/main.py\nx = 1\ny = 2\nw = 4\n### BEGIN SOLUTION v\nv = 5\n### END SOLUTION"
        ),
        new_code_cell("%%app app/main.py\n" + "\n".join(f"n{i} = {i}" for i in range(50))),
        new_code_cell("%%app app/extra.py\nz = 3"),  # written by chapter 02, unchanged
    )
    nbformat.write(third, repo / "solutions" / "03_again.ipynb")
    build.build()
    cells = nbformat.read(repo / "chapters/03_again.ipynb", as_version=4).cells
    marks = [cell.source for cell in cells if "what-changed" in cell.metadata.get("tags", [])]
    assert len(marks) == 4, "each rewrite of a file of an earlier cell or chapter has its note"
    assert "+w = 4" in marks[0] and " y = 2" in marks[0] and "x = 1" not in marks[0]
    assert cells[1].metadata["jupyter"]["source_hidden"], "the diff says it all: fold the file"
    assert "+    # TODO exercise 03.1: v" not in marks[1] and "+# TODO exercise 03.1: v" in marks[1]
    assert "v = 5" not in marks[1], "the note must not show the solution"
    assert "jupyter" not in cells[3].metadata, "a cell with an exercise stays open"
    assert "largely rewritten" in marks[2] and "```diff" not in marks[2]
    assert "unchanged" in marks[3]
    first = nbformat.read(repo / "chapters/01_demo.ipynb", as_version=4).cells
    assert not any("what-changed" in cell.metadata.get("tags", []) for cell in first)
