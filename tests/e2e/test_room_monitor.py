"""The room monitor end to end: agent on a fake DRM tree -> real Mosquitto -> server -> sessions.

Each way a session ends is driven with the real agent and broker and an advanced server clock:
the host ends it; casting stopped and the room stayed empty; the monitor's will said offline.
"""

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.publish as publish
import pytest
import yaml
from zeroconf import Zeroconf

from contracts import Channel, Kind, RoomCastChanged, build_topic, encode
from edge_agent.room_agent import run_room_agent
from edge_agent.room_connect import connect
from edge_agent.room_discovery import ROOM_SERVICE, browse_rooms
from edge_agent.runtime import ConnectionSettings
from server.adapters.embedded_broker import MosquittoBroker
from tests.fakes import FakeClock
from tests.room_support import (
    DISPLAY,
    LAPTOP_INPUT,
    MONITOR,
    ROOM,
    FakeRoom,
    client_as,
    make_pdf,
    room_server,
    screen_key,
    shown_code,
)
from tests.support import ServerThread, scrape, wait_until

HOST = "s00005"


def write_config(
    tmp_path: Path, room: FakeRoom, broker: str, server: str, heartbeat_s: float = 30
) -> Path:
    config = tmp_path / "room-agent.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "device": MONITOR,
                "site": "testhall",
                "room": ROOM,
                "name": "Room 1 / 1号会議室",
                "broker": broker,
                "server": server,
                "outbox": "outbox.sqlite",
                "heartbeat_s": heartbeat_s,
                "drm_root": str(room.drm),
                "cast_connectors": [LAPTOP_INPUT],
                "occupancy_file": str(room.presence),
                "advertise_address": "127.0.0.1",
                "interfaces": ["127.0.0.1"],
                "info_port": 0,
                "open_screen": "never",
            },
            allow_unicode=True,
        )
    )
    return config


@pytest.fixture
def server(database_url: str, clock: FakeClock, broker: MosquittoBroker) -> Iterator[ServerThread]:
    with room_server(database_url, clock, broker_url=broker.url) as running:
        wait_until(
            lambda: httpx.get(f"{running.url}/api/health").json()["broker_connected"],
            what="server subscribed at the broker",
        )
        yield running


@pytest.fixture
def agent(
    tmp_path: Path, broker: MosquittoBroker, server: ServerThread
) -> Iterator[tuple[FakeRoom, list[str]]]:
    room = FakeRoom(tmp_path)
    # Heartbeats every 0.2 s, so the monitor stays alive in the server's advanced time.
    config = write_config(tmp_path, room, broker.url, server.url, heartbeat_s=0.2)
    printed: list[str] = []
    stop = threading.Event()
    fast = ConnectionSettings(broker_url=broker.url, reconnect_min_s=1, reconnect_max_s=1)
    thread = threading.Thread(
        target=run_room_agent,
        args=(config,),
        kwargs={"stop": stop, "settings": fast, "out": printed.append},
        daemon=True,
    )
    thread.start()
    try:
        yield room, printed
    finally:
        stop.set()
        thread.join(timeout=20)


def room_state(server: ServerThread) -> dict[str, Any]:
    with client_as(server, HOST) as client:
        state: dict[str, Any] = client.get(f"/api/rooms/{ROOM}").json()
    return state


def status_of(server: ServerThread) -> dict[str, Any]:
    """What the server holds of the room monitor's reports (empty before the first one)."""
    return room_state(server)["status"] or {}


def session_record(server: ServerThread, session_id: int) -> dict[str, Any]:
    with client_as(server, HOST) as client:
        record: dict[str, Any] = client.get(f"/api/sessions/{session_id}").json()
    return record


def monitor_seen(server: ServerThread) -> str:
    with client_as(server, "demo-facilities") as facilities:
        devices = facilities.get("/api/devices").json()
    return str(next(d for d in devices if d["id"] == MONITOR)["last_seen"] or "")


def advance_with_heartbeat(server: ServerThread, clock: FakeClock, seconds: float) -> None:
    """Advance the server's clock, then wait until a heartbeat arrived at the new time."""
    now = clock.advance(seconds)
    stamp = now.isoformat().replace("+00:00", "Z")
    wait_until(lambda: monitor_seen(server) >= stamp, what="a heartbeat at the new time")


def start_session(server: ServerThread) -> int:
    with client_as(server, HOST) as client:
        paired = client.post(
            "/api/pairing", json={"code": shown_code(server, screen_key(server)), "room": ROOM}
        )
    assert paired.status_code == 201, paired.text
    return int(paired.json()["session"]["id"])


def test_agent_advertises_reports_connectors_and_a_laptop_pairs_through_connect(
    server: ServerThread, agent: tuple[FakeRoom, list[str]], tmp_path: Path
) -> None:
    room, printed = agent
    wait_until(lambda: any("room screen:" in line for line in printed), what="screen URL printed")
    assert f"{server.url}/rooms/{ROOM}/screen" in "\n".join(printed)
    found = browse_rooms(5, ["127.0.0.1"], expect=1)
    assert (ROOM, "Room 1 / 1号会議室", "127.0.0.1") in [(d.room, d.name, d.host) for d in found]
    zc = Zeroconf(interfaces=["127.0.0.1"])
    try:
        info = zc.get_service_info(ROOM_SERVICE, f"{ROOM}.{ROOM_SERVICE}", timeout=3000)
    finally:
        zc.close()
    assert info is not None and info.text is not None
    assert info.text.startswith(b"\x09txtvers=1")  # first TXT string, length-prefixed
    assert b"127.0.0.1" not in info.text and str(info.port).encode() not in info.text
    wait_until(
        lambda: status_of(server).get("display_connected") is True,
        what="display connected reported",
    )
    assert status_of(server).get("occupied") is True

    deck = tmp_path / "deck.pdf"
    deck.write_bytes(make_pdf(3))
    key = screen_key(server)
    said: list[str] = []
    connected = connect(
        staff_id=HOST,
        server=server.url,  # the host names the server; displays only name rooms
        room=ROOM,  # other checkouts' tests may advertise rooms on this loopback too
        code=shown_code(server, key),
        password=None,
        attach=[deck],
        interfaces=["127.0.0.1"],
        wait_s=5,
        prompt=lambda _: pytest.fail("no question expected with the room and a code"),
        secret_prompt=lambda _: "",
        out=said.append,
    )
    assert connected.room == ROOM and connected.started
    assert "attached deck.pdf (3 pages)" in said
    assert any(line.endswith(f". {ROOM}  Room 1 / 1号会議室") for line in said)  # listed
    assert httpx.get(connected.viewer_url).status_code == 200

    room.set(LAPTOP_INPUT, True)
    wait_until(lambda: status_of(server).get("casting"), what="cast started")
    room.set(DISPLAY, False)
    wait_until(
        lambda: status_of(server).get("display_connected") is False,
        what="display disconnected reported",
    )
    record = session_record(server, connected.session_id)
    assert record["materials"][0]["pages"] == 3 and record["ended_at"] is None

    join_code = shown_code(server, key)  # issued during the session, bound to it
    with client_as(server, HOST) as host:
        ended = host.post(f"/api/sessions/{connected.session_id}/end").json()
        assert ended["end_reason"] == "ended by the host"
        refused = host.post("/api/pairing", json={"code": join_code, "room": ROOM})
        assert refused.status_code == 403  # the session's codes died with it
    assert room_state(server)["session"] is None


def test_session_ends_when_casting_stopped_and_the_room_stayed_empty(
    server: ServerThread, agent: tuple[FakeRoom, list[str]], clock: FakeClock
) -> None:
    room, _ = agent
    session_id = start_session(server)
    room.set(LAPTOP_INPUT, True)
    wait_until(lambda: status_of(server).get("casting"), what="cast started")
    room.set(LAPTOP_INPUT, False)
    room.occupied(False)
    wait_until(
        lambda: (
            status_of(server).get("casting") is False and status_of(server).get("occupied") is False
        ),
        what="cast stopped and room empty reported",
    )
    for _ in range(9):
        advance_with_heartbeat(server, clock, 60)
    assert session_record(server, session_id)["ended_at"] is None
    advance_with_heartbeat(server, clock, 61)
    wait_until(lambda: session_record(server, session_id)["ended_at"], what="session ended")
    assert session_record(server, session_id)["end_reason"] == (
        "casting stopped and the room was empty for 10 min"
    )
    assert room_state(server)["session"] is None


def test_session_ends_when_the_monitor_is_gone_past_its_ttl(
    server: ServerThread, broker: MosquittoBroker, clock: FakeClock, tmp_path: Path
) -> None:
    room = FakeRoom(tmp_path)
    config = write_config(tmp_path, room, broker.url, server.url)
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "agent", "room", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(
            lambda: status_of(server).get("display_connected") is True,
            timeout=30,
            what="agent process reporting",
        )
        session_id = start_session(server)
        process.kill()  # no goodbye: the broker publishes the agent's will
        process.wait(timeout=10)
        with client_as(server, "demo-facilities") as facilities:
            wait_until(
                lambda: (
                    next(d for d in facilities.get("/api/devices").json() if d["id"] == MONITOR)[
                        "status"
                    ]
                    == "offline"
                ),
                what="the will (offline) applied",
            )
        clock.advance(minutes=2)
        threading.Event().wait(0.3)
        assert session_record(server, session_id)["ended_at"] is None  # a reboot is not the end
        clock.advance(minutes=1, seconds=5)
        wait_until(lambda: session_record(server, session_id)["ended_at"], what="session ended")
        assert session_record(server, session_id)["end_reason"] == (
            "room monitor went offline over 180 s ago"
        )
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_a_room_event_for_a_room_its_device_does_not_serve_is_quarantined(
    server: ServerThread, broker: MosquittoBroker
) -> None:
    spoof = RoomCastChanged(
        device="display-f2-1",
        epoch=1,
        seq=1,
        at=datetime.now(UTC),
        room=ROOM,
        casting=True,
        source="card0-HDMI-A-2",
    )
    publish.single(
        build_topic("testhall", Kind.ROOM, "display-f2-1", Channel.EVENT),
        encode(spoof),
        qos=1,
        hostname="127.0.0.1",
        port=int(broker.url.rsplit(":", 1)[1]),
    )
    wait_until(
        lambda: httpx.get(f"{server.url}/api/health").json()["quarantined"] == 1,
        what="the spoofed event quarantined",
    )
    assert status_of(server).get("casting") is None  # nothing applied to room-f1-1
    assert 'freeseat_quarantined_total{kind="spoofed"} 1' in scrape(server.url).text
