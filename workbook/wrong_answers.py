"""The plausible wrong answers of each exercise, kept in its solution notebook.

A learner who is tired, in a hurry or coming from Flask writes code that looks
right and is not; the check must fail on it, with a line that names the
exercise. Each exercise's wrong answers are a markdown cell of the solution
notebook tagged ``wrong-answers`` (dropped from the learner notebook, kept in
the instructors' site as notes), written like this:

    **Wrong answers to 05.2**

    - *Only prefixes match* (`startswith` instead of `in`):

      ```python
      return [user for user in USERS if user.name.startswith(q)]
      ```

Each fenced block replaces the exercise's solution block, re-indented to it.
``tests/workbook/test_invariants.py`` runs the chapter's check on each one.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from .appcells import AppCell, app_cells, file_text
from .build import read_notebook
from .chapters import Chapter
from .errors import WorkbookError
from .markers import find_blocks, replace_blocks

TAG = "wrong-answers"
_HEADING = re.compile(r"\*\*Wrong answers to (\d\d\.\d+)\*\*")
_ITEM = re.compile(r"^- \*(.+?)\*", re.MULTILINE)
_FENCE = re.compile(r"```python\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class WrongAnswer:
    chapter: Chapter
    exercise: str  # "05.2"
    title: str
    code: str

    @property
    def id(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")
        return f"{self.exercise}-{slug}"


def exercise_blocks(chapter: Chapter, notebook: object = None) -> dict[str, tuple[AppCell, int]]:
    """Each exercise ("05.2") with its %%app cell and the index of its block there."""
    notebook = notebook or read_notebook(chapter.solution)
    found: dict[str, tuple[AppCell, int]] = {}
    for cell in app_cells(notebook, chapter.solution.name):
        for index, _ in enumerate(find_blocks(cell.body, chapter.solution.name)):
            found[f"{chapter.number:02d}.{len(found) + 1}"] = (cell, index)
    return found


def wrong_answers(chapter: Chapter) -> list[WrongAnswer]:
    """Every wrong answer written in the chapter's solution notebook, in order."""
    notebook = read_notebook(chapter.solution)
    known = exercise_blocks(chapter, notebook)
    found = []
    for index, cell in enumerate(notebook.cells):
        if TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        where = f"{chapter.solution.name}, cell {index}"
        heading = _HEADING.search(cell.source)
        if heading is None or heading[1] not in known:
            raise WorkbookError(f"{where}: start with **Wrong answers to NN.k** (an exercise)")
        items = list(_ITEM.finditer(cell.source))
        for item, following in zip(items, [*items[1:], None], strict=True):
            text = cell.source[item.end() : following.start() if following else None]
            fence = _FENCE.search(text)
            if fence is None:
                raise WorkbookError(f"{where}: the wrong answer {item[1]!r} has no python block")
            code = textwrap.dedent(fence[1]).rstrip("\n")
            found.append(WrongAnswer(chapter, heading[1], item[1], code))
    return found


def write_into(wrong: WrongAnswer, workspace: Path) -> Path:
    """Write the exercise's file into ``workspace`` with the wrong answer in its block."""
    cell, index = exercise_blocks(wrong.chapter)[wrong.exercise]
    blocks = find_blocks(cell.body, wrong.exercise)
    indent = blocks[index].indent
    lines = [indent + line if line.strip() else "" for line in wrong.code.splitlines()]
    target = workspace / cell.path
    target.write_text(file_text(replace_blocks(cell.body, blocks, {index: lines}), wrong.id))
    return target
