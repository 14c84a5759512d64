"""The nbval sanitizers: stored outputs keep what a reader checks, not what moves."""

from __future__ import annotations

import configparser
import re

from workbook import paths

RULES = configparser.ConfigParser()
RULES.read(paths.ROOT / "workbook" / "sanitize.cfg")


def sanitized(text: str) -> str:
    for name in RULES.sections():
        text = re.sub(RULES[name]["regex"], RULES[name]["replace"], text)
    return text


def test_a_check_table_keeps_its_verdict_and_failures_but_not_its_counts() -> None:
    """A test added to chapter 03 must not change the stored check of chapter 14."""
    before = "  03  pass   all 19 tests of chapter 03\n221 passed, 0 failed in 4.8 s: all done!"
    after = "  03  pass   all 20 tests of chapter 03\n222 passed, 0 failed in 5.1 s: all done!"
    assert sanitized(before) == sanitized(after)
    failing = "221 passed, 1 failed in 4.8 s: keep going: fix the first FAIL above"
    assert sanitized(failing) != sanitized(before.splitlines()[1]), "a failure must show"
    assert "all done!" in sanitized(before) and "1 failed" in sanitized(failing)


def test_a_link_through_the_jupyter_server_keeps_its_path_but_not_its_port() -> None:
    one = "Your app is running at /user/ada/proxy/41213/ (API docs at /user/ada/proxy/41213/docs)"
    two = one.replace("41213", "39001")
    assert sanitized(one) == sanitized(two)
    assert "/user/ada/proxy/PORT/docs" in sanitized(one)


def test_chapter_20s_check_reads_the_same_with_or_without_a_browser() -> None:
    """CI installs Chromium; a machine without it skips the browser test, nothing more."""
    row = "  20  {}   two chat pages exchange a message in a real browser\n"
    ran = row.format("pass") + "367 passed, 0 failed in 31.1 s: all done!"
    skipped = (
        row.format("skip")
        + "             -> no Chromium here (apt-get install chromium)\n"
        + "366 passed, 0 failed, 1 skipped in 29.0 s: all done!"
    )
    assert sanitized(ran) == sanitized(skipped)
    failing = row.format("FAIL") + "366 passed, 1 failed in 31.1 s: keep going"
    assert sanitized(failing) != sanitized(ran), "a failing browser test must still show"
