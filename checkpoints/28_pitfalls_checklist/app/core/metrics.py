"""Prometheus metrics: how many requests, how long they took, how many are running now.

Labels: the method, the ROUTE TEMPLATE ("/api/v1/items/{item_id}", never the path a client
typed) and the status. A label is a time series of its own in Prometheus: the path would
make one per item id, and any client could create millions of them with made-up URLs.
Paths that no route matches share one label, UNMATCHED; methods outside METHODS, "OTHER".

Several workers (uvicorn --workers 4, gunicorn) are several processes, each with its own
counters. With PROMETHEUS_MULTIPROC_DIR set in the server's environment (an empty folder,
emptied before every start), prometheus-client writes each process's values to files
there, and metrics_text() sums the files of all of them: whichever worker answers
/metrics, it answers for the whole server. A worker that stops removes its live gauge
(stop_worker); its counts stay in the sums, as counters must.
"""

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.routing import BaseRoute, Mount
from starlette.types import Scope

# prometheus-client reads this variable itself, when it is imported: the environment of
# the server process sets it (chapter 27), not .env.
MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED = "<unmatched>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter("http_requests", "HTTP requests answered.", ["method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from the request to the end of its answer, in seconds.",
    ["method", "route", "status"],
)
# livesum: with several workers, the sum over the workers that are running now.
IN_PROGRESS = Gauge(
    "http_requests_in_progress", "HTTP requests being handled now.", multiprocess_mode="livesum"
)


def matched(scope: Scope) -> tuple[BaseRoute | None, str]:
    """The route that handled the request (None when no route matched), and the path it saw."""
    route = scope.get("route")  # set by the router once a route matched (405s included)
    endpoint = scope.get("endpoint")
    if route is None and endpoint is not None:
        # FastAPI's own routes (/openapi.json, the files of /docs) are Starlette routes, for
        # which FastAPI leaves scope["route"] unset: find the one whose endpoint answered.
        for candidate in scope["app"].routes:
            if endpoint in (getattr(candidate, "endpoint", None), getattr(candidate, "app", None)):
                route = candidate
                break
    return route, scope["path"].removeprefix(scope.get("root_path", ""))


def route_template(route: BaseRoute | None, path: str) -> str:
    """The template of the route that handled `path`: "/api/v1/items/{item_id}"."""
    template: str | None = getattr(route, "path_format", None)
    if template is None:
        return UNMATCHED
    if isinstance(route, Mount):  # "/static-offline-docs/{path}": its path may hold slashes
        return template
    # FastAPI keeps an included router's routes with their own paths ("/items/{item_id}"),
    # without the prefix ("/api/v1"): the prefix is the part of the path before the
    # segments that the route matched (a path parameter holds no "/").
    segments = path.split("/")
    prefix = "/".join(segments[: len(segments) - template.count("/")])
    return prefix + template


def observe(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its duration."""
    method = method if method in METHODS else "OTHER"
    labels = (method, route, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)


def metrics_text() -> bytes:
    """The metrics in Prometheus's text format: of every worker when there are several."""
    if MULTIPROC_VARIABLE in os.environ:
        # A registry per call, as prometheus-client asks: the collector reads the files of
        # every process at each scrape, this one's included.
        registry = CollectorRegistry()
        # prometheus-client's multiprocess module is not annotated: mypy is told so here.
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def stop_worker() -> None:
    """At shutdown: with several workers, remove this process's live gauge files."""
    if MULTIPROC_VARIABLE in os.environ:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
