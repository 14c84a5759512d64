"""Which link a learner's browser can open: local, or through the Jupyter server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbook.links import Proxy, detect, running_servers

SERVER = {"pid": 4242, "hostname": "localhost", "base_url": "/", "port": 8888}


def test_a_kernel_of_a_local_jupyter_keeps_the_plain_link() -> None:
    assert detect({}, [SERVER], parent=4242) is None
    assert detect({}, [], parent=4242) is None, "no Jupyter server at all (a terminal, CI)"


def test_jupyterhub_and_binder_go_through_the_users_server() -> None:
    hub = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"}
    proxy = detect(hub, [], parent=1)
    assert proxy == Proxy("/user/ada/")
    assert proxy.root_path(41213) == "/user/ada/proxy/41213"
    assert proxy.link(41213, "/docs") == "/user/ada/proxy/41213/docs"


def test_the_hubs_public_address_makes_the_link_absolute() -> None:
    hub = {
        "JUPYTERHUB_SERVICE_PREFIX": "/user/ada",  # a prefix without its last slash too
        "JUPYTERHUB_PUBLIC_URL": "https://hub.example.org/user/ada/",
    }
    proxy = detect(hub, [], parent=1)
    assert proxy is not None
    assert proxy.link(8001, "/docs") == "https://hub.example.org/user/ada/proxy/8001/docs"


@pytest.mark.parametrize("hostname", ["0.0.0.0", "", "10.1.2.3", "::"])
def test_a_server_that_listens_beyond_loopback_is_reached_through_its_base_url(
    hostname: str,
) -> None:
    container = {**SERVER, "hostname": hostname, "base_url": "/lab-a/"}
    assert detect({}, [container], parent=4242) == Proxy("/lab-a/")
    assert detect({}, [container], parent=999) is None, "another kernel's server"


def test_workbook_links_overrides_the_guess() -> None:
    hub = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/", "WORKBOOK_LINKS": "local"}
    assert detect(hub, [], parent=1) is None
    forced = {"WORKBOOK_LINKS": "proxy"}
    assert detect(forced, [{**SERVER, "base_url": "/x/"}], parent=4242) == Proxy("/x/")


def test_running_servers_reads_jupyters_runtime_folder(tmp_path: Path) -> None:
    (tmp_path / "jpserver-4242.json").write_text(json.dumps(SERVER))
    (tmp_path / "jpserver-4243.json").write_text("{half written")
    (tmp_path / "kernel-abc.json").write_text("{}")
    assert running_servers(tmp_path) == [SERVER]
