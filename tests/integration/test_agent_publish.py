"""The desk agent against a real Mosquitto: ordered delivery, outage survival, status and LWT."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from contracts import (
    DeskPresenceChanged,
    DeviceBooted,
    DeviceState,
    DeviceStatus,
    SensorClass,
    decode,
)
from edge_agent.desk_agent import DeskGateway, default_hold_times, run_desk_agent
from edge_agent.runtime import ConnectionSettings, Outbox
from edge_agent.sensors import QueuedSource, SensorReading
from server.adapters.embedded_broker import MosquittoBroker
from tests.fakes import FakeClock
from tests.support import answer_as_server, wait_until

REPO = Path(__file__).resolve().parents[2]
WAIT_S = 15.0


@dataclass(frozen=True)
class Seen:
    topic: str
    message: Any
    retain: bool
    properties: Any
    dup: bool  # the broker redelivered it to this recorder's session


class Recorder:
    """A plain paho subscriber with a persistent session, recording one site's messages.

    It answers every event as the server does once it has committed it: a retained
    `device.applied` on the device's cmd topic, without which no agent empties its outbox.
    """

    def __init__(self, broker: MosquittoBroker, site: str) -> None:
        self.site = site
        self._lock = threading.Lock()
        self._seen: list[Seen] = []
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"rec-{uuid.uuid4().hex[:10]}",
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        self.client.reconnect_delay_set(1, 1)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.on_message = self._on_message
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = 3600
        self.client.connect(broker.host, broker.port, clean_start=False, properties=properties)
        self.client.loop_start()
        assert self._subscribed.wait(WAIT_S), "the recorder could not subscribe"

    def _on_connect(self, client: mqtt.Client, *args: Any) -> None:
        client.subscribe(f"freeseat/v1/{self.site}/#", qos=1)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        message = decode(msg.topic, msg.payload).message
        seen = Seen(msg.topic, message, msg.retain, msg.properties, bool(msg.dup))
        with self._lock:
            self._seen.append(seen)
        answer_as_server(client, msg.topic, message)

    def seen(self) -> list[Seen]:
        with self._lock:
            return list(self._seen)

    def events(self, device: str) -> list[DeskPresenceChanged | DeviceBooted]:
        return [
            s.message
            for s in self.seen()
            if isinstance(s.message, DeskPresenceChanged | DeviceBooted)
            and s.message.device == device
        ]

    def event_arrivals(self, device: str) -> list[Seen]:
        return [
            s
            for s in self.seen()
            if isinstance(s.message, DeskPresenceChanged | DeviceBooted)
            and s.message.device == device
        ]

    def presence(self, device: str) -> list[DeskPresenceChanged]:
        return [e for e in self.events(device) if isinstance(e, DeskPresenceChanged)]

    def statuses(self, device: str) -> list[DeviceStatus]:
        return [
            s.message
            for s in self.seen()
            if isinstance(s.message, DeviceStatus) and s.message.device == device
        ]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def site() -> str:
    """A site id of its own, so retained messages of other tests never interfere."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def recorder(broker: MosquittoBroker, site: str) -> Iterator[Recorder]:
    rec = Recorder(broker, site)
    yield rec
    rec.close()


def write_config(path: Path, *, site: str, device: str, broker: str, desks: list[str]) -> Path:
    lines = [
        f"device: {device}",
        f"site: {site}",
        f"broker: {broker}",
        "outbox: outbox.sqlite",
        "heartbeat_s: 5",
        "desks:",
        *[f"  - id: {desk}\n    sensor: mmwave" for desk in desks],
        # No hold: each reading change is an event, which keeps these tests about delivery.
        "hold_times:",
        "  mmwave: {occupied_after_s: 0, free_after_s: 0, ttl_s: 60}",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@contextmanager
def running_agent(
    config: Path, clock: FakeClock, source: QueuedSource
) -> Iterator[threading.Event]:
    stop = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            run_desk_agent(
                config,
                stop=stop,
                clock=clock,
                source=source,
                settings=ConnectionSettings(
                    broker_url=config_broker(config), reconnect_min_s=1, reconnect_max_s=1
                ),
            )
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(WAIT_S)
        assert not thread.is_alive(), "the agent did not stop within the deadline"
        assert not failure, f"the agent failed: {failure[0]!r}"


def config_broker(config: Path) -> str:
    for line in config.read_text().splitlines():
        if line.startswith("broker: "):
            return line.removeprefix("broker: ")
    raise AssertionError("no broker line")


def make_gateway(
    tmp_path: Path, broker: MosquittoBroker, site: str, device: str, clock: FakeClock
) -> tuple[DeskGateway, Outbox]:
    outbox = Outbox(tmp_path / f"{device}.sqlite")
    gateway = DeskGateway(
        site=site,
        device=device,
        desks={"desk-1": SensorClass.SIMULATED, "desk-2": SensorClass.SIMULATED},
        hold_times=default_hold_times(),
        outbox=outbox,
        settings=ConnectionSettings(broker_url=broker.url, reconnect_min_s=1, reconnect_max_s=1),
        clock=clock,
        heartbeat_s=5,
    )
    return gateway, outbox


def alternating(desk: str, clock: FakeClock, count: int) -> list[SensorReading]:
    readings = []
    for i in range(count):
        readings.append(SensorReading(desk, i % 2 == 0, clock.advance(1)))
    return readings


def test_agent_events_arrive_in_order_with_consecutive_seq(
    broker: MosquittoBroker, recorder: Recorder, site: str, tmp_path: Path, clock: FakeClock
) -> None:
    device = "gw-order"
    config = write_config(
        tmp_path / "agent.yaml", site=site, device=device, broker=broker.url, desks=["d-1", "d-2"]
    )
    source = QueuedSource()
    with running_agent(config, clock, source):
        for i in range(30):
            # Each desk's readings alternate, so every reading is a change.
            source.push("d-1" if i % 2 else "d-2", (i // 2) % 2 == 0, clock.advance(1))
        wait_until(lambda: len(recorder.presence(device)) >= 30, WAIT_S, "30 presence events")

    events = recorder.events(device)
    assert isinstance(events[0], DeviceBooted)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert {e.epoch for e in events} == {1}
    presence = recorder.presence(device)
    assert [(p.desk, p.present) for p in presence[:4]] == [
        ("d-2", True),
        ("d-1", True),
        ("d-2", False),
        ("d-1", False),
    ]
    assert all(p.sensor is SensorClass.MMWAVE for p in presence)
    topics = {s.topic for s in recorder.seen() if isinstance(s.message, DeskPresenceChanged)}
    assert topics == {f"freeseat/v1/{site}/desk/{device}/event"}


def test_events_accepted_during_a_broker_outage_are_all_delivered_in_order(
    broker: MosquittoBroker, recorder: Recorder, site: str, tmp_path: Path, clock: FakeClock
) -> None:
    gateway, outbox = make_gateway(tmp_path, broker, site, "gw-outage", clock)
    gateway.start(clock.now())
    try:
        assert gateway.publisher.wait_online(WAIT_S)
        gateway.tick(clock.now(), alternating("desk-1", clock, 5))
        wait_until(
            lambda: len(recorder.presence("gw-outage")) == 5, WAIT_S, "5 events before the outage"
        )
        wait_until(lambda: len(outbox) == 0, WAIT_S, "the outbox to drain")

        broker.stop()
        wait_until(lambda: not gateway.publisher.online, WAIT_S, "the agent to notice the outage")
        accepted = 0
        for _ in range(4):
            accepted += gateway.tick(clock.now(), alternating("desk-2", clock, 10))
        assert accepted == 40
        assert len(outbox) == 40, "every event accepted during the outage waits in the outbox"

        broker.start()
        wait_until(lambda: len(recorder.presence("gw-outage")) >= 45, WAIT_S, "the replayed events")
        wait_until(lambda: len(outbox) == 0, WAIT_S, "the outbox to drain after the outage")
    finally:
        gateway.stop()
        outbox.close()

    # QoS 1 is at least once: the broker may redeliver to the recorder what it had not seen
    # acknowledged before the restart. Those carry DUP; the agent itself sent each event once.
    first: dict[tuple[int, int], Seen] = {}
    for arrival in recorder.event_arrivals("gw-outage"):
        key = (arrival.message.epoch, arrival.message.seq)
        if key in first:
            assert arrival.dup, f"event {key} arrived twice without being a redelivery"
        else:
            first[key] = arrival
    assert [seq for _, seq in first] == list(range(1, 47)), "none lost, in order"
    presence = [a.message for a in first.values() if isinstance(a.message, DeskPresenceChanged)]
    assert [(p.desk, p.present) for p in presence[4:8]] == [
        ("desk-1", True),
        ("desk-2", True),
        ("desk-2", False),
        ("desk-2", True),
    ]


def test_status_is_online_with_the_epoch_and_the_will_says_offline_when_the_agent_dies(
    broker: MosquittoBroker, recorder: Recorder, site: str, tmp_path: Path, clock: FakeClock
) -> None:
    device = "gw-lwt"
    config = write_config(
        tmp_path / "agent.yaml", site=site, device=device, broker=broker.url, desks=["d-1"]
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge_agent", str(config)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "agent.log").open("wb"),
    )
    try:
        wait_until(
            lambda: any(s.status == "online" for s in recorder.statuses(device)),
            WAIT_S,
            "the agent process to report online",
        )
        status = recorder.statuses(device)[-1]
        assert (status.status, status.epoch) == ("online", 1)
        proc.kill()  # no DISCONNECT: only the broker's will can tell the world
        proc.wait(WAIT_S)
        wait_until(
            lambda: recorder.statuses(device)[-1].status == "offline",
            WAIT_S,
            "the last will after the agent died",
        )
        assert recorder.statuses(device)[-1].epoch == 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(WAIT_S)

    # The retained status is what a server starting later sees.
    late = Recorder(broker, site)
    try:
        wait_until(lambda: bool(late.statuses(device)), WAIT_S, "the retained status")
        retained = next(s for s in late.seen() if isinstance(s.message, DeviceStatus))
        assert retained.retain and retained.message.status == "offline"
    finally:
        late.close()

    # Restarted on the same outbox, the agent begins a new epoch.
    with running_agent(config, clock, QueuedSource()):
        wait_until(
            lambda: (
                recorder.statuses(device)[-1].status == "online"
                and recorder.statuses(device)[-1].epoch == 2
            ),
            WAIT_S,
            "online with epoch 2 after the restart",
        )
        wait_until(
            lambda: any(e.epoch == 2 for e in recorder.events(device)), WAIT_S, "booted in epoch 2"
        )
    booted = [(e.epoch, e.seq) for e in recorder.events(device) if isinstance(e, DeviceBooted)]
    # At least once: when the kill beat the PUBACK of epoch 1's boot to the outbox, the
    # restarted agent sends that event again (the server drops it by its id). The new epoch is
    # what must show: no other boot, and epoch 1's before epoch 2's.
    assert list(dict.fromkeys(booted)) == [(1, 1), (2, 1)]
    wait_until(
        lambda: recorder.statuses(device)[-1].status == "offline",
        WAIT_S,
        "a clean stop saying offline",
    )
    assert recorder.statuses(device)[-1].epoch == 2


def test_a_dropped_connection_fires_the_will_then_reconnects_in_the_same_epoch(
    broker: MosquittoBroker, recorder: Recorder, site: str, tmp_path: Path, clock: FakeClock
) -> None:
    gateway, outbox = make_gateway(tmp_path, broker, site, "gw-drop", clock)
    gateway.start(clock.now())
    try:
        assert gateway.publisher.wait_online(WAIT_S)
        # Once `booted` is acknowledged nothing is in flight, so nothing is legitimately resent.
        wait_until(lambda: len(outbox) == 0, WAIT_S, "the outbox to drain")
        sock = gateway.publisher.socket()
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        sock.shutdown(socket.SHUT_RDWR)  # the network died under the agent
        wait_until(
            lambda: (
                [s.status for s in recorder.statuses("gw-drop")][-3:]
                == ["online", "offline", "online"]
            ),
            WAIT_S,
            "online, the will, online again",
        )
        assert {s.epoch for s in recorder.statuses("gw-drop")} == {outbox.epoch}
        gateway.tick(clock.now(), alternating("desk-1", clock, 3))
        wait_until(
            lambda: len(recorder.presence("gw-drop")) == 3, WAIT_S, "events after reconnecting"
        )
    finally:
        gateway.stop()
        outbox.close()
    assert [e.seq for e in recorder.events("gw-drop")] == [1, 2, 3, 4]


def test_heartbeat_is_retained_with_desks_and_expires_after_two_intervals(
    broker: MosquittoBroker, recorder: Recorder, site: str, tmp_path: Path, clock: FakeClock
) -> None:
    gateway, outbox = make_gateway(tmp_path, broker, site, "gw-beat", clock)
    gateway.start(clock.now())
    try:
        assert gateway.publisher.wait_online(WAIT_S)
        gateway.tick(clock.now(), [SensorReading("desk-1", True, clock.advance(1))])
        gateway.tick(clock.now(), [])  # the online hook asked for a heartbeat
        wait_until(
            lambda: any(
                isinstance(s.message, DeviceState) and s.message.desks for s in recorder.seen()
            ),
            WAIT_S,
            "a heartbeat listing desk-1",
        )
        beat = next(
            s for s in recorder.seen() if isinstance(s.message, DeviceState) and s.message.desks
        )
        assert beat.topic == f"freeseat/v1/{site}/desk/gw-beat/state"
        assert beat.message.desks == {"desk-1": True}
        assert beat.message.epoch == outbox.epoch
        assert beat.message.interval_s == 5
        assert 5 < beat.properties.MessageExpiryInterval <= 10
    finally:
        gateway.stop()
        outbox.close()
    late = Recorder(broker, site)
    try:
        wait_until(
            lambda: any(isinstance(s.message, DeviceState) and s.retain for s in late.seen()),
            WAIT_S,
            "the retained heartbeat",
        )
    finally:
        late.close()
