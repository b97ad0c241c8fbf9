"""Ingest: the server drains the raw limit's backlog size to committed-and-acked events."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from benchmarks.bench_site import BenchSite
from benchmarks.load import EventSource, publish_backlog
from benchmarks.processes import CpuMeter, ServerProcess, child_pids, running_broker
from benchmarks.profiler import Profiler
from benchmarks.report import Bound, Figure, ScenarioResult
from benchmarks.workspace import Workspace
from server.adapters.database import make_engine
from server.settings import Settings

log = logging.getLogger(__name__)

# Ingest against the raw drain: the goal on the median run, the previous target on the worst.
GOAL_RATIO = Bound(">=", 70.0)
FLOOR_RATIO = Bound(">=", 50.0)
# N replicas' events per server-CPU-second against one replica's, on the same database.
GOAL_SCALING = Bound(">=", 0.9)
# Coarse enough that answering the poll costs the server little CPU, fine enough for ±2%
# on a drain of several seconds.
POLL_S = 0.2
STALL_S = 30.0


def run_ingest(ws: Workspace) -> ScenarioResult:
    """Backlog published while the server is down, then timed from first to last commit."""
    return _run(ws, replicas=1)


def run_ingest_with(ws: Workspace, name: str, **settings: Any) -> ScenarioResult:
    """The ingest scenario with some server settings changed (one server, SQLite)."""
    return _run(ws, replicas=1, name=name, overrides=settings)


def run_ingest_replicas(ws: Workspace, replicas: int) -> ScenarioResult:
    """The same backlog drained by `replicas` servers on PostgreSQL, each owning a share of
    the device partitions. Reported per server-CPU-second, against one replica on PostgreSQL:
    what a replica adds when it has a core of its own (this machine has only two)."""
    return _on_postgres(ws, f"ingest_pg_{replicas}", replicas, ws.ingest_site())


def run_ingest_sites(ws: Workspace) -> ScenarioResult:
    """A campus of many buildings (20 x 2,500 desks in the full run) drained by 3 replicas."""
    return _on_postgres(ws, "ingest_sites", 3, ws.campus_site())


def _on_postgres(ws: Workspace, name: str, replicas: int, bench: BenchSite) -> ScenarioResult:
    missing = postgres_missing(ws.postgres_url)
    if missing is not None:
        return ScenarioResult(name, name, measured=False, details={"not_measured": missing})
    with scratch_database(ws.postgres_url) as url:
        return _run(ws, replicas=replicas, database_url=url, name=name, bench=bench)


def postgres_missing(admin_url: str) -> str | None:
    """Why replicas cannot be measured here (no driver, no server), or None when they can."""
    if importlib.util.find_spec("psycopg") is None:
        return "needs PostgreSQL support: scripts/bootstrap postgresql"
    admin = create_engine(admin_url)
    try:
        with admin.connect():
            return None
    except OperationalError:
        shown = make_url(admin_url).render_as_string()
        return f"needs a PostgreSQL server at {shown} (FREESEAT_BENCH_DATABASE_URL)"
    finally:
        admin.dispose()


def _run(
    ws: Workspace,
    replicas: int,
    database_url: str | None = None,
    name: str = "ingest",
    bench: BenchSite | None = None,
    overrides: dict[str, Any] | None = None,
) -> ScenarioResult:
    config = ws.config
    result = ScenarioResult(name, name)
    bench = bench or ws.ingest_site()
    events = EventSource(bench, seed=11).batch(config.backlog)
    with running_broker(ws.tmp / f"{name}-broker") as broker:
        base = ws.server_settings(name, broker.url, bench)
        if overrides:
            base = base.model_copy(update=overrides)
        if database_url is not None:
            base = base.model_copy(update={"database_url": database_url})
        settings = [
            base
            if database_url is None
            else base.model_copy(
                update={"mqtt_client_id": f"{base.mqtt_client_id}-r{i}", "scale_out": True}
            )
            for i in range(replicas)
        ]
        logs = [ws.logs / f"{name}-server{i or ''}.log" for i in range(replicas)]
        # A first start creates each server's persistent session with its subscriptions (for
        # replicas, to the partitions each took); the backlog then waits in them while the
        # servers are down, as after an outage.
        first = [ServerProcess(one, log_path) for one, log_path in zip(settings, logs, strict=True)]
        try:
            with ThreadPoolExecutor(len(first)) as starting:
                for started in [
                    starting.submit(s.start, config.server_start_timeout_s) for s in first
                ]:
                    started.result()
            if replicas > 1:
                _wait_balanced(first, config.server_start_timeout_s)
        finally:
            for server in first:
                server.stop()
        published = publish_backlog(broker.host, broker.port, events, config.publish_timeout_s)
        log.info("%s: backlog of %d published; restarting", name, published.count)

        servers = [
            ServerProcess(one, log_path) for one, log_path in zip(settings, logs, strict=True)
        ]
        profiler: Profiler | None = None
        try:
            # Started side by side, so neither drains its share before the other is up.
            with ThreadPoolExecutor(len(servers)) as starting:
                for started in [
                    starting.submit(s.start, config.server_start_timeout_s, wait_connected=False)
                    for s in servers
                ]:
                    started.result()
            pids: dict[str, int | None] = {
                f"server{i or ''}": server.pid for i, server in enumerate(servers)
            }
            # The ingest worker (and multiprocessing's helper) are the server's children.
            for i, server in enumerate(servers):
                for n, child in enumerate(child_pids(server.pid)):
                    pids[f"server{i or ''}-child{n}"] = child
            meter = CpuMeter({**pids, "broker": broker.pid, "bench": 0})
            meter.start()
            if ws.profile and replicas == 1:
                profiler = Profiler(servers[0].pid, ws.logs / "ingest-profile.txt")
            timing = _wait_drained(servers, config.backlog, config.drain_timeout_s)
            cpu = meter.stop()
            healths = [server.health() for server in servers]
        finally:
            profile = profiler.stop() if profiler is not None else None
            for server in servers:
                server.stop()
    health = {key: sum(h[key] for h in healths) for key in ("applied", "duplicates", "quarantined")}
    rows, batches = _event_log(base.database_url)
    rate = timing["rate"]
    ratio = rate / ws.raw_limit if ws.raw_limit else None
    exact = (
        health["applied"] == published.count == rows
        and health["duplicates"] == 0
        and health["quarantined"] == 0
    )
    worker = ", ingest worker process" if base.ingest_worker else ""
    backend = "PostgreSQL" if base.database_url.startswith("postgresql") else "SQLite"
    server_cpu = sum(cpu.get(f"{pid_name}_cpu", 0) for pid_name in pids)
    per_cpu = rate / server_cpu if server_cpu else 0.0
    shares = (
        ""
        if replicas == 1
        else "; applied per replica " + " / ".join(f"{h['applied']:,}" for h in healths)
    )
    result.figures = [
        Figure(
            "drain to committed + acked",
            round(rate),
            "events/s",
            notes=f"{published.count:,} events over {bench.desk_count:,} desks, {backend}{worker}"
            f", {replicas} server(s), batch ≤ {config.ingest_batch_max}, receive maximum "
            f"{config.receive_maximum}, mean commit {rows / max(batches, 1):.0f} events; server "
            f"CPU {server_cpu:.0%} of a core (with workers), broker {cpu.get('broker_cpu', 0):.0%}"
            f", machine {cpu.get('machine_busy', 0):.0%}{shares}",
        ),
    ]
    if database_url is None:
        result.figures.append(
            Figure(
                "ratio to raw limit",
                round(ratio * 100, 1) if ratio is not None else None,
                "%",
                goal=GOAL_RATIO,
                floor=FLOOR_RATIO,
                notes="against the manual-ack drain of this round"
                if ratio is not None
                else "raw limit not measured in this round",
            )
        )
    else:
        result.figures.append(
            Figure(
                "events per server-CPU-second",
                round(per_cpu),
                "events/s/core",
                notes=f"{rate:,.0f} events/s at {server_cpu:.0%} of a core (servers, workers)",
            )
        )
        if replicas == 1:
            ws.replica_rate_per_cpu = per_cpu
        else:
            scaling = per_cpu / ws.replica_rate_per_cpu if ws.replica_rate_per_cpu else None
            result.figures.append(
                Figure(
                    "per CPU-second, × one replica",
                    round(scaling, 2) if scaling is not None else None,
                    "×",
                    goal=GOAL_SCALING,
                    notes="against one replica on PostgreSQL in this round",
                )
            )
    result.figures.append(
        Figure(
            "applied exactly once",
            float(health["applied"]),
            "events",
            target=f"= {published.count:,} published",
            passed=exact,
            notes=f"event_log rows {rows:,}, duplicates {health['duplicates']}, "
            f"quarantined {health['quarantined']}",
        )
    )
    result.details = {
        "replicas": replicas,
        "published": published.count,
        "applied": health["applied"],
        "applied_per_replica": [h["applied"] for h in healths],
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


def _wait_balanced(servers: list[ServerProcess], timeout: float) -> None:
    """Until the replicas have shared the device partitions out: each owns some, all are owned,
    and none is still received by two (else the backlog would wait in two sessions)."""
    count = Settings.model_fields["ingest_partitions"].default
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        views = [_replica(server) for server in servers]
        held = [set(v.get("ingest_partitions") or []) for v in views]
        if (
            all(held)
            and len(set().union(*held)) == count
            and not any(v.get("handing_over") for v in views)
            and _all_connected(servers)
        ):
            return
        time.sleep(POLL_S)
    raise TimeoutError("the replicas did not share the device partitions out")


def _all_connected(servers: list[ServerProcess]) -> bool:
    return all((s.try_health() or {}).get("broker_connected") for s in servers)


def _replica(server: ServerProcess) -> dict[str, Any]:
    with urllib.request.urlopen(f"{server.url}/api/replica", timeout=10) as response:
        data: dict[str, Any] = json.loads(response.read())
        return data


def _wait_drained(servers: list[ServerProcess], expected: int, timeout: float) -> dict[str, Any]:
    """Poll /api/health until every event is processed; the rate runs from the first sample
    that shows progress to the one that shows the end, so startup is not counted."""
    deadline = time.monotonic() + timeout
    first: tuple[float, int] | None = None
    last_seen, last_change = -1, time.monotonic()
    while True:
        healths = [server.health() for server in servers]
        now = time.perf_counter()
        processed = sum(h["applied"] + h["duplicates"] + h["quarantined"] for h in healths)
        health = {"per_server": healths}
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


def _event_log(url: str) -> tuple[int, int]:
    """Rows in the event log, and how many commits wrote them (a batch shares `received_at`)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows, batches = conn.execute(
                text("SELECT count(*), count(DISTINCT received_at) FROM event_log")
            ).one()
    finally:
        engine.dispose()
    return int(rows), int(batches)


@contextlib.contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one run, dropped afterwards."""
    name = f"freeseat_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
