"""Solution notebook -> learner notebook, as a pipeline of pure steps.

Each step takes a notebook and returns a new one; none changes its input.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .appcells import MAGIC
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
    """Keep only what Jupyter needs: the kernel and each cell's tags."""
    new = copy.deepcopy(notebook)
    new.metadata = {k: v for k, v in new.metadata.items() if k == "kernelspec"}
    for cell in new.cells:
        tags = cell.get("metadata", {}).get("tags")
        cell.metadata = {"tags": tags} if tags else {}
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


def learner_notebook(solution: Notebook, name: str, chapter: int) -> Notebook:
    notebook = solution
    for step in LEARNER_PIPELINE:
        notebook = step(notebook, name, chapter)
    return notebook
