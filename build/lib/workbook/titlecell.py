"""What a chapter's title cell says: its title, guide section and estimated time.

AUTHORING.md fixes the title cell's shape (``# NN · Title``, then ``**Guide**:``
and ``**Estimated time**:`` lines). The site's index and the timings report
both read it, so it is parsed here once, leniently: a chapter still being
written gets empty fields, never an error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import WorkbookError

_HEADING = re.compile(r"^#\s+(?:\d+\s*[·.:\-–—]\s*)?(?P<title>.+?)\s*#*\s*$")
_LABEL = re.compile(r"^(?P<label>guide|estimated time)\s*:\s*(?P<text>.*)$", re.IGNORECASE)
_HOURS = re.compile(r"(\d+)\s*h(?:ours?|rs?)?\b")
_MINUTES = re.compile(r"(\d+)\s*min")
_READING = re.compile(r"(\d+)\s*(?:min\w*\s*)?(?:of\s+)?reading")
_EXERCISES = re.compile(r"(\d+)\s*(?:min\w*\s*)?(?:of\s+)?exercises?")


@dataclass(frozen=True)
class Estimate:
    """Minutes a learner needs: in total, and split into reading and exercises when given."""

    total: int
    reading: int | None = None
    exercises: int | None = None

    def __str__(self) -> str:
        parts = [f"{self.reading} reading"] if self.reading is not None else []
        parts += [f"{self.exercises} exercises"] if self.exercises is not None else []
        return f"{self.total} min" + (f" ({', '.join(parts)})" if parts else "")


@dataclass(frozen=True)
class TitleCell:
    title: str = ""
    guide: str = ""
    estimate: Estimate | None = None


def parse_estimate(text: str) -> Estimate | None:
    """``25 min: 10 reading, 15 exercises`` (or ``1 h 10 min``, or only the parts)."""
    reading, exercises = (
        int(m[1]) if m else None for m in (_READING.search(text), _EXERCISES.search(text))
    )
    head = re.split(r"[:(]", text, maxsplit=1)[0]  # the total, before the split into parts
    hours, minutes = _HOURS.search(head), _MINUTES.search(head)
    if _READING.search(head) or _EXERCISES.search(head):  # only parts: they add up
        total = (reading or 0) + (exercises or 0)
    elif hours or minutes:
        total = (int(hours[1]) * 60 if hours else 0) + (int(minutes[1]) if minutes else 0)
    else:
        return None
    return Estimate(total, reading, exercises)


def _fields(source: str) -> dict[str, str]:
    """Labelled paragraphs (``**Guide**: ...``), a label's text running to a blank line."""
    fields: dict[str, str] = {}
    current = ""
    for raw in source.splitlines():
        line = raw.replace("*", "").replace("`", "").strip()
        match = _LABEL.match(line)
        if match:
            current = match["label"].lower()
            fields[current] = match["text"]
        elif not line or line.startswith(("#", "-")):
            current = ""
        elif current:
            fields[current] = f"{fields[current]} {line}"
    return {label: " ".join(text.split()) for label, text in fields.items()}


def parse_title_cell(source: str) -> TitleCell:
    """The title (without its ``NN ·``), guide section and estimate of a title cell."""
    title = ""
    for line in source.splitlines():
        match = _HEADING.match(line.strip())
        if match:
            title = match["title"]
            break
    fields = _fields(source)
    estimate = parse_estimate(fields["estimated time"]) if "estimated time" in fields else None
    return TitleCell(title, fields.get("guide", ""), estimate)


def read_title_cell(notebook: Path) -> TitleCell:
    """The first markdown cell of a notebook file, parsed (plain JSON: no nbformat needed)."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise WorkbookError(f"{notebook} is not a readable notebook: {error}") from None
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            return parse_title_cell("".join(source) if isinstance(source, list) else source)
    return TitleCell()
