"""Invariant 7: nothing of the learner's is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbook.errors import WorkbookError
from workbook.workspace import Workspace


def checkpoint(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / f"checkpoint-{abs(hash(text))}"
    (folder / "app").mkdir(parents=True)
    (folder / "app/main.py").write_text(text)
    return folder


def test_setting_a_checkpoint_keeps_the_previous_files_in_a_named_backup(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "workspace")
    workspace.write("app/main.py", "my work\n")
    (workspace.root / "notes.txt").write_text("my notes")
    backup = workspace.set_to(checkpoint(tmp_path, "reference\n"))
    assert backup is not None and backup.is_dir()
    assert (backup / "app/main.py").read_text() == "my work\n"
    assert (backup / "notes.txt").read_text() == "my notes"
    assert (workspace.root / "app/main.py").read_text() == "reference\n"
    assert not (workspace.root / "notes.txt").exists()


def test_an_empty_workspace_needs_no_backup(tmp_path: Path) -> None:
    assert Workspace(tmp_path / "new").set_to(checkpoint(tmp_path, "x\n")) is None


def test_a_folder_that_is_not_a_workspace_is_never_emptied(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("precious")
    with pytest.raises(WorkbookError, match="is not a workbook workspace"):
        Workspace(home).set_to(checkpoint(tmp_path, "x\n"))
    assert (home / "thesis.tex").read_text() == "precious"


def test_writing_over_a_hand_edited_file_keeps_the_edit(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "workspace")
    assert workspace.write("app/main.py", "one\n") == "created app/main.py (1 line)"
    assert workspace.write("app/main.py", "two\nlines\n") == "updated app/main.py (2 lines)"
    (workspace.root / "app/main.py").write_text("edited in my editor\n")
    message = workspace.write("app/main.py", "three\n")
    assert message.startswith("updated app/main.py (1 line) (your edited version is kept in ")
    kept = Path(message.rsplit("kept in ", 1)[1].rstrip(")"))
    assert kept.read_text() == "edited in my editor\n"


def test_rewriting_the_same_text_says_unchanged(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "workspace")
    workspace.write("app/main.py", "same\n")
    assert workspace.write("app/main.py", "same\n") == "unchanged app/main.py (1 line)"
