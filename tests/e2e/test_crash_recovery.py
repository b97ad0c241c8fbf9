"""A server killed mid-stream loses nothing and applies nothing twice (ack only after commit)."""

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from contracts import DeskPresenceChanged, build_topic, encode
from server.adapters.embedded_broker import MosquittoBroker, free_port
from tests.support import small_site, wait_until

EVENTS = 400
DESKS = [f"desk-f1-a-01-0{n}" for n in range(1, 5)]


def start_server(
    tmp_path: Path, broker: MosquittoBroker, port: int, url: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FREESEAT_DATABASE_URL": url,
        "FREESEAT_BROKER_URL": broker.url,
        "FREESEAT_SITE_FILE": str(tmp_path / "site.yaml"),
        "FREESEAT_MQTT_CLIENT_ID": "crash-test-server",
        # Small batches, so the kill lands between commits rather than after all of them.
        "FREESEAT_INGEST_BATCH_MAX": "5",
        "FREESEAT_MQTT_RECEIVE_MAXIMUM": "20",
    }
    log = (tmp_path / "server.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def applied(url: str) -> tuple[int, int]:
    """Rows in the event log and distinct event ids; (0, 0) before the schema exists."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT count(*), count(DISTINCT event_id) FROM event_log")
            ).one()
    except DBAPIError:
        return (0, 0)
    finally:
        engine.dispose()
    return row[0], row[1]


def test_sigkill_mid_stream_loses_nothing_and_applies_nothing_twice(
    broker: MosquittoBroker, tmp_path: Path, database_url: str
) -> None:
    site = small_site()
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(site.model_dump(mode="json")))
    port = free_port()
    server = start_server(tmp_path, broker, port, database_url)
    try:
        wait_until(
            lambda: _health(port).get("broker_connected"), 30, "server connected to the broker"
        )
        publisher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        publisher.connect(broker.host, broker.port)
        publisher.loop_start()
        start = datetime(2026, 11, 30, 9, tzinfo=UTC)
        topic = build_topic("testhall", "desk", "gw-f1-a", "event")
        infos = []
        for seq in range(EVENTS):
            event = DeskPresenceChanged(
                device="gw-f1-a",
                epoch=1,
                seq=seq,
                at=start + timedelta(seconds=seq),
                desk=DESKS[seq % 4],
                present=seq % 3 != 0,
                sensor="mmwave",
            )
            infos.append(publisher.publish(topic, encode(event), qos=1))
            if seq == EVENTS // 4:
                wait_until(lambda: applied(database_url)[0] > 20, 20, "some events applied")
                server.send_signal(signal.SIGKILL)
                server.wait(10)
        for info in infos:
            info.wait_for_publish(10)
        publisher.loop_stop()
        publisher.disconnect()

        server = start_server(tmp_path, broker, port, database_url)
        wait_until(lambda: applied(database_url)[0] >= EVENTS, 60, "every event applied")
        assert applied(database_url) == (EVENTS, EVENTS)
        floor = httpx.get(f"http://127.0.0.1:{port}/api/floors/f1").json()
        states = {d["id"]: d["state"] for d in floor["desks"]}
        for n, desk in enumerate(DESKS):
            last = max(seq for seq in range(EVENTS) if seq % 4 == n)
            assert states[desk] == ("occupied" if last % 3 != 0 else "free"), desk
    finally:
        server.terminate()
        server.wait(10)


def _health(port: int) -> dict[str, object]:
    try:
        body: dict[str, object] = httpx.get(f"http://127.0.0.1:{port}/api/health").json()
        return body
    except httpx.HTTPError:
        return {}
