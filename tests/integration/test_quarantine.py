"""Bad input never stops the pump: each kind is quarantined with its reason, counted, and acked."""

import hashlib
import json
from datetime import UTC, datetime

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import create_engine, text

from contracts import DeskPresenceChanged, build_topic, encode
from server.adapters.embedded_broker import MosquittoBroker
from server.api.app import create_app
from server.settings import Settings
from tests.support import METRICS_TOKEN, ServerThread, scrape, small_site, wait_until

GOOD_DESK = "desk-f1-a-01-03"


def event(device: str = "gw-f1-a", desk: str = GOOD_DESK, seq: int = 1) -> dict[str, object]:
    decoded: dict[str, object] = json.loads(
        encode(
            DeskPresenceChanged(
                device=device,
                epoch=1,
                seq=seq,
                at=datetime.now(UTC),
                desk=desk,
                present=True,
                sensor="mmwave",
            )
        )
    )
    return decoded


def test_each_kind_of_bad_message_is_quarantined_counted_and_acked(
    broker: MosquittoBroker, database_url: str
) -> None:
    url = database_url
    settings = Settings(
        database_url=url,
        broker_url=broker.url,
        mqtt_client_id="quarantine-srv",
        metrics_token=METRICS_TOKEN,
    )
    topic = build_topic("testhall", "desk", "gw-f1-a", "event")
    bad = [
        (topic, b'{"v":1,"type":'),  # malformed JSON
        (topic, json.dumps({**event(), "present": "very"}).encode()),  # wrong schema
        (
            build_topic("testhall", "desk", "gw-ghost", "event"),
            json.dumps(event(device="gw-ghost")).encode(),
        ),  # unknown device
        (topic, json.dumps(event(device="gw-f1-b")).encode()),  # topic/device mismatch
        (topic, b'{"pad":"' + b"x" * 20_000 + b'"}'),  # oversized
        (topic, json.dumps(event(desk="desk-f2-a-01-01")).encode()),  # a desk it does not serve
    ]
    with ServerThread(create_app(settings, site=small_site())) as server:
        wait_until(lambda: httpx.get(f"{server.url}/api/health").json()["broker_connected"])
        client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        client.connect(broker.host, broker.port)
        client.loop_start()
        for t, payload in bad:
            client.publish(t, payload, qos=1).wait_for_publish(5)
        client.publish(topic, json.dumps(event(seq=9)).encode(), qos=1).wait_for_publish(5)
        client.loop_stop()
        client.disconnect()

        def good_desk_occupied() -> bool:
            floor = httpx.get(f"{server.url}/api/floors/f1").json()
            return any(d["id"] == GOOD_DESK and d["state"] == "occupied" for d in floor["desks"])

        wait_until(good_desk_occupied, 10, "the good message after the bad ones")
        health = httpx.get(f"{server.url}/api/health").json()
        assert health["quarantined"] == 6 and health["ingest_queue"] == 0
        metrics = scrape(server.url)
        assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
        for line in (
            'freeseat_quarantined_total{kind="malformed"} 1',
            'freeseat_quarantined_total{kind="schema"} 1',
            'freeseat_quarantined_total{kind="unknown_device"} 1',
            'freeseat_quarantined_total{kind="mismatch"} 1',
            'freeseat_quarantined_total{kind="oversized"} 1',
            'freeseat_quarantined_total{kind="spoofed"} 1',
            "freeseat_ingest_applied_total 1",
            "freeseat_broker_connected 1",
        ):
            assert line in metrics.text.splitlines(), line
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT topic, reason, payload, payload_size, payload_sha256"
                " FROM quarantine ORDER BY id"
            )
        ).all()
    engine.dispose()
    # The oversized message is kept as its first 4 KiB, its size and its hash: a flood of
    # large messages cannot become as many large rows.
    oversized = bad[4][1]
    assert bytes(rows[4].payload) == oversized[:4096]
    assert rows[4].payload_size == len(oversized)
    assert rows[4].payload_sha256 == hashlib.sha256(oversized).hexdigest()
    reasons = [r.reason for r in rows]
    assert reasons[0].startswith("payload is not JSON")
    assert reasons[1].startswith("invalid event payload: desk.presence_changed.present")
    assert reasons[2] == "unknown device 'gw-ghost': it is not in the site file"
    assert reasons[3] == "payload device 'gw-f1-b' does not match topic device 'gw-f1-a'"
    assert reasons[4] == "payload of 20010 bytes exceeds 16384"
    assert reasons[5] == "device 'gw-f1-a' does not serve desk 'desk-f2-a-01-01'"
