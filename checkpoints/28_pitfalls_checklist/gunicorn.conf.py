"""gunicorn's settings for production (chapter 27): `gunicorn -c gunicorn.conf.py app.main:app`.

gunicorn is the process manager: it starts the workers, restarts one that dies or hangs,
and on SIGTERM stops them gracefully. Each worker is uvicorn (uvicorn_worker.UvicornWorker,
the uvicorn-worker package: uvicorn.workers is deprecated), which runs the app's lifespan
and serves its requests on an event loop. The numbers come from the environment, so the
same image runs on a laptop and on a big machine; the defaults are the container's.
"""

import os
from typing import Any

# 0.0.0.0 inside a container: its own network; the port the platform maps (PORT).
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# Processes, not threads: one per core is the usual start (2 cores here); measure, then set.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "uvicorn_worker.UvicornWorker"
# A worker silent for this long is killed and replaced (a blocked event loop, chapter 25).
timeout = int(os.environ.get("WORKER_TIMEOUT", "30"))
# On SIGTERM each worker stops accepting and finishes its requests in flight, for at most
# this long; then it is killed. Orchestrators wait about 30 s before their SIGKILL: less.
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "20"))
# Idle keep-alive connections stay open this long: longer than the load balancer's own
# idle timeout, or the balancer reuses a connection the server has just closed (a 502).
keepalive = int(os.environ.get("KEEP_ALIVE", "75"))
# X-Forwarded-For and -Proto are believed only from these addresses (the proxy in front):
# anyone else could claim any client address or https. 127.0.0.1 unless told otherwise.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No access log from gunicorn: the app logs each request itself (app/core/middleware.py).
accesslog = None
# Several workers start at once: none of them migrates (MIGRATE_ON_STARTUP, app/core/config.py).
# start.sh runs `alembic upgrade head` once, before gunicorn starts.
raw_env = ["MIGRATE_ON_STARTUP=false"]
# The error log (starts, stops, worker deaths) on stderr, where the container's logs are read.
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")


def child_exit(server: Any, worker: Any) -> None:
    """A worker has ended, cleanly or not: its live gauge leaves the sums of /metrics
    (chapter 26). The worker's own shutdown does it too, but a worker that crashed cannot."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
