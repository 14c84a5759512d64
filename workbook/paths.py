"""Where things live: the repository, its generated folders, the workspace."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("WORKBOOK_ROOT", Path(__file__).resolve().parents[1]))
SOLUTIONS = ROOT / "solutions"
CHAPTERS = ROOT / "chapters"
CHECKPOINTS = ROOT / "checkpoints"
CHAPTER_TESTS = ROOT / "tests" / "chapters"

# Files that are not part of an app state: caches, databases, editor litter.
IGNORED_NAMES = frozenset(
    {
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
        ".gitkeep",
        ".workbook-workspace",
    }
)
IGNORED_SUFFIXES = (".pyc", ".db", ".sqlite", ".sqlite3", ".db-journal", ".db-wal", ".db-shm")

# A workspace carries this file so that `reset` never empties a folder that
# is not one (a home directory given by mistake, say).
WORKSPACE_MARKER = ".workbook-workspace"


def workspace() -> Path:
    """The active workspace: $WORKBOOK_WORKSPACE, or workspace/ in the repository."""
    return Path(os.environ.get("WORKBOOK_WORKSPACE", ROOT / "workspace")).resolve()


def is_ignored(relative: Path) -> bool:
    return any(part in IGNORED_NAMES for part in relative.parts) or relative.name.endswith(
        IGNORED_SUFFIXES
    )


def tree_files(folder: Path) -> dict[str, bytes]:
    """Every file of an app state under ``folder``, by relative POSIX path."""
    files: dict[str, bytes] = {}
    if not folder.is_dir():
        return files
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not is_ignored(relative):
            files[relative.as_posix()] = path.read_bytes()
    return files


def cache() -> Path:
    """The workbook's caches (mypy's): `$WORKBOOK_CACHE`, default .cache/ in the clone.
    The freshness run (workbook/latest.py) keeps its own, for other releases of mypy."""
    return Path(os.environ.get("WORKBOOK_CACHE", ROOT / ".cache"))
