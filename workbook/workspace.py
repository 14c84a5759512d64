"""The learner's workspace: writing app files, and setting it to a checkpoint.

Nothing here loses learner work. A file the learner changed by hand (its
content differs from what the workbook last wrote there) is copied to a
backup folder before it is replaced, and the backup is named in the output.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime
from pathlib import Path

from . import paths
from .errors import WorkbookError


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Workspace:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def marker(self) -> Path:
        return self.root / paths.WORKSPACE_MARKER

    def exists(self) -> bool:
        return (self.root / "app").is_dir() or self.marker.is_file()

    def require(self, reset: str = "workbook reset 1") -> Workspace:
        """Fail with one clear line unless this folder holds an app to check.

        ``reset`` is the command the line suggests (with the user's --workspace)."""
        if not self.root.is_dir():
            raise WorkbookError(f"workspace {self.root} does not exist; run `{reset}` to start")
        if not (self.root / "app").is_dir():
            raise WorkbookError(
                f"workspace {self.root} has no app/ package yet; run a chapter's %%app cells first"
            )
        return self

    # What the workbook wrote last, by path, so hand edits can be told apart.
    def _written(self) -> dict[str, str]:
        if not self.marker.is_file():
            return {}
        try:
            return dict(json.loads(self.marker.read_text() or "{}"))
        except ValueError:
            return {}

    def _remember(self, written: dict[str, str]) -> None:
        self.marker.write_text(json.dumps(written, indent=1, sort_keys=True) + "\n")

    def _claim(self) -> None:
        """Make sure a non-empty folder is a workspace before touching it."""
        if self.root.is_dir() and any(self.root.iterdir()) and not self.exists():
            raise WorkbookError(
                f"{self.root} is not a workbook workspace (no app/ and no "
                f"{paths.WORKSPACE_MARKER}); choose an empty or new folder"
            )
        self.root.mkdir(parents=True, exist_ok=True)

    def backup_dir(self) -> Path:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        return self.root.parent / f"{self.root.name}-backups" / stamp

    def write(self, relative: str, text: str) -> str:
        """Write one file; return the line that says what happened."""
        self._claim()
        target = self.root / relative
        data = text.encode()
        written = self._written()
        verb = "created"
        note = ""
        if target.is_file():
            old = target.read_bytes()
            if old == data:
                verb = "unchanged"
            else:
                verb = "updated"
                if written.get(relative) != _digest(old):
                    kept = self.backup_dir() / relative
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(target, kept)
                    note = f" (your edited version is kept in {kept})"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written[relative] = _digest(data)
        self._remember(written)
        lines = text.count("\n")
        return f"{verb} {relative} ({lines} line{'s' if lines != 1 else ''}){note}"

    def set_to(self, checkpoint: Path) -> Path | None:
        """Replace the workspace by a checkpoint; return the backup folder, if any."""
        self._claim()
        backup = None
        entries = [p for p in self.root.iterdir() if p.name != paths.WORKSPACE_MARKER]
        if entries:
            backup = self.backup_dir()
            backup.mkdir(parents=True)
            for entry in entries:
                shutil.move(str(entry), backup / entry.name)
        written = {}
        for relative, data in paths.tree_files(checkpoint).items():
            target = self.root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written[relative] = _digest(data)
        self._remember(written)
        return backup
