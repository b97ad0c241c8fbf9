"""Ingest in a worker process: same exactly-once effect, and a dead worker loses nothing."""

import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import text

from contracts import DeskPresenceChanged, build_topic, encode
from server.adapters.database import make_engine
from server.adapters.embedded_broker import MosquittoBroker
from server.api.app import create_app
from server.settings import Settings
from tests.support import ServerThread, small_site, wait_until

EVENTS = 300
DESKS = [f"desk-f1-a-01-0{n}" for n in range(1, 5)]


def logged(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT count(*), count(DISTINCT event_id) FROM event_log")
            ).one()
    finally:
        engine.dispose()
    return int(row[0]), int(row[1])


def test_a_killed_ingest_worker_is_replaced_and_every_event_applies_once(
    broker: MosquittoBroker, tmp_path: Path, database_url: str
) -> None:
    settings = Settings(
        database_url=database_url,
        broker_url=broker.url,
        mqtt_client_id="worker-test-server",
        ingest_worker=True,
        # Small batches, so the kill lands between commits with more still to come.
        ingest_batch_max=5,
        mqtt_receive_maximum=20,
    )
    with ServerThread(create_app(settings, site=small_site())) as server:
        runtime = server.app.state.runtime
        wait_until(
            lambda: httpx.get(f"{server.url}/api/health").json()["broker_connected"],
            what="server subscribed at the broker",
        )
        worker_pid = runtime.worker.warm_up()
        assert worker_pid != os.getpid(), "batches are applied in another process"
        publisher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        publisher.connect(broker.host, broker.port)
        publisher.loop_start()
        start = datetime(2026, 11, 30, 9, tzinfo=UTC)
        topic = build_topic("testhall", "desk", "gw-f1-a", "event")
        infos = []
        try:
            for seq in range(1, EVENTS + 1):
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
                if seq == EVENTS // 3:
                    wait_until(lambda: logged(database_url)[0] > 20, 20, "some events applied")
                    os.kill(worker_pid, signal.SIGKILL)
            for info in infos:
                info.wait_for_publish(10)
        finally:
            publisher.loop_stop()
            publisher.disconnect()
        wait_until(lambda: logged(database_url)[0] >= EVENTS, 60, "every event applied")
        assert logged(database_url) == (EVENTS, EVENTS)
        assert runtime.worker.warm_up() != worker_pid, "a new worker took over"
        floor = httpx.get(f"{server.url}/api/floors/f1").json()
        states = {d["id"]: d["state"] for d in floor["desks"]}
        for n, desk in enumerate(DESKS):
            last = max(seq for seq in range(1, EVENTS + 1) if seq % 4 == n)
            assert states[desk] == ("occupied" if last % 3 != 0 else "free"), desk
        # A batch the worker committed but died before reporting comes back as duplicates:
        # logged once, applied once. Nothing may be quarantined as an internal error.
        assert httpx.get(f"{server.url}/api/health").json()["quarantined"] == 0
