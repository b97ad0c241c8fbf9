"""An LD2410 that sends only garbage makes its desk unknown after its TTL, never frozen.

A real desk agent reads a pseudo-terminal the test writes LD2410 frames to (Hi-Link protocol
V1.02 as implemented by ESPHome's ld2410 component: F4 F3 F2 F1 | length | 02 AA state ... 55 00
| F8 F7 F6 F5) and publishes through a real Mosquitto to a real server on SQLite.
"""

import os
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_agent.desk_agent import run_desk_agent
from edge_agent.runtime import ConnectionSettings
from server.adapters.embedded_broker import MosquittoBroker
from tests.off_the_shelf_support import serving, wait_state
from tests.support import ServerThread, small_site

DESK = "desk-f1-a-01-01"


def report(state: int, distance_cm: int, energy: int) -> bytes:
    """A basic report frame with one target of kind `state` (2: stationary)."""
    payload = bytes([0x02, 0xAA, state])
    payload += struct.pack("<HBHBH", 0, 0, distance_cm, energy, distance_cm)
    payload += b"\x55\x00"
    return b"\xf4\xf3\xf2\xf1" + struct.pack("<H", len(payload)) + payload + b"\xf8\xf7\xf6\xf5"


SEATED = report(2, 70, 55)
# Framed and footed like a report, but with values no LD2410 sends: 255 energy at 65,535 cm.
GARBAGE = report(2, 65535, 255) + bytes(range(0, 256, 3))


@pytest.fixture
def server(broker: MosquittoBroker, tmp_path: Path) -> Iterator[ServerThread]:
    with serving(small_site(), broker, f"sqlite:///{tmp_path / 'freeseat.db'}") as running:
        yield running


def test_garbage_for_the_ttl_makes_the_desk_unknown_as_a_sensor_fault(
    broker: MosquittoBroker, server: ServerThread, tmp_path: Path
) -> None:
    module, port_fd = os.openpty()
    config = tmp_path / "agent.yaml"
    config.write_text(
        f"""\
device: gw-f1-a
site: testhall
broker: {broker.url}
outbox: outbox.sqlite
heartbeat_s: 0.5
desks:
  - id: {DESK}
    source: {{type: ld2410, port: {os.ttyname(port_fd)}}}
# A TTL of 2 s: the fault shows within a test's patience.
hold_times:
  mmwave: {{occupied_after_s: 0, free_after_s: 0, ttl_s: 2}}
"""
    )
    stop = threading.Event()
    agent = threading.Thread(
        target=run_desk_agent,
        args=(config,),
        kwargs={
            "stop": stop,
            "settings": ConnectionSettings(broker_url=broker.url, reconnect_min_s=1),
        },
        daemon=True,
    )
    agent.start()
    # The module streams a report ten times a second, as an LD2410 does.
    sending = [SEATED]
    quiet = threading.Event()

    def stream() -> None:
        while not quiet.wait(0.1):
            os.write(module, sending[0])

    streamer = threading.Thread(target=stream, daemon=True)
    streamer.start()
    try:
        wait_state(server, DESK, "occupied")
        sending[0] = GARBAGE  # from now on nothing valid
        assert wait_state(server, DESK, "unknown") == "sensor_fault"
        sending[0] = SEATED  # the module recovers
        wait_state(server, DESK, "occupied")
    finally:
        quiet.set()
        streamer.join(5)
        stop.set()
        agent.join(15)
        os.close(module)
        os.close(port_fd)
