"""Run a notebook for real, on a workspace that holds the state it starts from."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .build import dump_notebook, read_notebook
from .chapters import Chapter, checkpoint_before
from .workspace import Workspace


@contextmanager
def workspace_env(folder: Path) -> Iterator[None]:
    """Point kernels started inside this block at ``folder``."""
    old = os.environ.get("WORKBOOK_WORKSPACE")
    os.environ["WORKBOOK_WORKSPACE"] = str(folder)
    try:
        yield
    finally:
        if old is None:
            del os.environ["WORKBOOK_WORKSPACE"]
        else:
            os.environ["WORKBOOK_WORKSPACE"] = old


def run_notebook(path: Path, workspace: Path, chapter: Chapter) -> nbformat.NotebookNode:
    """Execute ``path`` on ``workspace``, first set to the checkpoint before ``chapter``."""
    Workspace(workspace).set_to(checkpoint_before(chapter))
    notebook = read_notebook(path)
    client = NotebookClient(
        notebook,
        timeout=300,
        record_timing=False,  # timestamps in cell metadata would change every run
        kernel_name="python3",
        # ipykernel 7 logs a warning about TCP at start; it can land in any
        # cell's output, so it must not be stored.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        resources={"metadata": {"path": str(path.parent)}},
    )
    with workspace_env(workspace):
        client.execute()
    return notebook


def record_outputs(chapter: Chapter, workspace: Path) -> None:
    """Store fresh outputs in the solution notebook (the instructor's `execute`)."""
    notebook = run_notebook(chapter.solution, workspace, chapter)
    chapter.solution.write_bytes(dump_notebook(notebook))
