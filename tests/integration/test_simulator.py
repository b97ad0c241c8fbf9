"""The simulator drives a site's desks through a day over a real broker, via the agent publisher."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from contracts import ContractError, DeskPresenceChanged, DeviceBooted, DeviceStatus, decode
from edge_agent.simulator import Simulation, run_simulation
from firmware_config.site import (
    Building,
    Desk,
    Device,
    Floor,
    Rect,
    Site,
    SiteInfo,
    Zone,
)
from server.adapters.embedded_broker import MosquittoBroker
from tests.support import answer_as_server

TZ = ZoneInfo("Asia/Tokyo")
WAIT_S = 15.0


def small_site(site_id: str) -> Site:
    """Two gateways on one floor, six and four desks."""
    zones = [
        Zone(id="zone-a", name="A", rect=Rect(x=0, y=0, w=10, h=10)),
        Zone(id="zone-b", name="B", rect=Rect(x=10, y=0, w=10, h=10)),
    ]
    desks_a = [Desk(id=f"desk-a-{i}", zone="zone-a", x=1 + i, y=1) for i in range(6)]
    desks_b = [Desk(id=f"desk-b-{i}", zone="zone-b", x=11 + i, y=1) for i in range(4)]
    floor = Floor(
        id="f1", name="1F", level=1, width=20, height=10, zones=zones, desks=desks_a + desks_b
    )
    return Site(
        site=SiteInfo(id=site_id, name="Test hall", timezone="Asia/Tokyo"),
        buildings=[Building(id="main", name="Main", floors=[floor])],
        devices=[
            Device(id="gw-a", kind="desk", sensor="mmwave", desks=[d.id for d in desks_a]),
            Device(id="gw-b", kind="desk", sensor="pir", desks=[d.id for d in desks_b]),
        ],
    )


class Collector:
    """Records and decodes everything published for one site, and answers each event with
    the server's watermark."""

    def __init__(self, broker: MosquittoBroker, site: str) -> None:
        self._lock = threading.Lock()
        self.decoded: list[object] = []
        self.broken: list[str] = []
        subscribed = threading.Event()
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"col-{uuid.uuid4().hex[:10]}",
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(f"freeseat/v1/{site}/#", qos=1)
        self.client.loop_start()
        assert subscribed.wait(WAIT_S)

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            try:
                message = decode(msg.topic, msg.payload).message
            except ContractError as exc:
                self.broken.append(f"{msg.topic}: {exc}")
                return
            self.decoded.append(message)
        answer_as_server(client, msg.topic, message)

    def events(self) -> list[DeskPresenceChanged | DeviceBooted]:
        with self._lock:
            return [m for m in self.decoded if isinstance(m, DeskPresenceChanged | DeviceBooted)]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def site_id() -> str:
    return f"s{uuid.uuid4().hex[:10]}"


def test_a_simulated_morning_publishes_valid_ordered_presence_for_every_desk(
    broker: MosquittoBroker, site_id: str
) -> None:
    site = small_site(site_id)
    collector = Collector(broker, site_id)
    try:
        # 07:45 to about 12:45 in five real seconds: arrivals, meetings and lunch.
        report = run_simulation(
            site,
            broker.url,
            speed=3600,
            duration=5,
            start=datetime(2026, 12, 1, 7, 45, tzinfo=TZ),
        )
        deadline = time.monotonic() + WAIT_S
        while len(collector.events()) < report.events and time.monotonic() < deadline:
            time.sleep(0.02)
        events = collector.events()
    finally:
        collector.close()

    assert collector.broken == []
    assert report.devices == 2 and report.desks == 10
    assert report.pending == 0 and report.dropped == 0
    assert len(events) == report.events == report.acked

    by_device: dict[str, list[DeskPresenceChanged | DeviceBooted]] = defaultdict(list)
    for event in events:
        by_device[event.device].append(event)
    assert set(by_device) == {"gw-a", "gw-b"}
    for device, stream in by_device.items():
        assert isinstance(stream[0], DeviceBooted), device
        assert [e.seq for e in stream] == list(range(1, len(stream) + 1)), device
        assert len({e.epoch for e in stream}) == 1, device

    presence = [e for e in events if isinstance(e, DeskPresenceChanged)]
    served = {d.id: d for d in site.devices}
    for event in presence:
        assert event.desk in served[event.device].desks
        assert event.sensor == served[event.device].sensor
        assert datetime(2026, 12, 1, 7, 45, tzinfo=TZ) <= event.at <= report.sim_now
    # Every desk is decided at the start (free), and most are taken by late morning.
    assert {e.desk for e in presence} == {d.id for _, d in site.desks()}
    arrivals = {e.desk for e in presence if e.present}
    assert 3 <= len(arrivals) <= 10
    assert all(e.at.astimezone(TZ).hour >= 8 for e in presence if e.present), (
        "nobody arrives before 8:00"
    )
    # Per desk, presence alternates: the debouncer never repeats a state.
    for desk in {e.desk for e in presence}:
        states = [e.present for e in presence if e.desk == desk]
        assert all(a != b for a, b in itertools.pairwise(states)), desk


def test_the_class_api_runs_in_the_background_and_stops_promptly(
    broker: MosquittoBroker, site_id: str
) -> None:
    site = small_site(site_id)
    collector = Collector(broker, site_id)
    simulation = Simulation(
        site, broker.url, speed=600, start=datetime(2026, 12, 1, 8, 30, tzinfo=TZ)
    )
    try:
        simulation.start()
        deadline = time.monotonic() + WAIT_S
        while simulation.report().online < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        running = simulation.report()
        assert running.online == 2
        assert running.sim_now > running.sim_start

        began = time.monotonic()
        final = simulation.stop()
        assert time.monotonic() - began < 5.0, "stop() must be prompt"
        assert simulation.wait(0)
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and not _both_offline(collector):
            time.sleep(0.02)
        assert _both_offline(collector), "each gateway says offline when the simulation stops"
    finally:
        simulation.stop()
        collector.close()
    assert final.events >= 2  # at least both `device.booted`
    assert final.pending == 0


def _both_offline(collector: Collector) -> bool:
    with collector._lock:
        statuses = [m for m in collector.decoded if isinstance(m, DeviceStatus)]
    last = {s.device: s.status for s in statuses}
    return last == {"gw-a": "offline", "gw-b": "offline"}


def test_a_site_without_desk_gateways_is_refused_with_a_clear_message(site_id: str) -> None:
    site = small_site(site_id).model_copy(update={"devices": []})
    with pytest.raises(ValueError, match="no desk devices"):
        Simulation(site, "mqtt://127.0.0.1:1")
