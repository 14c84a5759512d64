"""One set of packages in every seat: pyproject.toml, requirements.lock and
environment.yml agree, and the environment running the tests is that set."""

from __future__ import annotations

import re
import sys
from importlib import metadata

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from workbook import lockfile, paths

FIX = "run `make lock` after changing the dependencies in pyproject.toml"


def _pyproject_requirements() -> list[Requirement]:
    pyproject = (paths.ROOT / "pyproject.toml").read_text()
    dependencies = pyproject.split("dependencies = [", 1)[1].split("]\n", 1)[0]
    return [Requirement(text) for text in re.findall(r'"([^"]+)"', dependencies)]


def _locked() -> dict[str, lockfile.Pin]:
    return {canonicalize_name(pin.name): pin for pin in lockfile.read()}


def test_pyproject_pins_every_dependency_exactly() -> None:
    loose = [str(r) for r in _pyproject_requirements() if not str(r.specifier).startswith("==")]
    assert not loose, f"pin these with ==: {loose}"


def test_lock_file_holds_each_pin_of_pyproject() -> None:
    locked = _locked()
    wrong = {
        str(requirement): locked[name].version if name in locked else "missing"
        for requirement in _pyproject_requirements()
        if (name := canonicalize_name(requirement.name)) not in locked
        or not requirement.specifier.contains(locked[name].version)
    }
    assert not wrong, f"requirements.lock disagrees with pyproject.toml: {wrong}; {FIX}"


def test_lock_file_has_no_direct_dependency_that_pyproject_dropped() -> None:
    declared = {canonicalize_name(r.name) for r in _pyproject_requirements()}
    stale = {name for name, pin in _locked().items() if pin.direct and name not in declared}
    assert not stale, f"requirements.lock still requires {sorted(stale)}; {FIX}"


def test_environment_yml_installs_exactly_the_locked_set() -> None:
    environment = lockfile.ENVIRONMENT.read_text()
    listed = set(re.findall(r'^\s+- "([A-Za-z][^"]*==[^"]+)"\s*$', environment, re.M))
    locked = {pin.requirement for pin in lockfile.read()}
    assert listed == locked, (
        f"only in environment.yml: {sorted(listed - locked)[:5]}; "
        f"only in requirements.lock: {sorted(locked - listed)[:5]}; {FIX}"
    )


def test_this_environment_is_the_locked_set() -> None:
    """What `make setup` installed is what the lock says, down to the last package."""
    here = [pin for pin in lockfile.read() if pin.marker is None or Marker(pin.marker).evaluate()]
    differ = {}
    for pin in here:
        try:
            installed = metadata.version(pin.name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        if installed != pin.version:
            differ[pin.name] = f"{installed}, locked {pin.version}"
    assert not differ, f"{sys.prefix} differs from requirements.lock: {differ}; run `make setup`"


def test_bcrypt_stays_below_4_1_for_passlib() -> None:
    bcrypt = _locked()["bcrypt"].version
    assert tuple(map(int, bcrypt.split(".")[:2])) < (4, 1), (
        f"bcrypt {bcrypt} is locked: passlib 1.7.4 breaks with bcrypt >= 4.1"
    )


def test_binder_builds_from_the_root_environment_with_the_proxy_and_the_workbook() -> None:
    """repo2docker (Binder) reads environment.yml at the root unless a binder/ folder
    hides it; a local pip requirement (`-e .`) makes it copy the repository first, so
    that the workbook itself installs; jupyter-server-proxy serves the apps' links."""
    for hiding in ("binder", ".binder"):
        assert not (paths.ROOT / hiding).exists(), f"{hiding}/ would hide environment.yml"
    environment = (paths.ROOT / "environment.yml").read_text()
    assert re.search(r'^\s+- "?-e \."?\s*$', environment, re.M), "install the workbook: -e ."
    assert re.search(r'^\s+- "?jupyter-server-proxy==', environment, re.M)
    assert re.search(r"^\s+- python=3\.\d+\s*$", environment, re.M), "repo2docker needs x.y"
