"""FastAPI Mastery Workbook tooling.

In a notebook, ``%load_ext workbook`` registers the ``%%app`` magic and puts
``check``, ``serve`` and ``show`` into the namespace.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    from .magics import load_ipython_extension as load

    load(ipython)
