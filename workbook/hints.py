"""Graded hints and reference answers, read from the solution notebooks.

An exercise's hints are markdown cells tagged ``hint``, in order, each opening
with ``**Exercise 05.2 · hint 1 of 3.**``: the first a nudge (where to look,
which idea of the chapter), the last the near-answer (the API, the shape),
never the answer itself. The answer is shown only on request (``workbook
solution 05.2``, ``solution("05.2")``), from the exercise's solution block.
Which hints a learner has seen is kept in ``.workbook/hints-seen.json``, so
``workbook hint 05.2`` shows the next one.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import paths
from .chapters import Chapter, resolve
from .errors import WorkbookError
from .markers import STUB, find_blocks, stub_lines

TAG = "hint"
HEADING = re.compile(
    r"^\*\*Exercise (?P<exercise>\d\d\.\d+) · hint (?P<level>\d+) of (?P<total>\d+)\.\*\*[ \t]*\n?"
)
_LABEL = re.compile(r"^(?P<chapter>\d{1,2})\.(?P<number>\d+)$")


@dataclass(frozen=True)
class Hint:
    exercise: str  # "05.2"
    level: int  # 1 = the nudge
    total: int
    text: str  # without the heading

    @property
    def title(self) -> str:
        return f"Hint {self.level} of {self.total} · exercise {self.exercise}"


@dataclass(frozen=True)
class Reference:
    """An exercise's reference answer, and where it goes."""

    exercise: str
    path: str  # the %%app cell's file
    task: str
    code: str  # the block's lines, markers and STUB lines dropped, indentation kept
    stub: tuple[str, ...]  # the lines the learner notebook shows in its place


def parse_hint(source: str) -> Hint | None:
    """The graded hint a cell holds, or None for a hint without the heading."""
    match = HEADING.match(source)
    if match is None:
        return None
    text = source[match.end() :].strip()
    return Hint(match["exercise"], int(match["level"]), int(match["total"]), text)


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def notebook_hints(notebook: Any) -> dict[str, list[Hint]]:
    """Every graded hint of a notebook, by exercise, in the notebook's order."""
    found: dict[str, list[Hint]] = {}
    for cell in notebook.cells:
        if TAG in _tags(cell) and cell.cell_type == "markdown":
            hint = parse_hint(cell.source)
            if hint is not None:
                found.setdefault(hint.exercise, []).append(hint)
    return found


def exercise_label(text: str) -> tuple[Chapter, str]:
    """``5.2`` or ``05.2`` -> (chapter 05, "05.2")."""
    match = _LABEL.match(text.strip())
    if match is None:
        raise WorkbookError(f"{text!r} is not an exercise: write it like 05.2")
    chapter = resolve(match["chapter"])
    return chapter, f"{chapter.number:02d}.{int(match['number'])}"


def references(chapter: Chapter, notebook: Any = None) -> dict[str, Reference]:
    """Each exercise's reference answer, from the solution blocks in notebook order."""
    from .appcells import app_cells
    from .build import read_notebook

    notebook = notebook or read_notebook(chapter.solution)
    found: dict[str, Reference] = {}
    for cell in app_cells(notebook, chapter.solution.name):
        lines = cell.body.splitlines()
        for block in find_blocks(cell.body, chapter.solution.name):
            label = f"{chapter.number:02d}.{len(found) + 1}"
            body = [line for line in lines[block.begin + 1 : block.end] if not STUB.match(line)]
            code = "\n".join(body).strip("\n")
            stub = tuple(stub_lines(block, label))
            found[label] = Reference(label, cell.path, block.task, code, stub)
    return found


def _known(chapter: Chapter, exercise: str, labels: list[str]) -> None:
    if exercise not in labels:
        known = ", ".join(labels) or "none"
        raise WorkbookError(f"chapter {chapter.name} has no exercise {exercise}; it has {known}")


def reference(text: str) -> Reference:
    chapter, exercise = exercise_label(text)
    found = references(chapter)
    _known(chapter, exercise, list(found))
    return found[exercise]


def hints_of(text: str) -> list[Hint]:
    from .build import read_notebook

    chapter, exercise = exercise_label(text)
    notebook = read_notebook(chapter.solution)
    _known(chapter, exercise, list(references(chapter, notebook)))
    hints = notebook_hints(notebook).get(exercise, [])
    if not hints:
        raise WorkbookError(f"exercise {exercise} has no hints in {chapter.solution.name}")
    return hints


def solution_text(ref: Reference, *, notebook: bool) -> str:
    """The reference answer, with how to put it into the workspace."""
    where = "in your notebook" if notebook else "in the chapter's notebook"
    stub = textwrap.indent("\n".join(ref.stub), "    ")
    code = textwrap.indent(ref.code, "    ")
    return (
        f"Reference answer to exercise {ref.exercise} ({ref.task}), in {ref.path}:\n\n"
        f"{code}\n\n"
        f"To use it: {where}, in the `%%app {ref.path}` cell, replace these lines\n\n"
        f"{stub}\n\n"
        "with the lines above (same indentation), then run the cell: it writes the file.\n"
        "(An edit of the file alone is overwritten the next time the cell runs.)"
    )


# ---- which hints a learner has seen ------------------------------------------


def _seen_file() -> Path:
    state = os.environ.get("WORKBOOK_STATE")
    return (Path(state) if state else paths.ROOT / ".workbook") / "hints-seen.json"


def seen() -> dict[str, int]:
    """Exercise -> how many of its hints were shown (a broken file counts as none)."""
    try:
        data = json.loads(_seen_file().read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, int)}


def mark_seen(exercise: str, count: int) -> None:
    """Remember that ``count`` hints of ``exercise`` were shown (never fewer than before)."""
    data = seen()
    if count <= data.get(exercise, 0):
        return
    data[exercise] = count
    target = _seen_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    except OSError:
        pass  # a read-only clone still shows hints; it only forgets which


def command(name: str, exercise: str, *, notebook: bool = False) -> str:
    """How to ask for a hint or a solution: in a terminal, or in a notebook cell."""
    return f'`{name}("{exercise}")`' if notebook else f"`workbook {name} {exercise}`"


def next_hints(
    text: str, *, everything: bool = False, notebook: bool = False
) -> tuple[list[Hint], str]:
    """The hints to show now for one exercise, and the line that says what comes next."""
    hints = hints_of(text)
    exercise = hints[0].exercise
    shown = seen().get(exercise, 0)
    again = ""
    if everything:
        chosen = hints
    elif shown < len(hints):
        chosen = [hints[shown]]
    else:
        chosen, again = hints, f"you have seen all {len(hints)} hints of {exercise}: "
    mark_seen(exercise, max(shown, chosen[-1].level))
    if chosen[-1].level < len(hints):
        then = f"hint {chosen[-1].level + 1} of {len(hints)}"
        after = f"next: {command('hint', exercise, notebook=notebook)} again, for {then}"
    else:
        after = f"{again}{command('solution', exercise, notebook=notebook)} shows the answer"
    return chosen, after


def format_hints(hints: list[Hint]) -> str:
    return "\n\n".join(f"{hint.title}\n{hint.text}" for hint in hints)


def chapter_hints(chapter: Chapter, *, everything: bool = False) -> str:
    """`workbook hint NN`: per exercise, the hints seen so far (at least the first)."""
    from .build import read_notebook

    notebook = read_notebook(chapter.solution)
    graded = notebook_hints(notebook)
    if not graded:  # hints without the graded heading: all of them, as they are
        plain = [c.source.strip() for c in notebook.cells if TAG in _tags(c)]
        return "\n\n".join(plain) or f"chapter {chapter.name} has no hints"
    done = seen()
    parts, further = [], []
    for exercise, hints in graded.items():
        count = len(hints) if everything else max(done.get(exercise, 0), 1)
        parts.append(format_hints(hints[:count]))
        mark_seen(exercise, count)
        if count < len(hints):
            further.append(exercise)
    if further:
        parts.append(f"more hints: `workbook hint {further[0]}` (or any of {', '.join(further)})")
    else:
        parts.append(
            f"that is every hint; `workbook solution {chapter.number:02d}.1` (and so on) "
            "shows a reference answer"
        )
    return "\n\n".join(parts)


# ---- the rules of AUTHORING.md, for tests/workbook/test_hints.py --------------


def _squeezed(text: str) -> str:
    return " ".join(text.split())


def _code_lines(code: str) -> list[str]:
    """The lines that make an answer: not comments, not docstrings."""
    lines = [_squeezed(line) for line in code.splitlines()]
    return [line for line in lines if line and not line.startswith(("#", '"""'))]


def hint_problems(chapter: Chapter, notebook: Any) -> list[str]:
    """What breaks the hint format: every exercise has 2+ graded hints, numbered
    1 of n to n of n, and its hints together never hold its solution block."""
    name = chapter.solution.name
    problems = []
    for index, cell in enumerate(notebook.cells):
        if TAG in _tags(cell) and parse_hint(cell.source) is None:
            problems.append(
                f"{name}, cell {index}: a hint starts with **Exercise NN.k · hint i of n.**"
            )
    graded = notebook_hints(notebook)
    answers = references(chapter, notebook)
    for exercise in graded.keys() - answers.keys():
        problems.append(f"{name}: hints for {exercise}, which is not an exercise")
    for exercise, ref in answers.items():
        hints = graded.get(exercise, [])
        if len(hints) < 2:
            problems.append(f"{name}: exercise {exercise} has {len(hints)} graded hint(s), not 2+")
            continue
        levels = [(h.level, h.total) for h in hints]
        if levels != [(n, len(hints)) for n in range(1, len(hints) + 1)]:
            problems.append(f"{name}: {exercise}'s hints are numbered {levels}, not 1..n of n")
        said = _squeezed(" ".join(h.text for h in hints).replace("`", ""))
        if _squeezed(ref.code) in said or all(line in said for line in _code_lines(ref.code)):
            problems.append(f"{name}: the hints of {exercise} hold its solution block verbatim")
    return problems
