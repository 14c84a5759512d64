"""The chapters, found from the solution notebooks, and how users name them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .errors import WorkbookError

_NOTEBOOK_NAME = re.compile(r"^(\d\d)_([a-z0-9_]+)\.ipynb$")
_TEST_MODULE = re.compile(r"test_(\d\d)_")
START = "00_start"


@dataclass(frozen=True, order=True)
class Chapter:
    number: int
    slug: str

    @property
    def name(self) -> str:
        """``03_project_structure``: the stem shared by every file of the chapter."""
        return f"{self.number:02d}_{self.slug}"

    @property
    def solution(self) -> Path:
        return paths.SOLUTIONS / f"{self.name}.ipynb"

    @property
    def learner(self) -> Path:
        return paths.CHAPTERS / f"{self.name}.ipynb"

    @property
    def checkpoint(self) -> Path:
        return paths.CHECKPOINTS / self.name

    @property
    def tests(self) -> Path:
        return paths.CHAPTER_TESTS / f"test_{self.name}.py"


def all_chapters() -> list[Chapter]:
    found = []
    for path in sorted(paths.SOLUTIONS.glob("*.ipynb")):
        match = _NOTEBOOK_NAME.match(path.name)
        if match:
            found.append(Chapter(int(match[1]), match[2]))
    return found


def resolve(text: str) -> Chapter:
    """Accept ``3``, ``03`` or ``03_project_structure``."""
    chapters = all_chapters()
    wanted = text.strip()
    for chapter in chapters:
        if wanted in (chapter.name, chapter.slug) or (
            wanted.isdigit() and int(wanted) == chapter.number
        ):
            return chapter
    known = ", ".join(f"{c.number:02d}" for c in chapters) or "none yet"
    raise WorkbookError(f"unknown chapter {text!r}; chapters are {known}")


def checkpoint_before(chapter: Chapter) -> Path:
    """The app state a chapter starts from: the previous checkpoint."""
    earlier = [c for c in all_chapters() if c.number < chapter.number]
    return earlier[-1].checkpoint if earlier else paths.CHECKPOINTS / START


def chapter_of(nodeid: str) -> int:
    """The chapter a test belongs to, from its module name ``test_NN_slug``."""
    match = _TEST_MODULE.search(nodeid)
    return int(match[1]) if match else 0
