"""Morning rush: the demo city hall's staff arrive and ask for seats over HTTP at a steady rate.

Each arrival is one person's phone: `POST /api/seats/suggest`, `POST /api/seats` for the best
desk (`POST /api/seats/auto` when someone was faster), then `POST /api/me/seat/check-in` as at
the desk's QR code.
Requests are offered at `rush_rate` per second in total, arrivals spread evenly; latency is
measured per request from when it was due, so a server that falls behind shows it. Afterwards
the database is checked for double assignments: a desk with two active holds, a person with two,
or a desk that two people were told they got.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import create_engine, func, select

from benchmarks.live_clients import percentile
from benchmarks.load import generator_without_pauses
from benchmarks.processes import CpuMeter, ServerProcess, running_broker, running_server
from benchmarks.report import Bound, Figure, ScenarioResult
from benchmarks.workspace import Workspace
from contracts import DeskPresenceChanged, SensorClass, build_topic, encode
from firmware_config.loader import load_site
from firmware_config.paths import demo_site_path, demo_staff_path
from server.adapters.tables_seating import SeatHoldRow
from server.settings import Settings

log = logging.getLogger(__name__)

# Kept from the previous round, now judged on the median run and on the worst alike.
RUSH_P99 = Bound("<=", 250.0)
REQUESTS_PER_ARRIVAL = 3  # suggest, claim, check in (more only when a claim loses a race)
CSRF = "X-CSRF-Token"


@dataclass
class RushRun:
    """What the rush saw; latencies in seconds per request kind."""

    staff: int
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[str] = field(default_factory=Counter)
    seated: dict[str, str] = field(default_factory=dict)  # person -> desk they were given
    checked_in: int = 0
    no_desk: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    requests: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    double: dict[str, int] = field(default_factory=dict)

    def all_latencies(self) -> list[float]:
        return sorted(v for values in self.latencies.values() for v in values)


def run_rush(ws: Workspace) -> ScenarioResult:
    """2,000 arrivals (suggest + claim + check-in) against a server on SQLite."""
    c = ws.config
    # One log line per request would cost the load generator more than the requests do.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    site_path = in_the_morning(demo_site_path(), ws.tmp)
    database = ws.tmp / "rush.db"
    with running_broker(ws.tmp / "rush-broker") as broker:
        settings = Settings(
            database_url=f"sqlite:///{database}",
            broker_url=broker.url,
            site_file=site_path,
            mqtt_client_id="freeseat-bench-rush",
            demo_mode=True,
        )
        with running_server(
            settings, ws.logs / "rush-server.log", c.server_start_timeout_s
        ) as server:
            desks = _report_every_desk_free(broker.url, site_path, server)
            staff = _staff_ids(c.rush_staff)
            run = asyncio.run(_rush(server, staff, c.rush_rate, broker.pid))
    run.double = _double_assignments(database, run)
    return _result(run, desks, c.rush_rate)


def in_the_morning(site_path: Path, tmp: Path) -> Path:
    """A copy of the site in a time zone where it is about 10:00 now, whenever this runs.

    Seating is an office morning: run in the evening, the end-of-day release (20:00) would
    take back seats the run had just given out, and a run across midnight would change the
    day under it.
    """
    return at_local_hour(site_path, tmp, MORNING_HOUR)


def at_local_hour(site_path: Path, tmp: Path, hour: int) -> Path:
    """A copy of the site in a time zone where the hour now is `hour` (minutes as they are)."""
    data = yaml.safe_load(site_path.read_text(encoding="utf-8"))
    offset = (hour - datetime.now(UTC).hour + 12) % 24 - 12  # hours east of UTC
    # Etc/GMT zones count the other way: Etc/GMT-9 is nine hours east of UTC.
    data["site"]["timezone"] = f"Etc/GMT{-offset:+d}" if offset else "UTC"
    path = tmp / f"site-at-{hour:02d}h.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


MORNING_HOUR = 10


def _staff_ids(count: int) -> list[str]:
    lines = demo_staff_path().read_text(encoding="utf-8").splitlines()[1:]
    ids = [line.split(",", 1)[0] for line in lines if line]
    if count > len(ids):
        raise ValueError(f"the demo staff has {len(ids)} people; asked for {count}")
    return ids[:count]


def _report_every_desk_free(broker_url: str, site_path: Path, server: ServerProcess) -> int:
    """Every desk's sensor says nobody is there, so the rush starts on an empty, known office."""
    site = load_site(site_path)
    host, _, port = broker_url.removeprefix("mqtt://").partition(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="freeseat-bench-rush-sensors")
    client.connect(host, int(port))
    client.loop_start()
    now = datetime.now(UTC)
    infos = []
    desks = 0
    for device in site.devices:
        if device.kind != "desk":
            continue
        topic = build_topic(site.site.id, "desk", device.id, "event")
        for seq, desk in enumerate(device.desks, start=1):
            event = DeskPresenceChanged(
                device=device.id,
                epoch=1,
                seq=seq,
                at=now,
                desk=desk,
                present=False,
                sensor=device.sensor or SensorClass.MMWAVE,
            )
            infos.append(client.publish(topic, encode(event), qos=1))
            desks += 1
    for info in infos:
        info.wait_for_publish(timeout=60)
    client.loop_stop()
    client.disconnect()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        floors = httpx.get(f"{server.url}/api/floors", timeout=30).json()
        free = sum(f["counts"].get("free", 0) for f in floors)
        if free >= desks:
            return desks
        time.sleep(0.2)
    raise TimeoutError(f"only {free} of {desks} desks became free before the rush")


async def _rush(
    server: ServerProcess, staff: list[str], rate: float, broker_pid: int | None
) -> RushRun:
    run = RushRun(staff=len(staff))
    # Idle connections close before uvicorn's 5 s keep-alive does, so none is reused as it closes.
    limits = httpx.Limits(keepalive_expiry=2)
    clients = [httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) for _ in staff]
    try:
        gate = asyncio.Semaphore(50)

        async def sign_in(client: httpx.AsyncClient, person: str) -> None:
            async with gate:
                token = (await client.get("/api/session")).json()["csrf_token"]
                answer = await client.post(
                    "/api/session", json={"staff_id": person}, headers={CSRF: token}
                )
                answer.raise_for_status()
                client.headers[CSRF] = answer.json()["csrf_token"]

        await asyncio.gather(*(sign_in(cl, p) for cl, p in zip(clients, staff, strict=True)))
        log.info("rush: %d people signed in; arrivals start", len(staff))
        arrival_gap = REQUESTS_PER_ARRIVAL / rate
        meter = CpuMeter({"server": server.pid, "broker": broker_pid, "bench": 0})
        meter.start()
        with generator_without_pauses():
            t0 = time.perf_counter()
            await asyncio.gather(
                *(
                    _arrive(run, client, person, t0 + index * arrival_gap)
                    for index, (client, person) in enumerate(zip(clients, staff, strict=True))
                )
            )
            run.elapsed_s = time.perf_counter() - t0
        run.cpu = meter.stop()
    finally:
        await asyncio.gather(*(cl.aclose() for cl in clients))
    return run


async def _arrive(run: RushRun, client: httpx.AsyncClient, person: str, due: float) -> None:
    await asyncio.sleep(max(0.0, due - time.perf_counter()))
    try:
        found = await _timed(run, "suggest", client.post("/api/seats/suggest", json={"limit": 3}))
        suggestions = found.json()["suggestions"] if found.status_code == 200 else []
        desk = None
        if suggestions:
            best = suggestions[0]["desk"]
            claimed = await _timed(run, "claim", client.post("/api/seats", json={"desk": best}))
            if claimed.status_code == 201:
                desk = claimed.json()["desk"]
        if desk is None:
            # The best was taken meanwhile: "find me a seat" claims what is still free.
            auto = await _timed(run, "claim", client.post("/api/seats/auto", json={}))
            if auto.status_code != 201:
                run.no_desk += 1
                return
            desk = auto.json()["seat"]["desk"]
        run.seated[person] = desk
        scanned = await _timed(
            run, "check_in", client.post("/api/me/seat/check-in", json={"desk": desk, "how": "qr"})
        )
        # A scan counts as arrival only where the desk's sensor sees the person (it would
        # once they sit down); the others hold their desk until then.
        if scanned.status_code == 200 and scanned.json()["state"] == "checked_in":
            run.checked_in += 1
    except httpx.HTTPError as exc:
        run.errors[type(exc).__name__] += 1


async def _timed(run: RushRun, kind: str, request: Any) -> httpx.Response:
    started = time.perf_counter()
    response: httpx.Response = await request
    run.latencies[kind].append(time.perf_counter() - started)
    run.statuses[f"{kind} {response.status_code}"] += 1
    run.requests += 1
    return response


def _double_assignments(database: Path, run: RushRun) -> dict[str, int]:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            per_desk = conn.execute(
                select(SeatHoldRow.desk)
                .where(SeatHoldRow.active)
                .group_by(SeatHoldRow.desk)
                .having(func.count() > 1)
            ).all()
            per_person = conn.execute(
                select(SeatHoldRow.staff_id)
                .where(SeatHoldRow.active)
                .group_by(SeatHoldRow.staff_id, SeatHoldRow.day)
                .having(func.count() > 1)
            ).all()
            active = conn.execute(
                select(func.count()).select_from(SeatHoldRow).where(SeatHoldRow.active)
            ).scalar_one()
    finally:
        engine.dispose()
    told = Counter(run.seated.values())
    return {
        "desks_with_two_active_holds": len(per_desk),
        "people_with_two_active_holds": len(per_person),
        "desks_given_to_two_people": sum(1 for n in told.values() if n > 1),
        "active_holds": int(active),
        "seated_per_client": len(run.seated),
    }


def _result(run: RushRun, desks: int, rate: float) -> ScenarioResult:
    latencies = run.all_latencies()
    p50 = percentile(latencies, 50) * 1000 if latencies else None
    p99 = percentile(latencies, 99) * 1000 if latencies else None
    throughput = run.requests / run.elapsed_s if run.elapsed_s else 0.0
    double = (
        run.double["desks_with_two_active_holds"]
        + run.double["people_with_two_active_holds"]
        + run.double["desks_given_to_two_people"]
    )
    per_kind = {
        kind: {
            "count": len(values),
            "p50_ms": round(percentile(sorted(values), 50) * 1000, 1),
            "p99_ms": round(percentile(sorted(values), 99) * 1000, 1),
        }
        for kind, values in run.latencies.items()
        if values
    }
    cpu = run.cpu
    notes = (
        f"{run.staff:,} staff of the demo city hall ({desks:,} desks, all free at the start), "
        f"{rate:.0f} requests/s offered; CPU: server {cpu.get('server_cpu', 0):.0%}, load "
        f"generator {cpu.get('bench_cpu', 0):.0%} of a core, machine "
        f"{cpu.get('machine_busy', 0):.0%}"
    )
    figures = [
        Figure(
            "p99 latency",
            None if p99 is None else round(p99, 1),
            "ms",
            notes=notes,
            goal=RUSH_P99,
            floor=RUSH_P99,
        ),
        Figure("p50 latency", None if p50 is None else round(p50, 1), "ms"),
        Figure(
            "throughput", round(throughput, 1), "requests/s", notes=f"{run.requests:,} requests"
        ),
        Figure("double assignments", double, "count", "0", double == 0),
        Figure(
            "seated",
            len(run.seated),
            "people",
            notes=f"{run.checked_in:,} checked in; {run.no_desk:,} found no free desk",
        ),
    ]
    details: dict[str, Any] = {
        "per_request": per_kind,
        "statuses": dict(run.statuses),
        "errors": dict(run.errors),
        "elapsed_s": round(run.elapsed_s, 1),
        "double_assignment_checks": run.double,
        "cpu": cpu,
    }
    return ScenarioResult("morning_rush", "morning rush", figures=figures, details=details)
