"""Ingest: the server drains the raw limit's backlog size to committed-and-acked events."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from benchmarks.load import EventSource, publish_backlog
from benchmarks.processes import CpuMeter, ServerProcess, running_broker
from benchmarks.profiler import Profiler
from benchmarks.report import Figure, ScenarioResult
from benchmarks.workspace import Workspace

log = logging.getLogger(__name__)

TARGET_RATIO = 0.5
POLL_S = 0.05
STALL_S = 30.0


def run_ingest(ws: Workspace) -> ScenarioResult:
    """Backlog published while the server is down, then timed from first to last commit."""
    config = ws.config
    result = ScenarioResult("ingest", "ingest")
    bench = ws.ingest_site()
    events = EventSource(bench, seed=11).batch(config.backlog)
    with running_broker(ws.tmp / "ingest-broker") as broker:
        settings = ws.server_settings("ingest", broker.url, bench)
        log_path = ws.logs / "ingest-server.log"
        # A first start creates the server's persistent session with its own subscriptions;
        # the backlog then waits in it while the server is down, as after an outage.
        first = ServerProcess(settings, log_path)
        try:
            first.start(config.server_start_timeout_s)
        finally:
            first.stop()
        published = publish_backlog(broker.host, broker.port, events, config.publish_timeout_s)
        log.info("ingest: backlog of %d published; restarting the server", published.count)

        server = ServerProcess(settings, log_path)
        profiler: Profiler | None = None
        try:
            server.start(config.server_start_timeout_s, wait_connected=False)
            meter = CpuMeter({"server": server.pid, "broker": broker.pid, "bench": 0})
            meter.start()
            if ws.profile:
                profiler = Profiler(server.pid, ws.logs / "ingest-profile.txt")
            timing = _wait_drained(server, config.backlog, config.drain_timeout_s)
            cpu = meter.stop()
            health = server.health()
        finally:
            profile = profiler.stop() if profiler is not None else None
            server.stop()
    rows, batches = _event_log(Path(settings.database_url.removeprefix("sqlite:///")))
    rate = timing["rate"]
    ratio = rate / ws.raw_limit if ws.raw_limit else None
    exact = (
        health["applied"] == published.count == rows
        and health["duplicates"] == 0
        and health["quarantined"] == 0
    )
    result.figures = [
        Figure(
            "drain to committed + acked",
            round(rate),
            "events/s",
            notes=f"{published.count:,} events, SQLite, batch ≤ {config.ingest_batch_max}, "
            f"receive maximum {config.receive_maximum}, mean commit "
            f"{rows / max(batches, 1):.0f} events; server CPU {cpu.get('server_cpu', 0):.0%}"
            f" of a core, broker {cpu.get('broker_cpu', 0):.0%}",
        ),
        Figure(
            "ratio to raw limit",
            round(ratio * 100, 1) if ratio is not None else None,
            "%",
            target=f"≥ {TARGET_RATIO:.0%}",
            passed=ratio >= TARGET_RATIO if ratio is not None else None,
            notes="against the manual-ack drain of this run"
            if ratio is not None
            else "raw limit not measured in this run",
        ),
        Figure(
            "applied exactly once",
            float(health["applied"]),
            "events",
            target=f"= {published.count:,} published",
            passed=exact,
            notes=f"event_log rows {rows:,}, duplicates {health['duplicates']}, "
            f"quarantined {health['quarantined']}",
        ),
    ]
    result.details = {
        "published": published.count,
        "applied": health["applied"],
        "duplicates": health["duplicates"],
        "quarantined": health["quarantined"],
        "event_log_rows": rows,
        "batches": batches,
        "mean_batch": round(rows / batches, 1) if batches else 0,
        "drain": timing,
        "cpu": cpu,
        "desks": bench.desk_count,
        "gateways": len(bench.gateways),
    }
    if profile is not None:
        result.details["profile"] = profile
    return result


def _wait_drained(server: ServerProcess, expected: int, timeout: float) -> dict[str, Any]:
    """Poll /api/health until every event is processed; the rate runs from the first sample
    that shows progress to the one that shows the end, so startup is not counted."""
    deadline = time.monotonic() + timeout
    first: tuple[float, int] | None = None
    last_seen, last_change = -1, time.monotonic()
    while True:
        health = server.health()
        now = time.perf_counter()
        processed = health["applied"] + health["duplicates"] + health["quarantined"]
        if first is None and processed > 0:
            first = (now, processed)
        if processed >= expected:
            assert first is not None
            seconds = now - first[0]
            counted = processed - first[1]
            if seconds <= 0 or counted <= 0:
                # Everything arrived before the first answer: time it from server start.
                raise RuntimeError(
                    "the backlog drained before the first health sample; raise the backlog"
                )
            return {
                "seconds": round(seconds, 3),
                "counted": counted,
                "rate": counted / seconds,
                "first_sample": first[1],
            }
        if processed != last_seen:
            last_seen, last_change = processed, time.monotonic()
        elif time.monotonic() - last_change > STALL_S:
            raise RuntimeError(
                f"ingest stalled at {processed} of {expected} for {STALL_S:.0f} s: {health}"
            )
        if time.monotonic() > deadline:
            raise TimeoutError(f"ingest processed {processed} of {expected} in {timeout:.0f} s")
        time.sleep(POLL_S)


def _event_log(database: Path) -> tuple[int, int]:
    """Rows in the event log, and how many commits wrote them (a batch shares `received_at`)."""
    with contextlib.closing(
        sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    ) as db:
        rows, batches = db.execute(
            "SELECT count(*), count(DISTINCT received_at) FROM event_log"
        ).fetchone()
        return int(rows), int(batches)
