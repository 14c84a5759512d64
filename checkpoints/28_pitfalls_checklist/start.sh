#!/bin/sh
# How the container starts the app (chapter 27): the migrations once, then the server.
# set -e: a failed migration stops the start; the old version keeps serving meanwhile.
set -e
# Before any worker exists, in one process: never one upgrade per worker.
alembic upgrade head
# Every worker's metrics in one folder, which /metrics sums (chapter 26), emptied of the
# files of an earlier start: those counts are not this run's.
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/metrics}"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -delete
# exec: gunicorn replaces this shell, so the SIGTERM of `docker stop` (or of Kubernetes)
# reaches gunicorn itself, which stops the workers gracefully (gunicorn.conf.py). Without
# exec, this shell is the container's process 1, which ignores SIGTERM.
exec gunicorn --config gunicorn.conf.py app.main:app
