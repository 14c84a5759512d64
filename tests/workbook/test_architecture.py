"""Every Markdown file the repository names is in the repository.

A fresh clone holds nothing but the repository, so the Markdown pages at its
root, and the docstrings and comments of workbook/ and tests/, may only point
at files inside it.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A file name ending in .md, with an optional relative folder: ARCHITECTURE.md,
# reports/timings.md. Not the tail of a longer path or of a URL.
MARKDOWN_NAME = re.compile(r"(?<![\w/.-])([\w.-]+(?:/[\w.-]+)*\.md)(?!\w)")
# Written by `workbook verify` (and `verify --latest`) into the git-ignored reports/ folder.
GENERATED = {"timings.md", "latest.md"}
OUTSIDE = "shared/"


def python_files() -> list[Path]:
    return sorted(ROOT.glob("workbook/*.py")) + sorted(ROOT.glob("tests/**/*.py"))


def docs_and_comments(path: Path) -> str:
    """The docstrings and comments of a Python file, joined by newlines."""
    source = path.read_text(encoding="utf-8")
    texts = [
        token.string
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    ]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            texts.append(ast.get_docstring(node) or "")
    return "\n".join(texts)


def texts() -> list[object]:
    """(file, the text of it to read) for each file whose references must resolve."""
    files = [(path, path.read_text(encoding="utf-8")) for path in sorted(ROOT.glob("*.md"))]
    files += [(path, docs_and_comments(path)) for path in python_files()]
    return [pytest.param(path, text, id=path.relative_to(ROOT).as_posix()) for path, text in files]


def in_repository(folder: Path, name: str) -> bool:
    """``name``, read from ``folder``, is a file inside the repository."""
    target = (folder / name).resolve()
    return target.is_relative_to(ROOT.resolve()) and target.is_file()


def test_the_root_pages_are_there() -> None:
    for name in ("README.md", "AUTHORING.md", "INSTRUCTORS.md", "ARCHITECTURE.md"):
        assert (ROOT / name).is_file(), f"{name} is missing at the repository root"


@pytest.mark.parametrize(("path", "text"), texts())
def test_every_markdown_file_named_exists(path: Path, text: str) -> None:
    where = path.relative_to(ROOT)
    for name in sorted(set(MARKDOWN_NAME.findall(text))):
        if Path(name).name in GENERATED:
            continue
        found = in_repository(ROOT, name) or in_repository(path.parent, name)
        assert found, f"{where} names {name}, which is not in the repository"


@pytest.mark.parametrize(("path", "text"), texts())
def test_nothing_points_outside_the_repository(path: Path, text: str) -> None:
    for line in text.splitlines():
        assert OUTSIDE not in line, (
            f"{path.relative_to(ROOT)} mentions {OUTSIDE!r} ({line.strip()!r}): "
            "refer to files inside the repository"
        )
