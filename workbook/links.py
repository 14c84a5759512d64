"""Links to an app that a kernel started, as the learner's browser can open them.

Locally the browser and the kernel share a machine, and
http://127.0.0.1:PORT is the link. On JupyterHub, Binder, or a Jupyter in a
container or on a remote machine, the browser reaches only the Jupyter
server: the app is served through it by jupyter-server-proxy at
``{base_url}proxy/{port}/`` (the proxy strips that prefix), and uvicorn is
told the prefix (``--root-path``) so that /docs asks for
``{prefix}/openapi.json`` and its assets under the same prefix.

How it is told apart (``detect``):

- ``WORKBOOK_LINKS=local`` or ``=proxy`` decides outright;
- ``JUPYTERHUB_SERVICE_PREFIX`` (JupyterHub sets it for every single-user
  server, Binder included, and kernels inherit it) is the base URL;
- otherwise the Jupyter server that started this kernel (its parent process,
  found in Jupyter's runtime folder) is remote when it listens on more than
  the loopback interface (``--ip 0.0.0.0``, as in a container).
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class Proxy:
    """Where the Jupyter server proxies a port: ``{origin}{base_url}proxy/{port}/``."""

    base_url: str  # the Jupyter server's path, "/user/alice/"; always ends with "/"
    origin: str = ""  # "https://hub.example.org" when known; without it links are relative

    def root_path(self, port: int) -> str:
        """The prefix the app is served under: uvicorn's --root-path (no trailing slash)."""
        return f"{self.base_url}proxy/{port}"

    def link(self, port: int, path: str = "/") -> str:
        return f"{self.origin}{self.root_path(port)}{path}"


def _slashed(path: str) -> str:
    path = "/" + path.strip("/")
    return path if path == "/" else path + "/"


def _origin(environ: Mapping[str, str]) -> str:
    """scheme://host of the hub as the browser sees it, when JupyterHub says so."""
    for name in ("JUPYTERHUB_HOST", "JUPYTERHUB_PUBLIC_URL", "JUPYTERHUB_PUBLIC_HUB_URL"):
        parts = urlsplit(environ.get(name, ""))
        if parts.scheme in ("http", "https") and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
    return ""


def running_servers(runtime_dir: Path | None = None) -> list[dict[str, Any]]:
    """The Jupyter servers that announced themselves (``jpserver-PID.json``)."""
    if runtime_dir is None:
        from jupyter_core.paths import jupyter_runtime_dir

        runtime_dir = Path(jupyter_runtime_dir())
    servers = []
    for info in sorted(runtime_dir.glob("jpserver-*.json")):
        try:
            servers.append(dict(json.loads(info.read_text())))
        except (OSError, ValueError):
            continue  # a server writing or removing its file right now
    return servers


def detect(
    environ: Mapping[str, str] | None = None,
    servers: Iterable[Mapping[str, Any]] | None = None,
    parent: int | None = None,
) -> Proxy | None:
    """The proxy a browser elsewhere reaches this kernel's apps through, or None (local)."""
    environ = os.environ if environ is None else environ
    choice = environ.get("WORKBOOK_LINKS", "").strip().lower()
    if choice == "local":
        return None
    prefix = environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if prefix:
        return Proxy(_slashed(prefix), _origin(environ))
    parent = os.getppid() if parent is None else parent
    listed = running_servers() if servers is None else servers
    server = next((s for s in listed if s.get("pid") == parent), None)
    if server is None:
        return Proxy("/") if choice == "proxy" else None
    if choice == "proxy" or str(server.get("hostname", "localhost")) not in LOOPBACK:
        return Proxy(_slashed(str(server.get("base_url", "/"))))
    return None


def proxy_installed() -> bool:
    """jupyter-server-proxy is in this environment (the kernel's, usually the server's too)."""
    return importlib.util.find_spec("jupyter_server_proxy") is not None
