"""The Home Assistant bridge on a real broker: every desk discovered, states follow the sensors."""

import json
from pathlib import Path

import httpx

from contracts import Channel, DeskPresenceChanged, DeviceStatus, SensorClass, build_topic, encode
from server.adapters.embedded_broker import MosquittoBroker
from server.api.app import create_app
from server.settings import Settings
from tests.fakes import FakeClock
from tests.provisioned_broker import peer
from tests.support import ServerThread, small_site, wait_until

DESK = "desk-f1-a-01-02"


def test_every_desk_is_discovered_and_its_occupancy_follows_the_sensor(
    broker: MosquittoBroker, database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    site = small_site()
    desks = [desk.id for _, desk in site.desks()]
    assert Settings().home_assistant is False  # off unless asked for
    settings = Settings(
        database_url=database_url,
        broker_url=broker.url,
        mqtt_client_id="ha-server",
        home_assistant=True,
    )
    with peer(broker.port, None, None, "home-assistant") as ha:
        assert not ha.subscribe("homeassistant/#").is_failure
        assert not ha.subscribe("freeseat/ha/#").is_failure
        with ServerThread(create_app(settings, clock=clock, site=site)) as server:
            wait_until(
                lambda: httpx.get(f"{server.url}/api/health").json()["broker_connected"],
                what="server link",
            )

            def received() -> dict[str, str]:
                with ha.lock:
                    return {topic: payload.decode() for topic, payload in ha.received}

            wait_until(
                lambda: all(f"homeassistant/device/{d}/config" in received() for d in desks),
                what="a discovery config for every desk",
            )
            config = json.loads(received()[f"homeassistant/device/{DESK}/config"])
            occupancy = config["cmps"]["occupancy"]
            assert occupancy["p"] == "binary_sensor"
            assert occupancy["device_class"] == "occupancy"
            assert occupancy["default_entity_id"] == "binary_sensor.desk_f1_a_01_02"
            assert config["dev"]["sa"] == "1F Zone A"
            state_topic = config["state_topic"]
            # Never heard from: unavailable in Home Assistant, not "clear".
            assert received()[f"{state_topic}/availability"] == "offline"
            assert received()["freeseat/ha/testhall/status"] == "online"

            # The gateway says it is online and that someone sat down.
            now = clock.now()
            status = DeviceStatus(device="gw-f1-a", epoch=1, status="online", at=now)
            present = DeskPresenceChanged(
                device="gw-f1-a",
                epoch=1,
                seq=1,
                at=now,
                desk=DESK,
                present=True,
                sensor=SensorClass.MMWAVE,
            )
            topic = build_topic("testhall", "desk", "gw-f1-a", Channel.STATUS)
            ha.publish(topic, encode(status))
            ha.publish(build_topic("testhall", "desk", "gw-f1-a", Channel.EVENT), encode(present))
            wait_until(
                lambda: received().get(state_topic) == '{"occupancy": "ON", "state": "occupied"}',
                what="the desk occupied in Home Assistant",
            )
            assert received()[f"{state_topic}/availability"] == "online"
        # Server gone: every desk unavailable, through the bridge's status.
        wait_until(
            lambda: received().get("freeseat/ha/testhall/status") == "offline",
            what="bridge offline on shutdown",
        )
