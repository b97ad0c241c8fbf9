"""One sensor event reaches a websocket client and the REST API, over a real broker and database."""

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from websockets.sync.client import connect

from contracts import DeskPresenceChanged, build_topic, encode
from server.adapters.embedded_broker import MosquittoBroker
from server.api.app import create_app
from server.settings import Settings
from tests.support import ServerThread, small_site, wait_until

DESK = "desk-f1-a-01-02"


def publish(broker: MosquittoBroker, topic: str, payload: bytes) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(broker.host, broker.port)
    client.loop_start()
    client.publish(topic, payload, qos=1).wait_for_publish(5)
    client.loop_stop()
    client.disconnect()


def test_presence_event_reaches_websocket_and_rest(broker: MosquittoBroker, tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'e2e.db'}",
        broker_url=broker.url,
        mqtt_client_id="e2e-server",
    )
    with ServerThread(create_app(settings, site=small_site())) as server:
        wait_until(
            lambda: httpx.get(f"{server.url}/api/health").json()["broker_connected"],
            what="server connected to broker",
        )
        with connect(f"{server.ws_url}/ws/live?floor=f1", open_timeout=5) as ws:
            snapshot = json.loads(ws.recv(timeout=5))
            assert snapshot["type"] == "snapshot"
            assert snapshot["desks"][DESK]["state"] == "unknown"

            event = DeskPresenceChanged(
                device="gw-f1-a",
                epoch=1,
                seq=1,
                at=datetime.now(UTC),
                desk=DESK,
                present=True,
                sensor="mmwave",
            )
            publish(broker, build_topic("testhall", "desk", "gw-f1-a", "event"), encode(event))

            delta = json.loads(ws.recv(timeout=10))
            assert delta["type"] == "delta"
            assert delta["version"] == snapshot["version"] + 1
            assert delta["desks"][DESK]["state"] == "occupied"

        floor = httpx.get(f"{server.url}/api/floors/f1").json()
        desk = next(d for d in floor["desks"] if d["id"] == DESK)
        assert desk["state"] == "occupied"
        assert "presence" in desk["reason"]
