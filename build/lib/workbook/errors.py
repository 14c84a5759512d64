"""The one exception type the command line turns into a clean message."""

from __future__ import annotations


class WorkbookError(Exception):
    """A problem the user can fix; the message says what and how, in one line."""
