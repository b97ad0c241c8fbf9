"""Footprint: the server's resident memory with a large site and many websocket clients."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from benchmarks.live_clients import ClientPool
from benchmarks.processes import memory_kib, running_broker, running_server
from benchmarks.report import Bound, Figure, ScenarioResult
from benchmarks.workspace import Workspace

log = logging.getLogger(__name__)

# 50,000 desks and 2,000 websocket clients: in 300 MB (286.1 MiB) on the median run, and the
# previous target of 500 MB (476.8 MiB) on the worst.
RSS_GOAL = Bound("<=", round(300e6 / 2**20, 1))
RSS_FLOOR = Bound("<=", round(500e6 / 2**20, 1))
SETTLE_S = 1.0


def run_footprint(ws: Workspace) -> ScenarioResult:
    c = ws.config
    result = ScenarioResult("footprint", "footprint")
    started = time.perf_counter()
    bench = ws.footprint_site()
    generated_s = time.perf_counter() - started
    with running_broker(ws.tmp / "footprint-broker") as broker:
        # One process: the figure is the whole server's memory, and an ingest worker would be
        # a second process with its own copy of the site.
        settings = ws.server_settings("footprint", broker.url, bench).model_copy(
            update={"ingest_worker": False}
        )
        started = time.perf_counter()
        with running_server(
            settings, ws.logs / "footprint-server.log", c.server_start_timeout_s
        ) as server:
            start_s = time.perf_counter() - started
            time.sleep(SETTLE_S)
            idle = memory_kib(server.pid)
            connected = asyncio.run(_with_clients(ws, server.ws_url, bench.floors, server.pid))
    loaded = connected["memory"]
    rss_mib = loaded["VmRSS"] / 1024
    idle_mib = idle["VmRSS"] / 1024
    clients = connected["connected"]
    per_client_kib = (loaded["VmRSS"] - idle["VmRSS"]) / clients if clients else 0.0
    result.figures = [
        Figure(
            "server RSS with clients",
            round(rss_mib, 1),
            "MiB",
            goal=RSS_GOAL,
            floor=RSS_FLOOR,
            passed=clients == c.footprint_clients,
            notes=f"{bench.desk_count:,} desks on {len(bench.floors)} floors, "
            f"{len(bench.gateways)} gateways; {clients:,} of {c.footprint_clients:,} clients "
            "connected, each with its floor's snapshot",
        ),
        Figure(
            "server RSS, site loaded, no clients",
            round(idle_mib, 1),
            "MiB",
            notes=f"server start (load site, migrate, seed) {start_s:.1f} s",
        ),
        Figure("RSS per websocket client", round(per_client_kib, 1), "KiB"),
        Figure("server peak RSS (VmHWM)", round(loaded["VmHWM"] / 1024, 1), "MiB"),
    ]
    result.details = {
        "desks": bench.desk_count,
        "floors": len(bench.floors),
        "gateways": len(bench.gateways),
        "site_file_bytes": bench.path.stat().st_size,
        "site_generation_s": round(generated_s, 2),
        "server_start_s": round(start_s, 2),
        "idle_kib": idle,
        "with_clients_kib": loaded,
        **{k: v for k, v in connected.items() if k != "memory"},
    }
    return result


async def _with_clients(ws: Workspace, url: str, floors: list[str], pid: int) -> dict[str, Any]:
    c = ws.config
    pool = ClientPool(url, compression=c.ws_compression, concurrency=c.connect_concurrency)
    try:
        await pool.open(floors, c.footprint_clients, wait_s=120)
        log.info(
            "footprint: %d clients connected in %.1f s",
            len(pool.connected),
            pool.connect_seconds,
        )
        await asyncio.sleep(SETTLE_S)
        memory = memory_kib(pid)
    finally:
        await pool.close()
    return {
        "memory": memory,
        "connected": len(pool.connected),
        "connect_seconds": round(pool.connect_seconds, 2),
        "connect_failures": len(pool.failures),
        "connect_failure_sample": pool.failures[:3],
    }
