"""The chapter tests that a later chapter retires: their ``until`` markers, read and checked.

``@pytest.mark.until(12, "chapter 13 makes get_db async")`` says a test applies up to
checkpoint 12 only: ``workbook check`` leaves it out from chapter 13 on
(``workbook.check_plugin._superseded``). Nothing else looks at the marker, so a typo
such as ``until(1)`` on a chapter-10 test would drop that test from every check, silently.
This module finds every ``until`` marker and says which ones cannot be right.

The chapter tests are read with ``ast``, never imported: they import the learner's app.
So the marker's arguments must be literals; one that is not is a problem, not skipped.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import paths

_TEST_MODULE = re.compile(r"^test_(\d\d)_\w+\.py$")

# The test of a module-level ``pytestmark``: every test of the module.
MODULE = ""


@dataclass(frozen=True)
class Until:
    """One ``until`` marker of a chapter test, as written."""

    path: Path  # the test module
    test: str  # the test function, ``TestClass::test_x``, or MODULE for ``pytestmark``
    line: int
    chapter: int  # the test's own chapter, from ``test_NN_slug.py``
    until: int | None  # the last checkpoint the test applies to; None: not an int literal
    reason: str | None  # "": none given; None: not a string literal
    source: str  # the marker as written, ``pytest.mark.until(12, "...")``
    unreadable: tuple[str, ...] = ()  # what else could not be read statically

    @property
    def nodeid(self) -> str:
        """``test_10_dependency_injection.py::test_x``, or the module for ``pytestmark``."""
        return f"{self.path.name}::{self.test}" if self.test else self.path.name


def until_markers(test_dir: Path) -> list[Until]:
    """Every ``until`` marker of the chapter test modules ``test_NN_*.py`` in ``test_dir``."""
    found: list[Until] = []
    for path in sorted(test_dir.glob("test_*.py")):
        match = _TEST_MODULE.match(path.name)
        if match:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            found.extend(_module_markers(path, int(match[1]), tree))
    return found


def problems(markers: Iterable[Until], chapter_numbers: Sequence[int]) -> list[str]:
    """One line per marker that cannot be right: where, which test, and the fix.

    ``until(N)`` keeps the test in the checks of chapters up to N. So N before the test's
    own chapter retires the test before it ever runs (N equal to it: the test runs in its
    own chapter's check only), and N at or after the last chapter retires nothing.
    """
    last = max(chapter_numbers, default=None)
    lines: list[str] = []
    for marker in markers:
        where = f"{_shown(marker.path)}:{marker.line}: {marker.test or 'pytestmark'}"
        for issue in marker.unreadable:
            lines.append(f"{where}: {marker.source}: {issue}")
        if marker.until is None:
            lines.append(
                f"{where}: {marker.source}: the chapter is missing or not an int literal; "
                f'write the last checkpoint the test applies to as a number, until(12, "...")'
            )
        elif marker.until < marker.chapter:
            lines.append(
                f"{where}: until({marker.until}) on a chapter-{marker.chapter:02d} test "
                f"retires it before it ever runs; give the last checkpoint it applies to, "
                f"{marker.chapter} or later"
            )
        elif last is not None and marker.until >= last:
            lines.append(
                f"{where}: until({marker.until}) retires nothing, chapter {last:02d} is the "
                f"last; give the checkpoint before the chapter that supersedes the test, "
                f"or drop the marker"
            )
        if marker.reason is None:
            lines.append(
                f"{where}: {marker.source}: the reason is not a string literal; write it "
                f"out, it is read without importing the test"
            )
        elif not marker.reason.strip():
            lines.append(
                f"{where}: {marker.source} gives no reason; add a string literal naming the "
                f'chapter that supersedes the test, until(12, "chapter 13 makes ...")'
            )
    return lines


def retirement_lines(markers: Iterable[Until]) -> list[str]:
    """One line per marker, by chapter: up to which checkpoint the test runs, and why."""
    lines: list[str] = []
    for marker in sorted(markers, key=lambda m: (m.chapter, m.path.name, m.line)):
        who = marker.nodeid if marker.test else f"{marker.nodeid} (every test)"
        upto = "?" if marker.until is None else f"{marker.until:02d}"
        why = marker.reason.strip() if marker.reason else "(no reason the workbook can read)"
        lines.append(f"{who} runs up to checkpoint {upto}, then retires: {why}")
    return lines


def _module_markers(path: Path, chapter: int, tree: ast.Module) -> Iterator[Until]:
    yield from _pytestmark(path, chapter, MODULE, tree.body)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _decorators(path, chapter, node.name, node)
        elif isinstance(node, ast.ClassDef):
            yield from _decorators(path, chapter, node.name, node)
            yield from _pytestmark(path, chapter, node.name, node.body)
            for method in node.body:
                if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield from _decorators(path, chapter, f"{node.name}::{method.name}", method)


def _decorators(
    path: Path, chapter: int, test: str, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
) -> Iterator[Until]:
    for decorator in node.decorator_list:
        if _is_until(decorator):
            yield _read(path, chapter, test, decorator)


def _pytestmark(path: Path, chapter: int, test: str, body: list[ast.stmt]) -> Iterator[Until]:
    """``pytestmark = pytest.mark.until(...)``, or a list or tuple holding it."""
    for statement in body:
        value: ast.expr | None = None
        if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in statement.targets
        ):
            value = statement.value
        elif (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.target.id == "pytestmark"
        ):
            value = statement.value
        if value is None:
            continue
        items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
        for item in items:
            if _is_until(item):
                yield _read(path, chapter, test, item)


def _is_until(node: ast.expr) -> bool:
    """``pytest.mark.until(...)`` or ``mark.until(...)``, called or not."""
    target = node.func if isinstance(node, ast.Call) else node
    return (
        isinstance(target, ast.Attribute)
        and target.attr == "until"
        and (
            (isinstance(target.value, ast.Attribute) and target.value.attr == "mark")
            or (isinstance(target.value, ast.Name) and target.value.id == "mark")
        )
    )


def _read(path: Path, chapter: int, test: str, node: ast.expr) -> Until:
    source = ast.unparse(node)
    if not isinstance(node, ast.Call):
        return Until(path, test, node.lineno, chapter, None, "", source)
    args = node.args
    unreadable: list[str] = []
    if node.keywords:
        names = ", ".join(k.arg or "**" for k in node.keywords)
        unreadable.append(
            f"keyword arguments ({names}) are not read; pass the chapter and the reason "
            f"positionally, as check_plugin reads them"
        )
    if len(args) > 2 or any(isinstance(a, ast.Starred) for a in args):
        unreadable.append("takes exactly two arguments, the chapter and the reason")
    until = _int_literal(args[0]) if args else None
    reason = _str_literal(args[1]) if len(args) > 1 else ""
    return Until(path, test, node.lineno, chapter, until, reason, source, tuple(unreadable))


def _int_literal(node: ast.expr) -> int | None:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    ):
        return node.value
    return None


def _str_literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _shown(path: Path) -> str:
    """The path from the repository root when it lies inside, else as given."""
    try:
        return path.resolve().relative_to(paths.ROOT.resolve()).as_posix()
    except ValueError:
        return str(path)
