"""Can this Python run the app? `python -m app.envcheck` checks, and says how to fix it."""

import importlib
import sys
from dataclasses import dataclass
from importlib import metadata

# The versions the workbook pins (FastAPI 0.165, Starlette 1.x) require Python 3.11.
MINIMUM_PYTHON = (3, 11)

# What the app, its tests and its gates import, and what to pip install for each.
PACKAGES = {
    "fastapi": "fastapi",
    "fastapi_offline": "fastapi-offline",
    # Form fields and file uploads: FastAPI refuses to declare them without it.
    "python_multipart": "python-multipart",
    "pydantic": "pydantic",
    # The database toolkit: the engine and the sessions (chapter 10 on).
    "sqlalchemy": "sqlalchemy",
    "uvicorn": "uvicorn[standard]",
    "httpx": "httpx",
    "pytest": "pytest",
    "ruff": "ruff",
    "mypy": "mypy",
}


@dataclass(frozen=True)
class Check:
    """The outcome of one check, and what to do when it failed."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        if self.ok:
            return f"ok    {self.name}: {self.detail}"
        return f"FAIL  {self.name}: {self.detail} -> fix: {self.fix}"


def check_python(version: tuple[int, int, int]) -> Check:
    """Is this Python, given as (major, minor, micro), recent enough?"""
    found = ".".join(str(part) for part in version)
    if version[:2] >= MINIMUM_PYTHON:
        return Check("python", True, found)
    needed = ".".join(str(part) for part in MINIMUM_PYTHON)
    return Check(
        "python",
        False,
        f"{found} is too old",
        f"install Python {needed} or newer, then recreate the virtual environment with it",
    )


def check_import(module: str, requirement: str) -> Check:
    """Does `module` import? If not, say what to pip install."""
    try:
        importlib.import_module(module)
    except ImportError as error:
        return Check(module, False, f"does not import ({error})", f'pip install "{requirement}"')
    try:
        return Check(module, True, metadata.version(module))
    except metadata.PackageNotFoundError:
        return Check(module, True, "imports (version unknown)")


def main() -> int:
    """Print one line per check; the exit status is 0 if all passed, else 1."""
    major, minor, micro = sys.version_info[:3]
    checks = [check_python((major, minor, micro))]
    checks += [check_import(module, requirement) for module, requirement in PACKAGES.items()]
    for check in checks:
        print(check.line())
    return 0 if all(check.ok for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
