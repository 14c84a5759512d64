"""Solution notebook -> learner notebook, as a pipeline of pure steps.

Each step takes a notebook and returns a new one; none changes its input.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable, Mapping
from typing import Any

import nbformat

from .appcells import MAGIC, app_cells, file_text
from .errors import WorkbookError
from .hints import parse_hint
from .markers import find_blocks, replace_blocks, stub_lines

Notebook = Any  # nbformat.NotebookNode
Step = Callable[[Notebook, str, int], Notebook]


def _tags(cell: Any) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


INSTRUCTORS_ONLY = {"solution-only", "wrong-answers"}  # the latter: workbook/wrong_answers.py


def drop_solution_only(notebook: Notebook, name: str, chapter: int) -> Notebook:
    new = copy.deepcopy(notebook)
    new.cells = [cell for cell in new.cells if not INSTRUCTORS_ONLY & _tags(cell)]
    return new


def stub_exercises(notebook: Notebook, name: str, chapter: int) -> Notebook:
    """Replace every solution block by its stub, numbering exercises NN.1, NN.2, ..."""
    new = copy.deepcopy(notebook)
    number = 0
    for index, cell in enumerate(new.cells):
        where = f"{name}, cell {index}"
        blocks = find_blocks(cell.source, where)
        if not blocks:
            continue
        if cell.cell_type != "code" or not cell.source.startswith(MAGIC):
            raise WorkbookError(f"{where}: solution markers may only stand in %%app cells")
        stubs = {}
        for block_index, block in enumerate(blocks):
            number += 1
            stubs[block_index] = stub_lines(block, f"{chapter:02d}.{number}")
        cell.source = replace_blocks(cell.source, blocks, stubs)
    return new


# A diff longer than this is no shorter to read than the file itself.
LONGEST_DIFF = 40


def _changes(old: str, new: str) -> list[str]:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), n=1, lineterm="")
    return [line for line in lines if not line.startswith(("---", "+++"))]


def mark_rewrites(before: Mapping[str, str]) -> Step:
    """Before each %%app cell that rewrites a file, what changed in it (``before``: the
    files at the start of the chapter). A cell without an exercise whose diff says it
    all is folded: the learner reads the diff, and opens the whole file if curious."""

    def step(notebook: Notebook, name: str, chapter: int) -> Notebook:
        new = copy.deepcopy(notebook)
        files = dict(before)
        cells = []
        app = {cell.index: cell for cell in app_cells(new, name)}
        for index, cell in enumerate(new.cells):
            written = app.get(index)
            if written and written.path in files:
                text = file_text(written.body, f"{name}, cell {index}")
                cells.append(_what_changed(written.path, files[written.path], text, cell))
            if written:
                files[written.path] = file_text(written.body, f"{name}, cell {index}")
            cells.append(cell)
        new.cells = cells
        return new

    return step


def _what_changed(path: str, old: str, new: str, cell: Any) -> Any:
    changes = _changes(old, new)
    added = sum(line.startswith("+") for line in changes)
    removed = sum(line.startswith("-") for line in changes)
    counts = f"{added} lines added, {removed} removed, {len(new.splitlines())} in all"
    if not changes:
        text = f"**`{path}` again**, unchanged: run the cell below as it is."
    elif len(changes) > LONGEST_DIFF:
        text = f"**`{path}` again**, largely rewritten ({counts}): read it whole below."
    else:
        where = "the cell below"
        if "# TODO exercise" not in cell.source:
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
            where += " (folded: click it to read the whole file)"
        diff = "\n".join(changes)
        text = f"**`{path}` again**, what changed ({counts}), written by {where}:"
        text += f"\n\n```diff\n{diff}\n```"
    marker = nbformat.v4.new_markdown_cell(text)  # type: ignore[no-untyped-call]
    marker.metadata = {"tags": ["what-changed"]}
    marker.id = f"{cell.get('id', 'app')}-changes"[-64:]  # stable: the build must be pure
    return marker


def fold_hints(notebook: Notebook, name: str, chapter: int) -> Notebook:
    """Each hint folded on its own, titled "Hint 1 of 3 · exercise 05.2"; the last one
    says how to ask for the reference answer."""
    new = copy.deepcopy(notebook)
    for cell in new.cells:
        if "hint" not in _tags(cell) or cell.cell_type != "markdown":
            continue
        hint = parse_hint(cell.source)
        title, text = (hint.title, hint.text) if hint else ("Hint", cell.source)
        if hint and hint.level == hint.total:
            text += (
                f'\n\nStill stuck? Run `solution("{hint.exercise}")` in a cell (or `workbook '
                f"solution {hint.exercise}` in a terminal): it prints the reference answer."
            )
        cell.source = f"<details><summary>{title}</summary>\n\n{text}\n\n</details>"
    return new


def clear_outputs(notebook: Notebook, name: str, chapter: int) -> Notebook:
    new = copy.deepcopy(notebook)
    for cell in new.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return new


def clean_metadata(notebook: Notebook, name: str, chapter: int) -> Notebook:
    """Keep only what Jupyter needs: the kernel, each cell's tags and folding."""
    new = copy.deepcopy(notebook)
    new.metadata = {k: v for k, v in new.metadata.items() if k == "kernelspec"}
    for cell in new.cells:
        kept = {k: v for k, v in cell.get("metadata", {}).items() if k in ("tags", "jupyter")}
        cell.metadata = {k: v for k, v in kept.items() if v}
    return new


# Order matters: instructor cells go before anything could reveal them, stubs
# are made from the sources before hints are folded, and outputs (which show
# solutions at work) are cleared last.
LEARNER_PIPELINE: tuple[Step, ...] = (
    drop_solution_only,
    stub_exercises,
    fold_hints,
    clear_outputs,
    clean_metadata,
)


def learner_notebook(
    solution: Notebook, name: str, chapter: int, before: Mapping[str, str] | None = None
) -> Notebook:
    """The learner's notebook; with ``before`` (the app's files at the chapter's start),
    each rewritten file is introduced by what changed in it."""
    steps = list(LEARNER_PIPELINE)
    if before is not None:
        steps.insert(steps.index(stub_exercises) + 1, mark_rewrites(before))
    notebook = solution
    for step in steps:
        notebook = step(notebook, name, chapter)
    return notebook
