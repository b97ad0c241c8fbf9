"""Raw limit: how fast a bare paho subscriber drains a QoS 1 backlog from the same Mosquitto."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt

from benchmarks.load import (
    EventSource,
    connect,
    disconnect,
    mqtt_client,
    prime_session,
    publish_backlog,
)
from benchmarks.processes import CpuMeter, running_broker
from benchmarks.report import Figure, ScenarioResult
from benchmarks.workspace import Workspace
from contracts import Channel, Kind, subscription

log = logging.getLogger(__name__)

MODES = ("auto_ack", "manual_ack")


@dataclass(frozen=True, slots=True)
class Drain:
    received: int
    seconds: float

    @property
    def rate(self) -> float:
        # From the first message to the last: connecting is not part of the drain.
        return (self.received - 1) / self.seconds if self.seconds > 0 else 0.0


def drain(
    host: str,
    port: int,
    client_id: str,
    expected: int,
    *,
    manual_ack: bool,
    receive_maximum: int,
    timeout: float,
) -> Drain:
    """Reconnect the persistent session and receive `expected` messages; ack each at once."""
    client = mqtt_client(client_id, manual_ack=manual_ack)
    received = 0
    first = last = 0.0
    done = threading.Event()

    def on_message(c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        nonlocal received, first, last
        now = time.perf_counter()
        if manual_ack:
            c.ack(message.mid, message.qos)
        if received == 0:
            first = now
        received += 1
        last = now
        if received >= expected:
            done.set()

    client.on_message = on_message
    connect(client, host, port, persistent=True, receive_maximum=receive_maximum)
    try:
        if not done.wait(timeout):
            raise TimeoutError(
                f"{client_id} received {received} of {expected} messages in {timeout:.0f} s"
            )
    finally:
        disconnect(client)
    return Drain(received, last - first)


def run_raw_limit(ws: Workspace) -> ScenarioResult:
    """Publish one backlog to two offline sessions; drain each, auto-ack then manual-ack."""
    config = ws.config
    result = ScenarioResult("raw_limit", "raw limit")
    bench = ws.ingest_site()
    host_filter = subscription(bench.site_id, Kind.DESK, Channel.EVENT)
    events = EventSource(bench, seed=11).batch(config.backlog)
    with running_broker(ws.tmp / "raw-broker") as broker:
        for mode in MODES:
            prime_session(
                broker.host, broker.port, f"bench-raw-{mode}", [host_filter], config.receive_maximum
            )
        published = publish_backlog(broker.host, broker.port, events, config.publish_timeout_s)
        log.info("raw limit: backlog of %d published at %.0f/s", published.count, published.rate)
        drains: dict[str, Drain] = {}
        cpu: dict[str, dict[str, float]] = {}
        for mode in MODES:
            meter = CpuMeter({"broker": broker.pid, "bench": 0})
            meter.start()
            drains[mode] = drain(
                broker.host,
                broker.port,
                f"bench-raw-{mode}",
                config.backlog,
                manual_ack=mode == "manual_ack",
                receive_maximum=config.receive_maximum,
                timeout=config.drain_timeout_s,
            )
            cpu[mode] = meter.stop()
            log.info("raw limit (%s): %.0f msg/s", mode, drains[mode].rate)
    manual, auto = drains["manual_ack"], drains["auto_ack"]
    ws.raw_limit = manual.rate
    result.figures = [
        Figure(
            "drain, manual ack (as freeseat)",
            round(manual.rate),
            "msg/s",
            notes=f"{manual.received:,} QoS 1 msgs from a persistent session; ack in "
            f"on_message; receive maximum {config.receive_maximum}; reference for ratios",
        ),
        Figure(
            "drain, auto ack",
            round(auto.rate),
            "msg/s",
            notes=f"paho acks after on_message returns; {auto.rate / manual.rate:.2f}x manual"
            if manual.rate
            else "",
        ),
    ]
    result.details = {
        "backlog": config.backlog,
        "publish_rate": round(published.rate),
        "payload_bytes": len(events[0].payload) if events else 0,
        "drains": {
            mode: {"received": d.received, "seconds": round(d.seconds, 3), "rate": round(d.rate)}
            for mode, d in drains.items()
        },
        "cpu": cpu,
    }
    return result
