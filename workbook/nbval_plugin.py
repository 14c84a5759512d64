"""pytest plugin for the nbval run over solutions/ (ARCHITECTURE.md invariant 2).

Each solution notebook gets its own temporary workspace holding the
checkpoint it starts from, set before nbval starts the notebook's kernel
(the kernel inherits WORKBOOK_WORKSPACE). After its last cell, one more item
checks that the notebook left the workspace byte-equal to its checkpoint.
Outputs on stderr are not compared: ipykernel logs its start-up warnings
there, and they land in whichever cell runs when they are flushed.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from . import paths
from .chapters import Chapter, checkpoint_before, resolve
from .execute import notebook_tools
from .workspace import Workspace

_workspaces: dict[Path, Path] = {}


def _chapter(path: Path) -> Chapter | None:
    if path.parent.resolve() != paths.SOLUTIONS.resolve() or path.suffix != ".ipynb":
        return None
    return resolve(path.stem)


class ReplayMatchesCheckpoint(pytest.Item):
    """The files the notebook wrote are exactly the chapter's checkpoint."""

    def runtest(self) -> None:
        chapter = _chapter(self.path)
        assert chapter is not None
        written = paths.tree_files(_workspaces[self.path])
        expected = paths.tree_files(chapter.checkpoint)
        problems = []
        for name in sorted(written.keys() | expected.keys()):
            if name not in written:
                problems.append(f"not written by the notebook: {name}")
            elif name not in expected:
                problems.append(f"written but not in the checkpoint: {name}")
            elif written[name] != expected[name]:
                diff = difflib.unified_diff(
                    expected[name].decode().splitlines(),
                    written[name].decode().splitlines(),
                    lineterm="",
                )
                problems.append(f"differs: {name}\n" + "\n".join(list(diff)[:20]))
        if problems:
            raise AssertionError(
                f"{self.path.name} does not replay into {chapter.checkpoint.name} "
                "(run `workbook build`):\n" + "\n".join(problems)
            )

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.path.name}: workspace matches its checkpoint"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(session: pytest.Session, items: list[pytest.Item]) -> None:
    result: list[pytest.Item] = []
    for item in items:
        # The kernel's own start-up log lines reach stderr at no fixed cell.
        notebook = item.parent
        skip = getattr(notebook, "skip_compare", None)
        if notebook is not None and skip is not None and "stderr" not in skip:
            notebook.skip_compare = (*skip, "stderr")  # type: ignore[attr-defined]
    for index, item in enumerate(items):
        result.append(item)
        is_last_cell = index + 1 == len(items) or items[index + 1].parent is not item.parent
        if is_last_cell and item.parent is not None and _chapter(item.path):
            result.append(
                ReplayMatchesCheckpoint.from_parent(
                    item.parent, name="workspace matches checkpoint"
                )
            )
    items[:] = result


def _notebook_of(nodeid: str) -> str | None:
    """``solutions/01_x.ipynb`` for the id of one of its items, else None."""
    path, _, _ = nodeid.partition("::")
    return path if path.endswith(".ipynb") else None


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under xdist, a notebook's cells in order on one worker (they share its kernel),
    and every other test on whichever worker is free: the invariant tests of one
    file spread over the workers. (xdist's own loadgroup cannot do this under
    pytest 9, whose node ids ignore the group suffix xdist adds.)"""
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    class NotebooksTogether(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return _notebook_of(nodeid) or nodeid

    return NotebooksTogether(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    chapter = _chapter(item.path)
    if chapter is not None:
        # The stored outputs have local links, also when replayed on a JupyterHub.
        os.environ["WORKBOOK_LINKS"] = "local"
        os.environ.update(notebook_tools())
    if chapter is None or item.path in _workspaces:
        if item.path in _workspaces:
            os.environ["WORKBOOK_WORKSPACE"] = str(_workspaces[item.path])
        return
    folder = Path(tempfile.mkdtemp(prefix=f"replay-{chapter.number:02d}-")) / "workspace"
    Workspace(folder).set_to(checkpoint_before(chapter))
    _workspaces[item.path] = folder
    os.environ["WORKBOOK_WORKSPACE"] = str(folder)


def pytest_sessionfinish(session: pytest.Session) -> None:
    for folder in _workspaces.values():
        shutil.rmtree(folder.parent, ignore_errors=True)
