"""What the applied watermark costs ingest: the same backlog drained with it and without.

The watermark (server/adapters/watermarks.py) is one retained publish per device per commit.
Both variants run in this scenario, on the same machine, alternating (off, on, off, on), so
drift of a shared machine hits both; the better drain of each is compared, by wall clock and
per CPU-second of server and broker. Where other work shares the machine, identical drains
differ by a fifth or more, more than the watermark costs; so the judged figure adds the
watermark's own CPU, measured alone (`Watermarks.send` of the drain's batch shape through a
real paho client into a real Mosquitto), to the CPU an event costs without it: the throughput
ratio on a machine that ingest has to itself.
"""

from __future__ import annotations

import logging
import random
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from benchmarks.ingest import run_ingest_with
from benchmarks.processes import cpu_seconds, running_broker
from benchmarks.report import Bound, Figure, ScenarioResult
from benchmarks.workspace import Workspace
from server.adapters.system_clock import SystemClock
from server.adapters.watermarks import Watermarks
from server.services.recorded import RecordedSeqs
from server.services.site_index import SiteIndex

log = logging.getLogger(__name__)

# Throughput with watermarks against without: at most 10 % less (issue 15).
GOAL_RATIO = Bound(">=", 90.0)
PAIRS = 2
# The isolated measurement: this many commits of `ingest_batch_max` events.
ISOLATED_BATCHES = 200


def run_watermarks(ws: Workspace) -> ScenarioResult:
    """Drain the ingest backlog `PAIRS` times each with watermarks off and on."""
    result = ScenarioResult("watermarks", "ingest with watermarks vs without")
    rates: dict[bool, list[float]] = {False: [], True: []}
    per_cpu: dict[bool, list[float]] = {False: [], True: []}
    exact = True
    for pair in range(PAIRS):
        for on in (False, True):
            name = f"watermarks_{'on' if on else 'off'}_{pair + 1}"
            drained = run_ingest_with(ws, name, ingest_watermarks=on)
            rate = drained.figures[0].value or 0.0
            exact = exact and all(f.passed is not False for f in drained.figures[2:])
            rates[on].append(rate)
            cpu = drained.details["cpu"]
            busy = sum(v for k, v in cpu.items() if k.startswith(("server", "broker")))
            per_cpu[on].append(rate / busy if busy else 0.0)
            log.info("%s: %.0f events/s, %.0f per CPU-second", name, rate, per_cpu[on][-1])
    best_on, best_off = max(rates[True]), max(rates[False])
    ratio = best_on / best_off * 100 if best_off else None
    cpu_on, cpu_off = max(per_cpu[True]), max(per_cpu[False])
    cpu_ratio = cpu_on / cpu_off * 100 if cpu_off else None
    server_us, broker_us = _isolated_cost(ws)
    base_us = 1e6 / cpu_off if cpu_off else None
    isolated = base_us / (base_us + server_us + broker_us) * 100 if base_us else None
    result.figures = [
        Figure(
            "throughput with / without (CPU per event)",
            round(isolated, 1) if isolated is not None else None,
            "%",
            goal=GOAL_RATIO,
            passed=exact,
            notes=f"watermark {server_us:.1f} µs server + {broker_us:.1f} µs broker CPU per event"
            f" (alone, {ISOLATED_BATCHES} commits of {ws.config.ingest_batch_max}) on "
            f"{base_us or 0:.0f} µs per event without"
            + ("" if exact else "; a drain did not apply every event exactly once"),
        ),
        Figure(
            "per CPU-second, with / without",
            round(cpu_ratio, 1) if cpu_ratio is not None else None,
            "%",
            notes=f"events per CPU-second of server and broker: with {_runs(per_cpu[True])}; "
            f"without {_runs(per_cpu[False])}",
        ),
        Figure("drain with watermarks", round(best_on), "events/s", notes=_runs(rates[True])),
        Figure("drain without watermarks", round(best_off), "events/s", notes=_runs(rates[False])),
        Figure(
            "wall-clock rate, with / without",
            round(ratio, 1) if ratio is not None else None,
            "%",
            notes="best drain of each, same run and machine (noisy where other work runs)",
        ),
    ]
    result.details = {
        "watermark_server_us_per_event": round(server_us, 2),
        "watermark_broker_us_per_event": round(broker_us, 2),
        "with": rates[True],
        "without": rates[False],
        "per_cpu_with": per_cpu[True],
        "per_cpu_without": per_cpu[False],
    }
    return result


def _runs(rates: list[float]) -> str:
    return "runs " + ", ".join(f"{rate:,.0f}" for rate in rates)


def _isolated_cost(ws: Workspace) -> tuple[float, float]:
    """CPU µs per event that watermarks add to the server and to the broker, measured alone:
    the ingest site's devices, events spread over them at random as in the backlog."""
    bench = ws.ingest_site()
    index = SiteIndex.from_site(bench.site)
    devices = sorted(bench.gateways)
    rng = random.Random(7)
    seqs = dict.fromkeys(devices, 0)
    commits = []
    for _ in range(ISOLATED_BATCHES):
        recorded = RecordedSeqs()
        for _ in range(ws.config.ingest_batch_max):
            device = rng.choice(devices)
            seqs[device] += 1
            recorded.add(device, 1, seqs[device], 1)
        commits.append(recorded)
    events = ISOLATED_BATCHES * ws.config.ingest_batch_max
    with running_broker(ws.tmp / "watermarks-isolated-broker") as broker:
        assert broker.pid is not None
        client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        client.connect(broker.host, broker.port)
        client.loop_start()
        try:
            # The server's own publish: MqttBridge.publish_retained.
            marks = Watermarks(
                lambda topic, payload: client.publish(topic, payload, qos=0, retain=True),
                index,
                SystemClock(),
            )
            time.sleep(0.5)
            broker_before, before = cpu_seconds(broker.pid), time.process_time()
            for recorded in commits:
                marks.send(recorded)
            time.sleep(0.5)  # paho's thread and the broker finish what was handed over
            server_s = time.process_time() - before
            broker_s = cpu_seconds(broker.pid) - broker_before
        finally:
            client.loop_stop()
            client.disconnect()
    return server_s / events * 1e6, broker_s / events * 1e6
