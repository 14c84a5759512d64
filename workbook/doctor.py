"""Is this machine ready for the workshop? Each check says what to fix, in one line.

Run before the day, not during it: a wrong Python, a package at another
version, a firewall that refuses local servers, a kernel that does not start
or a read-only workspace each cost a learner the first half hour. The checks
use the standard library first and import Jupyter only to start the kernel,
so a half-broken environment still gets its report instead of a traceback.
"""

from __future__ import annotations

import re
import socket
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from . import lockfile, paths
from .errors import WorkbookError

REINSTALL = f"run `make clean setup` in {paths.ROOT} (it installs requirements.lock)"
KERNEL = "python3"
KERNEL_TIMEOUT = 60.0
_REQUIRES_PYTHON = re.compile(r">=\s*(\d+)\.(\d+)")


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


# A check is named, so that one that crashes still gets its line.
Check = tuple[str, Callable[[], Result]]


def _pyproject() -> str:
    try:
        return (paths.ROOT / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        raise WorkbookError(
            f"{paths.ROOT} has no pyproject.toml: run the doctor from a clone of the workbook"
        ) from None


def _project_table(text: str) -> dict[str, object]:
    """``[project]`` of pyproject.toml, read with tomllib (Python 3.11+)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # an older Python: still read enough to say it is too old
        return _project_table_simple(text)
    return dict(tomllib.loads(text).get("project", {}))


def _project_table_simple(text: str) -> dict[str, object]:
    """Just ``requires-python`` and the ``dependencies = [...]`` strings of ``[project]``."""
    table = re.search(r"^\[project\][^\n]*\n(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    body = table[1] if table else ""
    found: dict[str, object] = {}
    requires = re.search(r'^requires-python\s*=\s*"([^"]*)"', body, re.MULTILINE)
    if requires:
        found["requires-python"] = requires[1]
    # The list ends at a "]" that starts a line: extras such as uvicorn[standard] hold one too.
    dependencies = re.search(r"^dependencies\s*=\s*\[(.*?)^\]", body, re.MULTILINE | re.DOTALL)
    if dependencies:
        lines = (line.split("#", 1)[0] for line in dependencies[1].splitlines())
        found["dependencies"] = re.findall(r'"([^"]+)"', "\n".join(lines))
    return found


def minimum_python(text: str) -> tuple[int, int]:
    """The oldest Python ``requires-python`` allows (3.10 when it says nothing)."""
    match = _REQUIRES_PYTHON.search(str(_project_table(text).get("requires-python", "")))
    return (int(match[1]), int(match[2])) if match else (3, 10)


def check_python(version: tuple[int, ...], minimum: tuple[int, int]) -> Result:
    shown = ".".join(map(str, version[:3]))
    if tuple(version[:2]) >= minimum:
        return Result("python", True, f"{shown} ({sys.executable})")
    wanted = ".".join(map(str, minimum))
    return Result(
        "python",
        False,
        f"{shown} is older than {wanted}: install Python {wanted} or newer, "
        f"then recreate the environment (`make clean setup`)",
    )


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def locked_here() -> dict[str, str]:
    """The pins of requirements.lock that apply to this machine, ``{name: version}``."""
    if not lockfile.LOCK.exists():
        return {}
    try:
        from packaging.markers import Marker
    except ImportError:  # a broken environment: the pins for every platform are enough to tell
        return {pin.name: pin.version for pin in lockfile.read() if pin.marker is None}
    here = (pin for pin in lockfile.read() if pin.marker is None or Marker(pin.marker).evaluate())
    return {pin.name: pin.version for pin in here}


def check_pins(wanted: dict[str, str], installed: Callable[[str], str | None]) -> Result:
    if not wanted:
        return Result("packages", False, f"no pins found in {lockfile.LOCK}: restore it from git")
    wrong = []
    for name, version in sorted(wanted.items()):
        have = installed(name)
        if have is None:
            wrong.append(f"{name} is missing")
        elif have != version:
            wrong.append(f"{name} is {have}, not {version}")
    if wrong:
        return Result("packages", False, f"{'; '.join(wrong)}: {REINSTALL}")
    return Result("packages", True, f"all {len(wanted)} pins of {lockfile.LOCK.name} installed")


def check_port(host: str = "127.0.0.1") -> Result:
    try:
        with socket.socket() as sock:
            sock.bind((host, 0))
            sock.listen()
            port = sock.getsockname()[1]
    except OSError as error:
        return Result(
            "port",
            False,
            f"cannot listen on {host} ({error.strerror or error}): allow local servers "
            "in the firewall or sandbox, or run the workbook on another machine",
        )
    return Result("port", True, f"can listen on {host} (tried port {port})")


def _run_in_kernel(kernel: str, code: list[str], timeout: float, log: IO[bytes]) -> list[str]:
    """Start ``kernel`` (its own messages go to ``log``), run each line, return the results."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(
        kernel_name=kernel, startup_timeout=timeout, stdout=log, stderr=log
    )
    results: list[str] = []

    def keep(message: dict[str, Any]) -> None:
        if message["msg_type"] == "execute_result":
            results.append(str(message["content"]["data"]["text/plain"]))

    try:
        for line in code:
            client.execute_interactive(line, timeout=timeout, output_hook=keep)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return results


def _last_line(log: IO[bytes]) -> str:
    log.seek(0)
    lines = log.read().decode(errors="replace").strip().splitlines()
    return f"; it printed: {lines[-1]}" if lines else ""


def check_kernel(kernel: str = KERNEL, timeout: float = KERNEL_TIMEOUT) -> Result:
    """Start a Jupyter kernel, run ``1+1``, and make sure it is this environment's Python."""
    fix = f"run `{sys.executable} -m ipykernel install --sys-prefix`"
    with tempfile.TemporaryFile() as log:
        try:
            results = _run_in_kernel(kernel, ["1+1", "import sys; sys.prefix"], timeout, log)
        except ImportError as error:
            return Result("kernel", False, f"jupyter_client does not import ({error}): {REINSTALL}")
        except Exception as error:  # no such kernel, a kernel that dies, a timeout
            problem = f"{str(error).strip() or type(error).__name__}{_last_line(log)}"
            return Result("kernel", False, f"kernel {kernel!r} does not start ({problem}): {fix}")
    if results[:1] != ["2"]:
        return Result("kernel", False, f"kernel {kernel!r} says 1+1 is {results[:1]}: {fix}")
    prefix = results[1].strip("'\"") if len(results) > 1 else "?"
    if Path(prefix).resolve() != Path(sys.prefix).resolve():
        return Result(
            "kernel",
            False,
            f"kernel {kernel!r} runs the Python of {prefix}, not {sys.prefix}: {fix}",
        )
    return Result("kernel", True, f"kernel {kernel!r} starts and runs 1+1 = 2")


def check_workspace(folder: Path) -> Result:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-probe-"):
            pass
    except OSError as error:
        return Result(
            "workspace",
            False,
            f"cannot write to {folder} ({error.strerror or error}): fix its permissions, "
            "or set WORKBOOK_WORKSPACE to a folder you can write",
        )
    return Result("workspace", True, f"{folder} is writable")


def check_postgres(server: str | None = None) -> Result:
    """Optional, so never a FAIL: says whether `check(NN, postgres=True)` has a server."""
    # Imported here: they need SQLAlchemy, which the earlier checks must not depend on.
    from sqlalchemy.engine import make_url

    from . import postgres

    server = server or postgres.DEFAULT_SERVER
    reason = postgres.unreachable(server)
    if reason:
        detail = f"optional; {reason}: the chapters run on SQLite without it"
    else:
        where = make_url(server).render_as_string(hide_password=True)
        detail = f"optional; {where} answers: `check(NN, postgres=True)` can use it"
    return Result("postgresql", True, detail)


def checks(workspace: Path) -> list[Check]:
    """Every check, in the order a fix of one helps the next."""
    text = _pyproject()
    return [
        ("python", lambda: check_python(tuple(sys.version_info[:3]), minimum_python(text))),
        ("packages", lambda: check_pins(locked_here(), _installed)),
        ("port", check_port),
        ("kernel", check_kernel),
        ("workspace", lambda: check_workspace(workspace)),
        ("postgresql", check_postgres),
    ]


def run(steps: Iterable[Check], echo: Callable[[str], None] = print) -> bool:
    """Run each check and echo its line as it finishes; True when all pass."""
    ok = True
    for name, step in steps:
        try:
            result = step()
        except Exception as error:  # a check must never stop the others
            result = Result(name, False, f"the check itself failed ({error!r}): please report it")
        echo(result.line())
        ok = ok and result.ok
    return ok
