"""The ``until`` markers of the chapter tests: read statically, each one plausible."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbook import paths
from workbook.chapters import all_chapters
from workbook.retired import MODULE, Until, problems, retirement_lines, until_markers

CHAPTERS = [chapter.number for chapter in all_chapters()]
FAKE_CHAPTERS = list(range(1, 15))  # the fake modules below assume chapters 01 to 14

HEADER = "import pytest\n\n\n"


def fake_module(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(HEADER + body)
    return path


def test_the_chapter_tests_have_until_markers() -> None:
    """The check below has something to check: the real tests retire some tests."""
    markers = until_markers(paths.CHAPTER_TESTS)
    assert markers, f"no until marker found in {paths.CHAPTER_TESTS}"
    assert all(m.until is not None and m.reason for m in markers), markers


def test_the_chapter_tests_until_markers_are_plausible() -> None:
    found = problems(until_markers(paths.CHAPTER_TESTS), CHAPTERS)
    assert not found, "\n".join(found)


def test_a_marker_is_read_as_written(tmp_path: Path) -> None:
    path = fake_module(
        tmp_path,
        "test_10_demo.py",
        '@pytest.mark.slow\n@pytest.mark.until(12, "chapter 13 makes it async")\n'
        "def test_x() -> None:\n    pass\n",
    )
    assert until_markers(tmp_path) == [
        Until(
            path=path,
            test="test_x",
            line=5,
            chapter=10,
            until=12,
            reason="chapter 13 makes it async",
            source="pytest.mark.until(12, 'chapter 13 makes it async')",
        )
    ]
    assert problems(until_markers(tmp_path), FAKE_CHAPTERS) == []


WRONG = {
    "before_its_chapter": ('@pytest.mark.until(1, "chapter 02 changes it")', "before it ever runs"),
    "at_the_last_chapter": ('@pytest.mark.until(14, "chapter 15 changes it")', "retires nothing"),
    "past_the_last_chapter": ('@pytest.mark.until(99, "later")', "retires nothing"),
    "without_reason": ("@pytest.mark.until(12)", "gives no reason"),
    "with_an_empty_reason": ('@pytest.mark.until(12, "  ")', "gives no reason"),
    "with_a_named_chapter": ('@pytest.mark.until(LAST, "later")', "not an int literal"),
    "with_a_bool_chapter": ('@pytest.mark.until(True, "later")', "not an int literal"),
    "with_a_computed_reason": ('@pytest.mark.until(12, "a" + "b")', "not a string literal"),
    "with_keywords": ('@pytest.mark.until(12, reason="later")', "keyword arguments"),
    "without_arguments": ("@pytest.mark.until", "not an int literal"),
}


@pytest.mark.parametrize("name", WRONG)
def test_a_wrong_marker_is_a_problem(tmp_path: Path, name: str) -> None:
    decorator, words = WRONG[name]
    test = f"test_{name}"
    fake_module(tmp_path, "test_10_demo.py", f"{decorator}\ndef {test}() -> None:\n    pass\n")
    markers = until_markers(tmp_path)
    assert [m.test for m in markers] == [test], f"{decorator} was not found: {markers}"
    found = problems(markers, FAKE_CHAPTERS)
    assert found, f"{decorator} on a chapter-10 test is no problem"
    assert all(f"test_10_demo.py:4: {test}:" in line for line in found), found
    assert any(words in line for line in found), f"no line says {words!r}: {found}"


def test_the_problems_of_one_module_are_each_reported(tmp_path: Path) -> None:
    body = "".join(
        f"{decorator}\ndef test_{name}() -> None:\n    pass\n\n\n"
        for name, (decorator, _) in WRONG.items()
    )
    fake_module(tmp_path, "test_10_demo.py", body)
    found = problems(until_markers(tmp_path), FAKE_CHAPTERS)
    for name in WRONG:
        assert any(f" test_{name}:" in line for line in found), f"test_{name} not in {found}"


def test_until_its_own_chapter_runs_in_that_chapter_only(tmp_path: Path) -> None:
    """``until(N)`` on a chapter-N test: check_plugin keeps it in check N, drops it after.

    Not a mistake: chapter 05's ``test_user_is_created`` is ``until(5)``, since chapter 06
    requires a password. One chapter earlier is the mistake.
    """
    fake_module(
        tmp_path,
        "test_05_demo.py",
        '@pytest.mark.until(5, "chapter 06 requires a password")\n'
        "def test_own() -> None:\n    pass\n\n\n"
        '@pytest.mark.until(4, "chapter 05 ...")\n'
        "def test_earlier() -> None:\n    pass\n",
    )
    found = problems(until_markers(tmp_path), FAKE_CHAPTERS)
    assert len(found) == 1 and " test_earlier:" in found[0], found


def test_pytestmark_and_classes_are_read(tmp_path: Path) -> None:
    fake_module(
        tmp_path,
        "test_10_demo.py",
        'pytestmark = [pytest.mark.slow, pytest.mark.until(12, "module")]\n\n\n'
        "class TestGroup:\n"
        '    pytestmark = pytest.mark.until(1, "class")\n\n'
        '    @pytest.mark.until(n, "method")\n'
        "    def test_m(self) -> None:\n        pass\n",
    )
    markers = until_markers(tmp_path)
    assert [(m.test, m.until, m.reason) for m in markers] == [
        (MODULE, 12, "module"),
        ("TestGroup", 1, "class"),
        ("TestGroup::test_m", None, "method"),
    ]
    found = problems(markers, FAKE_CHAPTERS)
    assert [line.split(": ")[1] for line in found] == ["TestGroup", "TestGroup::test_m"], found


def test_modules_that_are_not_chapter_tests_are_left_out(tmp_path: Path) -> None:
    fake_module(tmp_path, "conftest.py", '@pytest.mark.until(1, "x")\ndef test_x() -> None: ...\n')
    fake_module(tmp_path, "test_demo.py", '@pytest.mark.until(1, "x")\ndef test_x() -> None: ...\n')
    assert until_markers(tmp_path) == []


def test_retirement_lines_name_each_test_and_its_reason(tmp_path: Path) -> None:
    fake_module(
        tmp_path,
        "test_12_later.py",
        '@pytest.mark.until(13, "chapter 14 moves the commit")\ndef test_b() -> None: ...\n',
    )
    fake_module(
        tmp_path,
        "test_05_early.py",
        '@pytest.mark.until(5, "chapter 06 requires a password")\ndef test_a() -> None: ...\n',
    )
    assert retirement_lines(until_markers(tmp_path)) == [
        "test_05_early.py::test_a runs up to checkpoint 05, then retires: "
        "chapter 06 requires a password",
        "test_12_later.py::test_b runs up to checkpoint 13, then retires: "
        "chapter 14 moves the commit",
    ]


def test_retirement_lines_of_the_chapter_tests() -> None:
    markers = until_markers(paths.CHAPTER_TESTS)
    lines = retirement_lines(markers)
    assert len(lines) == len(markers)
    for marker in markers:
        assert any(
            line.startswith(f"{marker.nodeid} runs up to checkpoint {marker.until:02d}")
            and str(marker.reason) in line
            for line in lines
        ), f"{marker.nodeid} not in {lines}"
