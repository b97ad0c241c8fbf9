"""AP agents, broker, server and a laptop's whereami end to end: no MAC address anywhere.

Two real AP agents read hostapd's control socket, a RADIUS accounting file, vendor syslog over
UDP and from a file; their counts reach the busy-ness API through a real Mosquitto and
database. Then the database, the agents' outboxes, every log record and every MQTT message
of the run are scanned for anything shaped like a MAC address.
"""

import logging
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import create_engine, inspect, text

from edge_agent.ap_agent import run_ap_agent
from server.adapters.embedded_broker import MosquittoBroker, free_port
from server.api.app import create_app
from server.settings import Settings
from tests.signin import sign_in
from tests.support import ServerThread, wait_until
from tests.wifi_support import BSSIDS, FakeHostapd, wifi_site

# Any MAC shape: separated by ':' or '-', grouped by four, or 12 bare hex digits.
MAC_SHAPES = re.compile(
    rb"(?<![0-9A-Fa-f])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?![0-9A-Fa-f])"
    rb"|(?<![0-9A-Fa-f])[0-9A-Fa-f]{4}([.-])[0-9A-Fa-f]{4}\2[0-9A-Fa-f]{4}(?![0-9A-Fa-f])"
    rb"|(?<![0-9A-Za-z])[0-9A-Fa-f]{12}(?![0-9A-Za-z])"
)

LAPTOPS = [f"3c:22:fb:00:00:{n:02x}" for n in range(1, 9)]
PHONES = [f"da:a1:19:00:00:{n:02x}" for n in range(1, 4)]  # randomised


class Traffic:
    """Every message on the broker during the test, retained ones included."""

    def __init__(self, broker: MosquittoBroker) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda c, *a: c.subscribe("#", qos=1)
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, bytes(m.payload)))
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def log_records() -> Iterator[list[logging.LogRecord]]:
    """Every log record of the run, at every level, from every logger."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield records
    root.removeHandler(handler)
    root.setLevel(level)


def agent_config(
    path: Path, broker: MosquittoBroker, ap: str, sources: list[Any], **naming: Any
) -> Path:
    floor, number = ap.split("-")[1], int(ap.split("-")[2])
    path.write_text(
        yaml.safe_dump(
            {
                "device": "apagent-" + ap.removeprefix("ap-"),
                "site": "testhall",
                "access_point": ap,
                "broker": broker.url,
                "outbox": f"{ap}.sqlite",
                "bssids": BSSIDS[floor, number],
                "sources": sources,
                "min_report_s": 0,
                "report_s": 5,
                "heartbeat_s": 5,
                **naming,
            }
        )
    )
    return path


def dump_database(url: str) -> bytes:
    """Every row of every table as text (and the SQLite file's raw bytes too)."""
    out = bytearray()
    if url.startswith("sqlite:///"):
        out += Path(url.removeprefix("sqlite:///")).read_bytes()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            for table in inspect(engine).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    out += repr(tuple(row)).encode() + b"\n"
    finally:
        engine.dispose()
    return bytes(out)


def mac_shapes(data: bytes) -> list[bytes]:
    return [m.group(0) for m in MAC_SHAPES.finditer(data)]


def test_counts_reach_the_api_and_no_mac_is_stored_logged_or_published(
    broker: MosquittoBroker,
    tmp_path: Path,
    database_url: str,
    log_records: list[logging.LogRecord],
) -> None:
    # One laptop was associated before the agent started: hostapd lists it on attach.
    hostapd = FakeHostapd(tmp_path / "wlan0", associated=[LAPTOPS[6]])
    radius = tmp_path / "detail"
    radius.write_text("")
    ap_log = tmp_path / "ap.log"
    ap_log.write_text("")
    syslog_port = free_port()
    config_1 = agent_config(
        tmp_path / "ap1.yaml",
        broker,
        "ap-f1-1",
        [
            {"type": "hostapd", "ctrl": str(hostapd.path)},
            {"type": "radius", "file": str(radius)},
            {"type": "syslog", "listen": f"127.0.0.1:{syslog_port}"},
        ],
        ap_names=["ap-2f"],  # the syslog host name its AP logs under
    )
    config_2 = agent_config(
        tmp_path / "ap2.yaml",
        broker,
        "ap-f1-2",
        # The AP's own log file: every line in it is this AP's.
        [{"type": "syslog", "file": str(ap_log), "scope": "this_ap"}],
    )
    traffic = Traffic(broker)
    settings = Settings(database_url=database_url, broker_url=broker.url, demo_mode=True)
    stop = threading.Event()
    agents = [
        threading.Thread(target=run_ap_agent, args=(config,), kwargs={"stop": stop})
        for config in (config_1, config_2)
    ]
    try:
        with ServerThread(create_app(settings, site=wifi_site())) as server:
            wait_until(
                lambda: httpx.get(f"{server.url}/api/health").json()["broker_connected"],
                what="server subscribed at the broker",
            )
            for agent in agents:
                agent.start()
            assert hostapd.attached.wait(10), "the agent never attached to hostapd"

            # AP 1: four laptops and a phone on its own radio, two laptops via RADIUS, one
            # phone via a vendor's syslog; a RADIUS record of another AP is not its business.
            for mac in [*LAPTOPS[:4], PHONES[0]]:
                hostapd.event(f"<3>AP-STA-CONNECTED {mac} auth_alg=sae")
            hostapd.event("<3>AP-STA-CONNECTED 3c:22:fb:00:0")  # cut short: ignored
            bssid = BSSIDS["f1", 1][0].upper().replace(":", "-")
            other = BSSIDS["f2", 1][0].upper().replace(":", "-")
            with radius.open("a") as detail:
                for mac, called in ((LAPTOPS[4], bssid), (LAPTOPS[5], bssid), (LAPTOPS[6], other)):
                    detail.write(
                        "Mon Nov 30 09:00:00 2026\n\tAcct-Status-Type = Start\n"
                        f'\tCalling-Station-Id = "{mac.upper().replace(":", "-")}"\n'
                        f'\tCalled-Station-Id = "{called}:Staff"\n\n'
                    )
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.sendto(
                    f"<30>Nov 30 09:00:02 ap-2f hostapd: ath1: STA {PHONES[1]} IEEE 802.11: "
                    "associated (aid 2)".encode(),
                    ("127.0.0.1", syslog_port),
                )
                udp.sendto(b"\xff\xfe garbage \x00", ("127.0.0.1", syslog_port))
            # AP 2 (a Zyxel, logging to a file): six laptops, one of them leaves again.
            with ap_log.open("a") as lines:
                for mac in [*LAPTOPS[:6], LAPTOPS[7]]:
                    lines.write(f"Station: {mac.upper()} has associated on Channel: 36\n")
                lines.write(f"Station: {LAPTOPS[7].upper()} has disassoc by STA Logout\n")
                lines.write("Station: 3C:22:FB:0")  # a line still being written

            def floor() -> dict[str, Any] | None:
                body = httpx.get(f"{server.url}/api/floors/f1/busyness").json()
                zones = {z["zone"]: z["people"] for z in body["zones"]}
                # AP 1: 7 laptops + 2 phones at 0.3 = 7.6; AP 2: 6 laptops.
                return body if zones == {"f1-a": 8, "f1-b": 6} else None

            body = wait_until(floor, timeout=20, what="both APs' counts in the busy-ness API")
            assert body is not None and body["people"] == 14 and body["reporting"] is True

            hostapd.event(f"<3>AP-STA-DISCONNECTED {LAPTOPS[0]}")
            hostapd.event(f"<3>AP-STA-DISCONNECTED {LAPTOPS[1]}")
            wait_until(
                lambda: (
                    [
                        z["people"]
                        for z in httpx.get(f"{server.url}/api/busyness").json()["floors"][0][
                            "zones"
                        ]
                    ]
                    == [6, 6]
                ),
                timeout=20,
                what="two laptops leaving AP 1",
            )

            # A laptop that shares its location reports its BSSID over HTTP.
            with httpx.Client(base_url=server.url) as laptop:
                sign_in(laptop, "s00005")
                laptop.post("/api/presence/share")
                here = laptop.post("/api/presence/whereami", json={"bssid": BSSIDS["f1", 2][1]})
                assert here.json()["zone"] == "f1-b"
    finally:
        stop.set()
        for agent in agents:
            if agent.is_alive() or agent.ident:
                agent.join(timeout=15)
        traffic.close()
        hostapd.close()

    published = b"\n".join(topic.encode() + b" " + payload for topic, payload in traffic.messages)
    assert b"ap.stations_counted" in published  # the scan looked at the real traffic
    logged = "\n".join(record.getMessage() for record in log_records).encode()
    assert b"apagent-f1-1" in logged
    stored = dump_database(database_url)
    assert b"s00005" in stored  # the share row is there; only its BSSID is not
    outboxes = b"".join(p.read_bytes() for p in tmp_path.glob("ap-*.sqlite*"))

    # The scan finds what it looks for, in every spelling the sources used.
    assert len(mac_shapes(b"3C-22-FB-00-00-01 3c22.fb00.0001 3c22fb000001 da:a1:19:00:00:01")) == 4
    assert mac_shapes(published) == [], "a MAC-shaped string was published over MQTT"
    assert mac_shapes(logged) == [], "a MAC-shaped string was logged"
    assert mac_shapes(stored) == [], "a MAC-shaped string is in the database"
    assert mac_shapes(outboxes) == [], "a MAC-shaped string is in an agent's outbox"
