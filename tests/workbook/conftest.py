"""Shared helpers of the tooling tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from workbook import paths
from workbook.chapters import Chapter, all_chapters

CHAPTERS = all_chapters()


@pytest.fixture(autouse=True)
def _hints_seen_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`workbook hint` remembers what it showed: never in the repository during tests."""
    monkeypatch.setenv("WORKBOOK_STATE", str(tmp_path / "state"))


def chapter_params() -> list[object]:
    """One pytest parameter per chapter, named ``01_philosophy`` and so on."""
    return [pytest.param(chapter, id=chapter.name) for chapter in CHAPTERS]


def copy_tree(source: Path, target: Path) -> Path:
    """A private copy of an app folder, so tests never write into checkpoints/."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*paths.IGNORED_NAMES))
    return target


@pytest.fixture
def fresh_checkpoint(tmp_path: Path) -> Callable[[Chapter], Path]:
    """Makes a private copy of a chapter's checkpoint."""

    def make(chapter: Chapter) -> Path:
        return copy_tree(chapter.checkpoint, tmp_path / chapter.name)

    return make
