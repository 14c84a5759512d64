"""INSTRUCTORS.md plans with the chapters' own estimates: its table of minutes is the title
cells' (each `**Estimated time**: N min`), every chapter in it once, and its total their sum.
A plan built on a stale table runs over or ends early, and nobody notices until the day.
"""

from __future__ import annotations

import re

from workbook import paths
from workbook.chapters import all_chapters

ESTIMATE = re.compile(r"\*\*Estimated time\*\*: (\d+) min")
ROW = re.compile(r"^\| (\d\d) \| [^|]+ \| (\d+) \|$", re.M)
TOTAL = re.compile(r"^\| \| \*\*01–(\d\d)\*\* \| \*\*(\d+)\*\* \|$", re.M)


def title_estimates() -> dict[int, int]:
    estimates = {}
    for chapter in all_chapters():
        found = ESTIMATE.search(chapter.solution.read_text(encoding="utf-8"))
        assert found, f"{chapter.solution.name} has no **Estimated time**: N min in its title"
        estimates[chapter.number] = int(found[1])
    return estimates


def test_the_estimates_table_is_the_title_cells() -> None:
    text = (paths.ROOT / "INSTRUCTORS.md").read_text(encoding="utf-8")
    table = [(int(number), int(minutes)) for number, minutes in ROW.findall(text)]
    estimates = title_estimates()
    assert sorted(n for n, _ in table) == sorted(estimates), (
        "INSTRUCTORS.md's table of estimates must list every chapter once: "
        f"it lists {[n for n, _ in table]}"
    )
    wrong = [
        f"{n:02}: {m} here, {estimates[n]} in its title" for n, m in table if m != estimates[n]
    ]
    assert not wrong, "INSTRUCTORS.md's estimates differ from the title cells: " + "; ".join(wrong)
    total = TOTAL.search(text)
    assert total, "INSTRUCTORS.md's table has no total row | | **01–NN** | **minutes** |"
    assert (int(total[1]), int(total[2])) == (max(estimates), sum(estimates.values())), (
        f"INSTRUCTORS.md's total row says 01–{total[1]}, {total[2]} min; the chapters make "
        f"01–{max(estimates):02}, {sum(estimates.values())} min"
    )
