"""`run_bench`: every scenario in one run, each with its own Mosquitto and server process."""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.config import BenchConfig, config_for
from benchmarks.footprint import run_footprint
from benchmarks.freshness import run_fanout, run_freshness
from benchmarks.ingest import run_ingest, run_ingest_replicas, run_ingest_sites
from benchmarks.processes import raise_fd_limit
from benchmarks.raw_limit import run_raw_limit
from benchmarks.report import BenchReport, ScenarioResult, machine_info, merge_results, versions
from benchmarks.rush import run_rush
from benchmarks.watermarks import run_watermarks
from benchmarks.workspace import Workspace
from server.adapters.embedded_broker import mosquitto_config

log = logging.getLogger("benchmarks")
LOG_FORMAT = "%(asctime)s %(name)s: %(message)s"

Scenario = Callable[[Workspace], ScenarioResult]

# In run order: ingest's ratio needs the raw limit of the same run.
SCENARIOS: dict[str, tuple[str, Scenario]] = {
    "raw_limit": ("raw limit", run_raw_limit),
    "ingest": ("ingest", run_ingest),
    "ingest_pg_1": ("ingest, 1 replica on PostgreSQL", lambda ws: run_ingest_replicas(ws, 1)),
    "ingest_pg_2": ("ingest, 2 replicas on PostgreSQL", lambda ws: run_ingest_replicas(ws, 2)),
    "ingest_pg_3": ("ingest, 3 replicas on PostgreSQL", lambda ws: run_ingest_replicas(ws, 3)),
    "ingest_sites": ("ingest, 20 buildings, 3 replicas", run_ingest_sites),
    "watermarks": ("ingest with watermarks vs without", run_watermarks),
    "freshness": ("freshness", run_freshness),
    "fanout": ("fan-out", run_fanout),
    "footprint": ("footprint", run_footprint),
    "morning_rush": ("morning rush", run_rush),
}
# Scenarios listed in the report before they can run: (title, why not yet).
NOT_YET_MEASURED: dict[str, tuple[str, str]] = {}
_ALIASES = {
    "raw": "raw_limit",
    "raw-limit": "raw_limit",
    "fan-out": "fanout",
    "rush": "morning_rush",
    "morning-rush": "morning_rush",
    "ingest_2": "ingest_pg_2",
    "replicas": "ingest_pg_1,ingest_pg_2,ingest_pg_3",
}

__all__ = ["SCENARIOS", "BenchConfig", "main", "run_bench"]


def run_bench(
    quick: bool,
    out_dir: Path,
    only: list[str] | None = None,
    *,
    scale: float = 1.0,
    profile: bool = False,
    rounds: int | None = None,
) -> BenchReport:
    """Run the scenarios (all, or `only` these), write bench.json and bench.md to `out_dir`.

    `quick` runs everything in under two minutes on two cores; `scale` shrinks the counts
    further (the smoke test); `profile` samples the server with py-spy during ingest.
    `rounds` (default 3, 1 when quick) runs every scenario that many times, round after round,
    and reports each figure's min, median and max.
    """
    rounds = rounds or (1 if quick else 3)
    config = config_for(quick, scale)
    selected = select(only)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Every websocket client is a socket here and one in the server (which inherits the limit).
    raise_fd_limit(2 * max(config.fanout_clients, config.footprint_clients) + 1024)
    began = time.perf_counter()
    report = BenchReport(
        quick=quick,
        scale=scale,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=machine_info(),
        versions=versions(),
        config=config.as_dict(),
        rounds=rounds,
    )
    with tempfile.TemporaryDirectory(prefix="freeseat-bench-") as tmp:
        ws = Workspace(config=config, tmp=Path(tmp), logs=out_dir / "logs", profile=profile)
        ws.logs.mkdir(parents=True, exist_ok=True)
        report.settings = _settings_used(ws)
        runs: dict[str, list[ScenarioResult]] = {name: [] for name in selected}
        for round_ in range(1, rounds + 1):
            # Ratios compare with this round's raw limit and single replica, never an older one.
            ws.raw_limit = ws.replica_rate_per_cpu = None
            for name in selected:
                title, _ = SCENARIOS[name]
                log.info("bench: round %d/%d: %s …", round_, rounds, title)
                started = time.perf_counter()
                try:
                    result, shared = _in_fresh_process(name, ws)
                    ws.raw_limit = shared.raw_limit or ws.raw_limit
                    ws.replica_rate_per_cpu = shared.replica_rate_per_cpu or ws.replica_rate_per_cpu
                except Exception as exc:
                    log.exception("bench: %s failed", title)
                    result = ScenarioResult(name, title, error=f"{type(exc).__name__}: {exc}")
                result.duration_s = round(time.perf_counter() - started, 1)
                runs[name].append(result)
                log.info("bench: %s took %.0f s", title, result.duration_s)
        for name, results in runs.items():
            report.scenarios[name] = merge_results(results)
    for name, (title, reason) in NOT_YET_MEASURED.items():
        report.scenarios[name] = ScenarioResult(
            name, title, measured=False, details={"not_yet_measured": reason}
        )
    report.duration_s = round(time.perf_counter() - began, 1)
    report.write(out_dir)
    return report


def _in_fresh_process(name: str, ws: Workspace) -> tuple[ScenarioResult, Workspace]:
    """Run one scenario's load generator in a process of its own, as if it ran alone.

    One bench process carried every scenario's leftovers into the next (1.8 GB by the rush):
    the rush measured 1.6-4.5 s p99 at the end of full runs, and 20-65 ms when run alone.
    Returns the result and the workspace as the scenario left it (with the figures later
    scenarios compare with: the raw limit, one replica's events per CPU-second).
    """
    spawn = multiprocessing.get_context("spawn")
    level = logging.getLogger().getEffectiveLevel()
    with ProcessPoolExecutor(1, mp_context=spawn, initializer=_log_like, initargs=(level,)) as pool:
        return pool.submit(_run_scenario, name, ws).result()


def _log_like(level: int) -> None:
    logging.basicConfig(level=level, format=LOG_FORMAT)


def _run_scenario(name: str, ws: Workspace) -> tuple[ScenarioResult, Workspace]:
    _, scenario = SCENARIOS[name]
    return scenario(ws), ws


def select(only: Sequence[str] | None) -> list[str]:
    """The scenarios to run, in run order; ingest brings the raw limit its ratio needs."""
    if not only:
        return list(SCENARIOS)
    wanted = {
        one
        for name in only
        for one in _ALIASES.get(name.strip().lower(), name.strip().lower()).split(",")
    }
    unknown = sorted(wanted - set(SCENARIOS) - set(NOT_YET_MEASURED))
    if unknown:
        raise ValueError(
            f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}"
        )
    if "ingest" in wanted:
        wanted.add("raw_limit")
    if wanted & {"ingest_pg_2", "ingest_pg_3", "ingest_sites"}:
        wanted.add("ingest_pg_1")  # their scaling is against one replica of the same round
    return [name for name in SCENARIOS if name in wanted]


def _settings_used(ws: Workspace) -> dict[str, Any]:
    settings = ws.server_settings("<scenario>", "mqtt://127.0.0.1:<port>", ws.ingest_site())
    shown = settings.model_dump(mode="json", exclude={"broker_password", "broker_username"})
    shown["database_url"] = "sqlite:///<tmp>/<scenario>.db (fresh file per scenario)"
    shown["broker_url"] = "mqtt://127.0.0.1:<free port> (private Mosquitto per scenario)"
    shown["mqtt_client_id"] = "freeseat-bench-<scenario>"
    shown["site_file"] = "generated per run (see bench configuration)"
    shown["uvicorn websockets"] = (
        "ws=LiveSocketProtocol (websockets-sansio; ping every 2 s, 1013 on a pong 3 s late),"
        " no per-message deflate (server.api.app.UVICORN_OPTIONS)"
    )
    shown["mosquitto.conf"] = "; ".join(
        line
        for line in mosquitto_config(0, Path("<tmp>")).splitlines()
        if line and not line.startswith(("listener", "persistence_location", "log_", "user"))
    )
    return shown


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m benchmarks [--quick] [--out DIR] [--only NAME ...]`."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="under two minutes on two cores")
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    parser.add_argument("--only", nargs="+", metavar="SCENARIO", help=", ".join(SCENARIOS))
    parser.add_argument("--scale", type=float, default=1.0, help="shrink counts (e.g. 0.5)")
    parser.add_argument("--profile", action="store_true", help="py-spy the server during ingest")
    parser.add_argument(
        "--rounds", type=int, default=None, help="runs of every scenario (default 3; quick 1)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    try:
        report = run_bench(
            args.quick,
            args.out,
            args.only,
            scale=args.scale,
            profile=args.profile,
            rounds=args.rounds,
        )
    except ValueError as exc:
        parser.error(str(exc))
    sys.stdout.write(report.to_markdown())
    sys.stdout.write(f"\nwrote {report.json_path} and {report.markdown_path}\n")
    failed = [r.name for r in report.scenarios.values() if r.error is not None]
    return 1 if failed else 0
