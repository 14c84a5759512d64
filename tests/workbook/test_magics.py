"""The notebook side: ``%%app`` in a real IPython shell."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> InteractiveShell:
    monkeypatch.setenv("WORKBOOK_WORKSPACE", str(tmp_path / "ws"))
    ipython = InteractiveShell.instance()
    ipython.run_cell("%load_ext workbook")
    return ipython


def test_app_magic_writes_the_cell_without_markers(
    shell: InteractiveShell, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_cell(
        "%%app app/main.py\nx = 1\n### BEGIN SOLUTION do it\ny = 2\n### END SOLUTION\n\n"
    )
    assert (tmp_path / "ws/app/main.py").read_text() == "x = 1\ny = 2\n"
    assert capsys.readouterr().out == "created app/main.py (2 lines)\n"


def test_app_magic_refuses_paths_outside_the_workspace(
    shell: InteractiveShell, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_cell("%%app ../escape.py\nx = 1\n")
    assert not (tmp_path / "escape.py").exists()
    assert "must be a relative path inside the workspace" in capsys.readouterr().out


def test_setup_puts_check_serve_and_show_in_the_namespace(shell: InteractiveShell) -> None:
    assert {"check", "serve", "show", "hint", "solution"} <= set(shell.user_ns)
