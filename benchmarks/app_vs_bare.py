"""The app's own cost: a checkpoint against a bare FastAPI app that answers the same JSON.

    .venv/bin/python benchmarks/app_vs_bare.py [CHECKPOINT_DIR] [--requests N] [--logins N]

Starts both under real uvicorn servers (workbook/server.py), measures them in turns
(three rounds, medians), and prints, each beside its goal and the baseline of the same run:

- requests/s of /health and of the item listing (a database read, cached since chapter 25),
  app over bare (goals: at least 0.7 and 0.4);
- the p99 of /health while twenty logins hash at once (BCRYPT_ROUNDS=12, production's
  cost; goal: at most 50 ms), beside the p99 of an idle /health.

A benchmark, not a test: the figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbook.server import LiveServer  # noqa: E402

LISTING = "/api/v1/items"
BARE_APP = """
import json
from fastapi import FastAPI

app = FastAPI()
LISTING = json.loads({listing!r})


@app.get("/health")
async def health() -> dict[str, str]:
    return {{"status": "ok"}}


@app.get("{path}")
async def items() -> dict:
    return LISTING
"""


def latest_checkpoint() -> Path:
    return sorted(p for p in (ROOT / "checkpoints").iterdir() if (p / "app").is_dir())[-1]


async def hammer(url: str, count: int, concurrency: int = 10) -> tuple[float, list[float]]:
    """count GETs of url, concurrency at a time: requests/s, and each one's latency."""
    latencies: list[float] = []
    left = iter(range(count))

    async def worker(http: httpx.AsyncClient) -> None:
        for _ in left:
            start = time.perf_counter()
            r = await http.get(url)
            latencies.append(time.perf_counter() - start)
            r.raise_for_status()

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        await http.get(url)  # warm: the first request opens the connection and the caches
        start = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return count / elapsed, latencies


def p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else latencies[0]


async def health_during_logins(server: LiveServer, logins: int) -> tuple[float, float]:
    """p99 of /health idle, then while `logins` logins of an unknown email hash at once."""
    _, idle = await hammer(f"{server.url}/health", 100, concurrency=1)
    form = {"username": "nobody@example.com", "password": "wrong-password"}
    during: list[float] = []
    async with httpx.AsyncClient(timeout=60) as http:
        tasks = [
            asyncio.create_task(http.post(f"{server.url}/api/v1/auth/token", data=form))
            for _ in range(logins)
        ]
        await asyncio.sleep(0.05)
        while not all(task.done() for task in tasks):
            start = time.perf_counter()
            await http.get(f"{server.url}/health")
            during.append(time.perf_counter() - start)
            await asyncio.sleep(0.005)
        await asyncio.gather(*tasks)
    return p99(idle), p99(during or idle)


def line(what: str, value: str, goal: str, baseline: str) -> None:
    print(f"{what:<44} {value:>10}   goal {goal:<8} baseline {baseline}")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", nargs="?", type=Path, default=None)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--logins", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=12, help="BCRYPT_ROUNDS of the app")
    args = parser.parse_args()
    checkpoint = (args.checkpoint or latest_checkpoint()).resolve()
    if not (checkpoint / "app").is_dir():
        print(f"{checkpoint} holds no app/ package: name a checkpoint folder", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="app-vs-bare-"))
    os.environ.update(
        DATABASE_URL=f"sqlite:///{work / 'bench.db'}",
        BCRYPT_ROUNDS=str(args.rounds),
        LOGIN_MAX_FAILURES="1000000",
        LOGIN_MAX_FAILURES_PER_CLIENT="1000000",
    )
    print(f"checkpoint {checkpoint.name}, {args.requests} requests, 10 at a time, 3 rounds")
    with LiveServer(checkpoint) as app:
        listing = app.get(LISTING).text
        (work / "app").mkdir()
        (work / "app" / "__init__.py").write_text("")
        (work / "app" / "main.py").write_text(BARE_APP.format(listing=listing, path=LISTING))
        with LiveServer(work) as bare:
            # Both servers up at once, measured in turns: a machine that gets busier during
            # the run slows both alike; each figure is the median of its three rounds.
            rates: dict[str, list[float]] = {}
            for _ in range(3):
                for name, server, path in (
                    ("app_health", app, "/health"),
                    ("bare_health", bare, "/health"),
                    ("app_items", app, LISTING),
                    ("bare_items", bare, LISTING),
                ):
                    rate, _ = await hammer(f"{server.url}{path}", args.requests)
                    rates.setdefault(name, []).append(rate)
        idle, during = await health_during_logins(app, args.logins)
    app_health, bare_health, app_items, bare_items = (
        statistics.median(rates[name])
        for name in ("app_health", "bare_health", "app_items", "bare_items")
    )
    line(
        "/health, app / bare requests/s",
        f"{app_health / bare_health:.2f}",
        ">= 0.7",
        f"bare {bare_health:.0f} requests/s, app {app_health:.0f}",
    )
    line(
        f"{LISTING}, app / bare requests/s",
        f"{app_items / bare_items:.2f}",
        ">= 0.4",
        f"bare {bare_items:.0f} requests/s, app {app_items:.0f}",
    )
    line(
        f"/health p99 during {args.logins} logins (rounds {args.rounds})",
        f"{during * 1000:.1f} ms",
        "<= 50 ms",
        f"idle p99 {idle * 1000:.1f} ms",
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
