"""Generate chapters/ and checkpoints/ from solutions/, or check they are in sync.

The build is pure: it computes every generated file in memory from the
solution notebooks alone, then compares or writes. Learners fill in
exercises in chapters/, so a learner notebook that is neither what the build
would write nor what it wrote last time (digests kept in the git-ignored
.workbook-build.json) is copied aside before it is replaced.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import nbformat

from . import paths
from .appcells import app_cells, file_text
from .chapters import START, Chapter, all_chapters
from .errors import WorkbookError
from .transforms import learner_notebook

GENERATED = ("chapters", "checkpoints")


def read_notebook(path: Path) -> nbformat.NotebookNode:
    try:
        notebook: nbformat.NotebookNode = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    except ValueError as error:  # NotJSONError is one
        raise WorkbookError(
            f"{path} is not a valid notebook: {str(error).splitlines()[0]}"
        ) from None
    return notebook


def dump_notebook(notebook: nbformat.NotebookNode) -> bytes:
    text: str = nbformat.writes(notebook)  # type: ignore[no-untyped-call]
    return (text + "\n").encode()


def chapter_states() -> Iterator[tuple[Chapter, nbformat.NotebookNode, dict[str, str]]]:
    """Each chapter's solution, its learner notebook, and the app's files at its end."""
    state: dict[str, str] = {}
    for chapter in all_chapters():
        solution = read_notebook(chapter.solution)
        learner = learner_notebook(solution, chapter.solution.name, chapter.number, dict(state))
        for cell in app_cells(solution, chapter.solution.name):
            state[cell.path] = file_text(cell.body, f"{chapter.solution.name}, cell {cell.index}")
        yield chapter, learner, dict(state)


def expected_files() -> dict[str, bytes]:
    """Every generated file, by path relative to the repository."""
    files: dict[str, bytes] = {f"checkpoints/{START}/.gitkeep": b""}
    for chapter, learner, state in chapter_states():
        files[f"chapters/{chapter.name}.ipynb"] = dump_notebook(learner)
        for relative, text in state.items():
            files[f"checkpoints/{chapter.name}/{relative}"] = text.encode()
    return files


def existing_files() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for folder in GENERATED:
        for relative, data in paths.tree_files(paths.ROOT / folder).items():
            files[f"{folder}/{relative}"] = data
    gitkeep = paths.CHECKPOINTS / START / ".gitkeep"  # tree_files skips it
    if gitkeep.is_file():
        files[f"checkpoints/{START}/.gitkeep"] = gitkeep.read_bytes()
    return files


def differences() -> tuple[dict[str, bytes], list[str]]:
    """What the build would write, and the sorted paths that differ now."""
    expected, existing = expected_files(), existing_files()
    changed = sorted(
        p for p in expected.keys() | existing.keys() if expected.get(p) != existing.get(p)
    )
    return expected, changed


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _learner_edited(relative: str, last_built: dict[str, str]) -> bool:
    target = paths.ROOT / relative
    return (
        relative.startswith("chapters/")
        and target.is_file()
        and _digest(target.read_bytes()) != last_built.get(relative)
    )


def build() -> list[str]:
    """Write the generated files; return what changed, one line each."""
    expected, changed = differences()
    manifest = paths.ROOT / ".workbook-build.json"
    last_built = json.loads(manifest.read_text()) if manifest.is_file() else {}
    backup = paths.ROOT / "workspace-backups" / datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    lines = []
    for relative in changed:
        target = paths.ROOT / relative
        if _learner_edited(relative, last_built):
            kept = backup / relative
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, kept)
            lines.append(f"kept your copy of {relative} in {kept}")
        if relative in expected:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(expected[relative])
            lines.append(f"wrote {relative}")
        else:
            target.unlink()
            lines.append(f"removed {relative}")
    for folder in GENERATED:  # drop folders emptied by removals
        for directory in sorted((paths.ROOT / folder).rglob("*"), reverse=True):
            if directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()
    built = {p: _digest(data) for p, data in expected.items() if p.startswith("chapters/")}
    manifest.write_text(json.dumps(built, indent=1, sort_keys=True) + "\n")
    return lines
