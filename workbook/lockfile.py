"""The lock file: every package of the dependency tree, pinned with hashes.

`make lock` writes `requirements.lock` from `pyproject.toml` with uv, then runs
this module to copy the same pins into `environment.yml` (conda's pip cannot
mix hashed requirements with the workbook's own `-e .`, so that list carries
the versions without the hashes). tests/workbook/test_packaging.py keeps the
three files in agreement, so every seat of a workshop gets the same set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from workbook import paths

LOCK = paths.ROOT / "requirements.lock"
ENVIRONMENT = paths.ROOT / "environment.yml"
PROJECT = "fastapi-mastery-workbook"

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")
_BEGIN, _END = "      # begin: the pins of requirements.lock", "      # end"


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    marker: str | None
    direct: bool  # required by pyproject.toml itself, not only by another package

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}" + (f" ; {self.marker}" if self.marker else "")


def read(path: Path = LOCK) -> list[Pin]:
    """The pins of a lock file written by `uv pip compile`, with where each comes from."""
    pins: list[Pin] = []
    entry: tuple[str, str, str | None] | None = None
    direct = False
    for line in [*path.read_text().splitlines(), ""]:
        match = _PIN.match(line)
        if match or not line.startswith(" "):
            if entry:
                pins.append(Pin(*entry, direct=direct))
            entry = (match.group(1).lower(), match.group(2), match.group(3)) if match else None
            direct = False
        elif f"{PROJECT} (pyproject.toml)" in line:
            direct = True
    return pins


def write_environment(pins: list[Pin], path: Path = ENVIRONMENT) -> None:
    """Put the locked versions between the markers of environment.yml's pip list."""
    text = path.read_text()
    head, rest = text.split(_BEGIN + "\n", 1)
    tail = rest.split(_END + "\n", 1)[1]
    lines = [f'      - "{pin.requirement}"\n' for pin in pins]
    path.write_text(head + _BEGIN + "\n" + "".join(lines) + _END + "\n" + tail)


if __name__ == "__main__":
    locked = read()
    write_environment(locked)
    print(f"environment.yml: the {len(locked)} pins of {LOCK.name}")
