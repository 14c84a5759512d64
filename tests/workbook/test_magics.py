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


@pytest.mark.parametrize("where", ["a laptop", "a hub without jupyter-server-proxy"])
def test_serve_keeps_the_plain_link_where_no_proxy_can_carry_it(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from workbook import links, magics

    from .conftest import CHAPTERS, copy_tree

    copy_tree(CHAPTERS[0].checkpoint, tmp_path / "ws")
    monkeypatch.setenv("WORKBOOK_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.delenv("WORKBOOK_LINKS", raising=False)
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    if where != "a laptop":
        monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ada/")
        monkeypatch.setattr(links, "proxy_installed", lambda: False)
    server = magics.serve()
    try:
        out = capsys.readouterr().out
        assert f"Your app is running at {server.url} (API docs at {server.url}/docs)" in out
        assert ("pip install jupyter-server-proxy" in out) == (where != "a laptop"), out
        assert server.get("/docs").status_code == 200
    finally:
        server.stop()
