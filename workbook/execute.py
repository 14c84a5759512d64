"""Run a notebook for real, on a workspace that holds the state it starts from."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .build import dump_notebook, read_notebook
from .chapters import Chapter, checkpoint_before
from .check import mypy_cache
from .workspace import Workspace


def notebook_tools() -> dict[str, str]:
    """The mypy a notebook runs (chapter 02) reads the libraries' types from the checks'
    warm cache, not afresh in each copied workspace (4 s a run)."""
    return {"MYPY_CACHE_DIR": str(mypy_cache())}


@contextmanager
def workspace_env(folder: Path) -> Iterator[None]:
    """Point kernels started inside this block at ``folder``, with local links: stored
    outputs are the same when recorded in a terminal of a JupyterHub (workbook/links.py)."""
    wanted = {"WORKBOOK_WORKSPACE": str(folder), "WORKBOOK_LINKS": "local", **notebook_tools()}
    old = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in old.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


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


# Free ports differ at every run: stored as PORT, they leave no noise in git
# diffs or in the exported site (nbval's port rule matches both forms).
_PORT = re.compile(r"127\.0\.0\.1:\d+")


def _store_ports_as_placeholder(notebook: nbformat.NotebookNode) -> None:
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = _PORT.sub("127.0.0.1:PORT", output["text"])
            for kind, value in output.get("data", {}).items():
                if isinstance(value, str) and kind.startswith("text/"):
                    output["data"][kind] = _PORT.sub("127.0.0.1:PORT", value)


def record_outputs(chapter: Chapter, workspace: Path) -> None:
    """Store fresh outputs in the solution notebook (the instructor's `execute`)."""
    notebook = run_notebook(chapter.solution, workspace, chapter)
    _store_ports_as_placeholder(notebook)
    chapter.solution.write_bytes(dump_notebook(notebook))
