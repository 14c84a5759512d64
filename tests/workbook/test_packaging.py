"""The pinned set is one set: pyproject.toml and environment.yml agree."""

from __future__ import annotations

import re

from workbook import paths


def test_environment_yml_installs_exactly_the_pinned_dependencies() -> None:
    pyproject = (paths.ROOT / "pyproject.toml").read_text()
    dependencies = pyproject.split("dependencies = [", 1)[1].split("]\n", 1)[0]
    pinned = set(re.findall(r'"([^"]+)"', dependencies))
    assert all("==" in requirement for requirement in pinned), "pin every dependency with =="
    environment = (paths.ROOT / "environment.yml").read_text()
    listed = set(re.findall(r'^\s+- "?([A-Za-z][^"\s]*==[^"\s]+)"?\s*$', environment, re.M))
    assert listed == pinned, (
        f"only in pyproject: {pinned - listed}; only in environment.yml: {listed - pinned}"
    )


def test_bcrypt_stays_below_4_1_for_passlib() -> None:
    pyproject = (paths.ROOT / "pyproject.toml").read_text()
    assert '"bcrypt==4.0.1"' in pyproject, "passlib 1.7.4 breaks with bcrypt >= 4.1"


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
