"""A device whose clock is a day ahead: the map dates its desk by the server, facilities see it."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contracts import DeskPresenceChanged, build_topic, encode
from server.adapters.embedded_broker import MosquittoBroker
from server.api.app import create_app
from server.settings import Settings
from tests.signin import sign_in
from tests.support import ServerThread, small_site, wait_until

DESK = "desk-f1-a-01-01"


def test_a_reading_dated_tomorrow_is_dated_on_arrival_and_counted_for_its_device(
    broker: MosquittoBroker, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'freeseat.db'}",
        broker_url=broker.url,
        mqtt_client_id="clock-test-server",
        demo_mode=True,
    )
    with (
        ServerThread(create_app(settings, site=small_site())) as server,
        httpx.Client(base_url=server.url) as facilities,
    ):
        wait_until(lambda: facilities.get("/api/health").json()["broker_connected"])
        assert facilities.get("/api/devices").status_code == 401, "facilities only"
        sign_in(facilities, "demo-facilities")
        sent = datetime.now(UTC)
        event = DeskPresenceChanged(
            device="gw-f1-a",
            epoch=1,
            seq=1,
            at=sent + timedelta(days=1),
            desk=DESK,
            present=True,
            sensor="mmwave",
        )
        publisher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        publisher.connect(broker.host, broker.port)
        publisher.loop_start()
        try:
            topic = build_topic("testhall", "desk", "gw-f1-a", "event")
            publisher.publish(topic, encode(event), qos=1).wait_for_publish(10)
        finally:
            publisher.loop_stop()
            publisher.disconnect()

        def desk() -> dict[str, str] | None:
            desks = facilities.get("/api/floors/f1").json()["desks"]
            found: dict[str, str] = next(d for d in desks if d["id"] == DESK)
            return found if found["state"] == "occupied" else None

        since = datetime.fromisoformat(wait_until(desk, what="the desk occupied")["since"])
        assert abs(since - sent) < timedelta(minutes=1), "dated on arrival, not tomorrow"
        devices = {d["id"]: d for d in facilities.get("/api/devices").json()}
        assert devices["gw-f1-a"]["clock_skewed"] == 1
        assert 86_000 < devices["gw-f1-a"]["clock_skew_s"] <= 86_400
        assert devices["gw-f1-b"]["clock_skewed"] == 0
