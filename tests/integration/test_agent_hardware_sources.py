"""A floor gateway with real sensor drivers: an LD2410 on a serial port (a pseudo-terminal) and a
PIR on a GPIO pin (a fake sysfs tree), each serving its own desk, publishing presence changes
through a real Mosquitto to a plain subscriber."""

from __future__ import annotations

import os
import struct
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from contracts import DeskPresenceChanged, SensorClass, decode
from edge_agent.desk_agent import run_desk_agent
from edge_agent.runtime import ConnectionSettings
from edge_agent.sensors import SourceOpenError
from server.adapters.embedded_broker import MosquittoBroker
from tests.fakes import FakeClock
from tests.support import wait_until

WAIT_S = 15.0


def ld2410_report(state: int, distance_cm: int, energy: int) -> bytes:
    """A basic LD2410 report frame with one target of kind `state` (1 moving, 2 stationary)."""
    moving = (distance_cm, energy) if state & 1 else (0, 0)
    still = (distance_cm, energy) if state & 2 else (0, 0)
    data = bytes([0x02, 0xAA, state]) + struct.pack("<HBHBH", *moving, *still, distance_cm)
    data += b"\x55\x00"
    return b"\xf4\xf3\xf2\xf1" + struct.pack("<H", len(data)) + data + b"\xf8\xf7\xf6\xf5"


ACK = b"\xfd\xfc\xfb\xfa\x04\x00\xff\x01\x00\x00\x04\x03\x02\x01"


class Subscriber:
    """A plain paho client recording one site's presence events."""

    def __init__(self, broker: MosquittoBroker, site: str) -> None:
        self._lock = threading.Lock()
        self._events: list[tuple[str, DeskPresenceChanged]] = []
        subscribed = threading.Event()
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"hw-{uuid.uuid4().hex[:10]}",
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        self.client.on_connect = lambda client, *args: client.subscribe(
            f"freeseat/v1/{site}/#", qos=1
        )
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert subscribed.wait(WAIT_S), "the subscriber could not subscribe"

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        message = decode(msg.topic, msg.payload).message
        if isinstance(message, DeskPresenceChanged):
            with self._lock:
                self._events.append((msg.topic, message))

    def presence(self) -> list[tuple[str, bool]]:
        with self._lock:
            return [(e.desk, e.present) for _, e in self._events]

    def events(self) -> list[tuple[str, DeskPresenceChanged]]:
        with self._lock:
            return list(self._events)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def site() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def subscriber(broker: MosquittoBroker, site: str) -> Iterator[Subscriber]:
    sub = Subscriber(broker, site)
    yield sub
    sub.close()


@pytest.fixture
def serial_pair() -> Iterator[tuple[int, str]]:
    """The LD2410's side of a pseudo-terminal, and the port path the agent opens."""
    master, slave = os.openpty()
    try:
        yield master, os.ttyname(slave)
    finally:
        os.close(master)
        os.close(slave)


def test_a_gateway_publishes_presence_from_an_ld2410_and_a_gpio_pir(
    broker: MosquittoBroker,
    subscriber: Subscriber,
    site: str,
    tmp_path: Path,
    clock: FakeClock,
    serial_pair: tuple[int, str],
) -> None:
    module, port = serial_pair
    pin = tmp_path / "sys-class-gpio" / "gpio17"
    pin.mkdir(parents=True)
    (pin / "value").write_text("0\n")
    (pin / "edge").write_text("none\n")
    device = "gw-hw"
    config = tmp_path / "agent.yaml"
    config.write_text(
        f"""\
device: {device}
site: {site}
broker: {broker.url}
outbox: outbox.sqlite
heartbeat_s: 5
desks:
  - id: desk-radar
    source: {{type: ld2410, port: {port}, max_distance_cm: 150, min_energy: 20}}
  - id: desk-pir
    sensor: pir
    source: {{type: gpio, interface: sysfs, sysfs_root: {pin.parent}, line: 17}}
# No hold: each raw change is an event, which keeps this test about the drivers.
hold_times:
  mmwave: {{occupied_after_s: 0, free_after_s: 0, ttl_s: 60}}
  pir: {{occupied_after_s: 0, free_after_s: 0, ttl_s: 60}}
"""
    )
    stop = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            run_desk_agent(
                config,
                stop=stop,
                clock=clock,
                settings=ConnectionSettings(
                    broker_url=broker.url, reconnect_min_s=1, reconnect_max_s=1
                ),
            )
        except BaseException as exc:
            failure.append(exc)

    agent = threading.Thread(target=run, daemon=True)
    agent.start()
    try:
        # The PIR pin reads low at start: its desk becomes known free. The radar has said
        # nothing yet, so its desk stays undecided.
        wait_until(
            lambda: subscriber.presence() == [("desk-pir", False)], WAIT_S, "the pin's level"
        )

        clock.advance(5)
        os.write(module, b"\x00\x42" + ACK + ld2410_report(2, distance_cm=70, energy=55))
        wait_until(lambda: ("desk-radar", True) in subscriber.presence(), WAIT_S, "someone seated")

        clock.advance(5)
        os.write(module, ld2410_report(1, distance_cm=400, energy=90))  # leaves, walking past
        wait_until(
            lambda: ("desk-radar", False) in subscriber.presence(), WAIT_S, "the desk emptied"
        )

        clock.advance(5)
        (pin / "value").write_text("1\n")
        wait_until(lambda: ("desk-pir", True) in subscriber.presence(), WAIT_S, "the PIR firing")
    finally:
        stop.set()
        agent.join(WAIT_S)
    assert not agent.is_alive(), "the agent did not stop within the deadline"
    assert not failure, f"the agent failed: {failure[0]!r}"

    assert subscriber.presence() == [
        ("desk-pir", False),
        ("desk-radar", True),
        ("desk-radar", False),
        ("desk-pir", True),
    ]
    events = subscriber.events()
    assert {topic for topic, _ in events} == {f"freeseat/v1/{site}/desk/{device}/event"}
    assert {e.desk: e.sensor for _, e in events} == {
        "desk-radar": SensorClass.MMWAVE,
        "desk-pir": SensorClass.PIR,
    }
    seqs = [e.seq for _, e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_an_agent_whose_sensor_is_missing_stops_with_a_clear_message(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    missing = tmp_path / "ttyUSB7"
    config = tmp_path / "agent.yaml"
    config.write_text(
        f"""\
device: gw-missing
site: tmissing
broker: {broker.url}
outbox: outbox.sqlite
desks:
  - id: desk-radar
    source: {{type: ld2410, port: {missing}}}
"""
    )
    with pytest.raises(SourceOpenError) as caught:
        run_desk_agent(config, stop=threading.Event())
    assert str(missing) in str(caught.value) and "no such serial port" in str(caught.value)
    assert not (tmp_path / "outbox.sqlite").exists(), "no epoch is spent on a failed start"
