"""The solution-marker grammar, and turning solution blocks into stubs.

| line in a solution cell         | meaning                                                  |
| ------------------------------- | -------------------------------------------------------- |
| ``### BEGIN SOLUTION [task]``    | starts an exercise; ``task`` is the TODO the learner sees |
| ``### STUB code``                | (inside a block) code the learner version keeps instead   |
| ``### END SOLUTION``             | ends the exercise                                         |

Without ``### STUB`` lines, an indented block (a function body) becomes
``raise NotImplementedError(...)`` and a top-level block becomes only the
TODO comment, so the learner's module still imports. Markers may only stand
in ``%%app`` cells: an exercise must change the app, or no test can see it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import WorkbookError

BEGIN = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION(?:[ :]+(?P<task>.*))?$")
STUB = re.compile(r"^[ \t]*### STUB ?(?P<code>.*)$")
END = re.compile(r"^[ \t]*### END SOLUTION\s*$")
ANY_MARKER = re.compile(r"^[ \t]*###[ \t]*(BEGIN|END|STUB)")


class MarkerError(WorkbookError):
    """A malformed marker; the message names the notebook and the cell."""


@dataclass(frozen=True)
class Block:
    """One exercise: lines ``begin`` to ``end`` (inclusive) of a cell's source."""

    begin: int
    end: int
    indent: str
    task: str
    stub: tuple[str, ...]


def find_blocks(source: str, where: str) -> list[Block]:
    """Parse the blocks of one cell; ``where`` names the cell in errors."""
    blocks: list[Block] = []
    open_at: int | None = None
    indent = task = ""
    stub: list[str] = []
    for number, line in enumerate(source.splitlines()):
        if begin := BEGIN.match(line):
            if open_at is not None:
                raise MarkerError(
                    f"{where}, line {number + 1}: BEGIN SOLUTION inside the block opened "
                    f"on line {open_at + 1}; close it with ### END SOLUTION first"
                )
            open_at, indent, task, stub = number, begin["indent"], (begin["task"] or ""), []
        elif stub_line := STUB.match(line):
            if open_at is None:
                raise MarkerError(f"{where}, line {number + 1}: ### STUB outside a solution block")
            # A bare ### STUB is a blank line of the stub: no indentation left on it.
            stub.append(indent + stub_line["code"] if stub_line["code"] else "")
        elif END.match(line):
            if open_at is None:
                raise MarkerError(f"{where}, line {number + 1}: END SOLUTION without a BEGIN")
            blocks.append(Block(open_at, number, indent, task.strip(), tuple(stub)))
            open_at = None
        elif ANY_MARKER.match(line):
            raise MarkerError(f"{where}, line {number + 1}: malformed marker {line.strip()!r}")
    if open_at is not None:
        raise MarkerError(f"{where}, line {open_at + 1}: BEGIN SOLUTION is never closed")
    return blocks


def stub_lines(block: Block, label: str) -> list[str]:
    """What the learner sees in place of ``block``; ``label`` is like ``01.2``."""
    task = f": {block.task}" if block.task else ""
    lines = [
        f"{block.indent}# TODO exercise {label}{task}",
        f"{block.indent}# (stuck? open the hints below, or run: workbook hint {label})",
    ]
    if block.stub:
        lines.extend(block.stub)
    elif block.indent:
        lines.append(f'{block.indent}raise NotImplementedError("exercise {label}")')
    return lines


def replace_blocks(source: str, blocks: list[Block], stubs: dict[int, list[str]]) -> str:
    """Replace the blocks whose index is in ``stubs``; drop the markers of the rest."""
    lines = source.splitlines()
    out: list[str] = []
    position = 0
    for index, block in enumerate(blocks):
        out.extend(lines[position : block.begin])
        if index in stubs:
            out.extend(stubs[index])
        else:
            out.extend(line for line in lines[block.begin + 1 : block.end] if not STUB.match(line))
        position = block.end + 1
    out.extend(lines[position:])
    return "\n".join(out)
