"""`workbook doctor`: one line per check, and a fix for every failure."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from workbook import doctor
from workbook.cli import main

PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]

[project]
name = "x"
requires-python = ">=3.12"
dependencies = [
    "fastapi==0.165.0",
    "uvicorn[standard]==0.54.0",  # a comment, with "quotes"
    "loose>=1.0",
]

[tool.other]
dependencies = ["not-this==1.0"]
"""


def test_every_check_passes_here(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workspace = tmp_path / "new" / "workspace"
    assert main(["doctor", "--workspace", str(workspace)]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line[5:].split(":")[0] for line in lines[:-1]]
    assert names == ["python", "packages", "port", "kernel", "workspace", "postgresql"], lines
    assert all(line.startswith("ok   ") for line in lines[:-1]), lines
    assert workspace.is_dir() and not any(workspace.iterdir()), "the probe file stays behind"


def test_a_failing_check_exits_1_and_says_how_to_fix_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(doctor, "locked_here", lambda: {"fastapi": "0.0.1"})
    monkeypatch.setattr(doctor, "check_kernel", lambda: doctor.Result("kernel", True, "skipped"))
    assert main(["doctor", "--workspace", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL packages: fastapi is " in out and "not 0.0.1" in out and "make clean setup" in out


def test_python_older_than_the_project_allows() -> None:
    result = doctor.check_python((3, 10, 12), (3, 11))
    assert not result.ok and "3.10.12 is older than 3.11: install Python 3.11" in result.line()
    assert doctor.check_python((3, 11, 0), (3, 11)).ok
    assert doctor.check_python((4, 0, 0), (3, 11)).ok


def test_minimum_python_is_read_from_pyproject() -> None:
    assert doctor.minimum_python(PYPROJECT) == (3, 12)
    assert doctor.minimum_python("[project]\nname = 'x'\n") == (3, 10)


def test_the_reader_for_old_pythons_agrees_with_tomllib() -> None:
    for text in (PYPROJECT, (doctor.paths.ROOT / "pyproject.toml").read_text()):
        full = doctor._project_table(text)
        wanted = {key: full[key] for key in ("requires-python", "dependencies")}
        assert doctor._project_table_simple(text) == wanted


def test_a_package_at_another_version_or_missing() -> None:
    installed = {"fastapi": "0.100.0"}.get
    result = doctor.check_pins({"fastapi": "0.165.0", "ruff": "0.17.6"}, installed)
    assert not result.ok
    assert "fastapi is 0.100.0, not 0.165.0; ruff is missing: run `" in result.line()
    assert doctor.check_pins({"fastapi": "0.100.0"}, installed).ok


def test_the_packages_checked_are_the_lock_files_for_this_platform() -> None:
    here = doctor.locked_here()
    assert here["fastapi"] == "0.165.0" and "greenlet" in here
    assert "colorama" not in here, "colorama is locked for Windows only"


def test_a_port_that_cannot_be_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    class Refusing(socket.socket):
        def bind(self, address: object) -> None:
            raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(doctor.socket, "socket", Refusing)
    result = doctor.check_port()
    assert not result.ok
    assert result.line().startswith("FAIL port: cannot listen on 127.0.0.1 (Permission denied)")


def test_a_kernel_that_does_not_exist() -> None:
    result = doctor.check_kernel("no-such-kernel", timeout=5)
    assert not result.ok
    assert "kernel 'no-such-kernel' does not start" in result.line()
    assert "ipykernel install" in result.line()


def test_an_unwritable_workspace(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a folder cannot be made inside a file, even by root
    result = doctor.check_workspace(blocker / "workspace")
    assert not result.ok
    assert "FAIL workspace: cannot write to" in result.line()
    assert "WORKBOOK_WORKSPACE" in result.line()


def test_a_check_that_crashes_does_not_stop_the_others() -> None:
    def broken() -> doctor.Result:
        raise RuntimeError("boom")

    lines: list[str] = []
    ok = doctor.run(
        [("first", broken), ("second", lambda: doctor.Result("second", True, "fine"))],
        lines.append,
    )
    assert not ok
    assert lines[0].startswith("FAIL first: the check itself failed (RuntimeError('boom'))")
    assert lines[1] == "ok   second: fine"


def test_postgresql_is_optional_and_says_so() -> None:
    result = doctor.check_postgres("postgresql://postgres@127.0.0.1:9/postgres")
    assert result.ok and result.detail.startswith("optional; no PostgreSQL at "), result
    assert "run on SQLite" in result.line(), result
