"""``%%app PATH`` cells: what they write, read the same way by the magic and the build."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from .errors import WorkbookError
from .markers import find_blocks, replace_blocks

MAGIC = "%%app"


@dataclass(frozen=True)
class AppCell:
    index: int
    path: str
    body: str


def parse_target(line: str, where: str) -> str:
    """The file named on a ``%%app`` line, checked to stay inside the workspace."""
    parts = line.split()
    if len(parts) != 1:
        raise WorkbookError(f"{where}: write %%app PATH with exactly one relative path")
    target = PurePosixPath(parts[0])
    if target.is_absolute() or ".." in target.parts:
        raise WorkbookError(f"{where}: {parts[0]!r} must be a relative path inside the workspace")
    return target.as_posix()


def file_text(body: str, where: str) -> str:
    """The file a cell body becomes: markers dropped, exactly one final newline."""
    text = replace_blocks(body, find_blocks(body, where), {}).rstrip()
    return text + "\n" if text else ""


def app_cells(notebook: Any, name: str) -> list[AppCell]:
    """The ``%%app`` cells of a notebook, in order."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.source.startswith(MAGIC):
            continue
        first, _, body = cell.source.partition("\n")
        where = f"{name}, cell {index}"
        found.append(AppCell(index, parse_target(first[len(MAGIC) :], where), body))
    return found
