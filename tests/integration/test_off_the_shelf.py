"""ESPHome and Zigbee2MQTT devices, no custom firmware: exactly what those projects publish."""

from collections.abc import Iterator

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import create_engine, text

from firmware_config.site import Device, EsphomeSource, Site, Zigbee2MqttSource
from server.adapters.embedded_broker import MosquittoBroker
from server.api.app import create_app
from server.settings import Settings
from tests.support import ServerThread, small_site, wait_until

ESP_DESK, ESP_DESK_2, PIR_DESK, MMWAVE_DESK = (f"desk-f2-b-01-0{n}" for n in range(1, 5))


def site_with_off_the_shelf_devices() -> Site:
    site = small_site()
    devices = [d for d in site.devices if d.id != "gw-f2-b"] + [
        Device(
            id="esp-f2-b-01",
            kind="desk",
            sensor="mmwave",
            esphome=EsphomeSource(
                prefix="esp-f2-b-01",
                binary_sensors={"desk_1_presence": ESP_DESK, "desk_2_presence": ESP_DESK_2},
            ),
        ),
        Device(
            id="z2m-pir-f2-b-03",
            kind="desk",
            sensor="pir",
            zigbee2mqtt=Zigbee2MqttSource(friendly_name="2F desk 03 motion", desk=PIR_DESK),
        ),
        Device(
            id="z2m-fp1-f2-b-04",
            kind="desk",
            sensor="mmwave",
            zigbee2mqtt=Zigbee2MqttSource(
                base_topic="z2m", friendly_name="fp1/desk-04", desk=MMWAVE_DESK
            ),
        ),
    ]
    return site.model_copy(update={"devices": devices})


class Publisher:
    def __init__(self, broker: MosquittoBroker) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def send(self, topic: str, payload: str, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def running(
    broker: MosquittoBroker, database_url: str
) -> Iterator[tuple[ServerThread, Publisher, str]]:
    url = database_url
    settings = Settings(database_url=url, broker_url=broker.url, mqtt_client_id="ots-server")
    with ServerThread(create_app(settings, site=site_with_off_the_shelf_devices())) as server:
        wait_until(lambda: httpx.get(f"{server.url}/api/health").json()["broker_connected"])
        publisher = Publisher(broker)
        yield server, publisher, url
        for topic in ("esp-f2-b-01/status", "esp-f2-b-01/binary_sensor/desk_1_presence/state"):
            publisher.send(topic, "", retain=True)  # clear retained state for later tests
        publisher.close()


def state_of(server: ServerThread, desk: str) -> tuple[str, str]:
    floor = httpx.get(f"{server.url}/api/floors/f2").json()
    found = next(d for d in floor["desks"] if d["id"] == desk)
    return found["state"], found["reason"]


def wait_state(server: ServerThread, desk: str, state: str) -> str:
    return wait_until(
        lambda: state_of(server, desk)[1] if state_of(server, desk)[0] == state else None,
        10,
        f"{desk} to become {state}",
    )


def test_esphome_node(running: tuple[ServerThread, Publisher, str]) -> None:
    server, pub, _ = running
    pub.send("esp-f2-b-01/status", "online", retain=True)
    pub.send("esp-f2-b-01/binary_sensor/desk_1_presence/state", "ON", retain=True)
    assert wait_state(server, ESP_DESK, "occupied") == "mmwave: presence detected"
    pub.send("esp-f2-b-01/binary_sensor/desk_2_presence/state", "OFF", retain=True)
    wait_state(server, ESP_DESK_2, "free")
    pub.send("esp-f2-b-01/binary_sensor/desk_1_presence/state", "OFF", retain=True)
    wait_state(server, ESP_DESK, "free")
    # ESPHome's last will: every desk of the node becomes unknown, never stays free.
    pub.send("esp-f2-b-01/status", "offline", retain=True)
    assert "offline" in wait_state(server, ESP_DESK, "unknown")
    wait_state(server, ESP_DESK_2, "unknown")
    pub.send("esp-f2-b-01/status", "online", retain=True)
    pub.send("esp-f2-b-01/binary_sensor/desk_1_presence/state", "ON", retain=True)
    wait_state(server, ESP_DESK, "occupied")


def test_zigbee2mqtt_occupancy_presence_and_both_availability_forms(
    running: tuple[ServerThread, Publisher, str],
) -> None:
    server, pub, _ = running
    # An Aqara-style PIR: `occupancy`, with the other fields Zigbee2MQTT sends alongside.
    pir = "zigbee2mqtt/2F desk 03 motion"
    pub.send(
        pir, '{"battery":97,"illuminance":31,"linkquality":120,"occupancy":true,"voltage":3005}'
    )
    wait_state(server, PIR_DESK, "occupied")
    pub.send(pir, '{"battery":97,"linkquality":116,"occupancy":false,"voltage":3005}')
    wait_state(server, PIR_DESK, "free")
    pub.send(f"{pir}/availability", '{"state":"offline"}')
    wait_state(server, PIR_DESK, "unknown")
    pub.send(f"{pir}/availability", '{"state":"online"}')
    pub.send(pir, '{"occupancy":true}')
    wait_state(server, PIR_DESK, "occupied")
    # An mmWave presence sensor under another base topic, legacy string availability.
    fp1 = "z2m/fp1/desk-04"
    pub.send(fp1, '{"presence":true,"linkquality":87}')
    wait_state(server, MMWAVE_DESK, "occupied")
    pub.send(f"{fp1}/availability", "offline")
    wait_state(server, MMWAVE_DESK, "unknown")


def test_malformed_off_the_shelf_payloads_are_quarantined_and_the_next_flows(
    running: tuple[ServerThread, Publisher, str],
) -> None:
    server, pub, url = running
    pub.send("esp-f2-b-01/binary_sensor/desk_1_presence/state", "MAYBE")
    pub.send("zigbee2mqtt/2F desk 03 motion", '{"occupancy":"yes"}')
    pub.send("zigbee2mqtt/2F desk 03 motion", "not json")
    pub.send("zigbee2mqtt/2F desk 03 motion", '{"occupancy":true}')
    wait_state(server, PIR_DESK, "occupied")
    engine = create_engine(url)
    with engine.connect() as conn:
        reasons = [r for (r,) in conn.execute(text("SELECT reason FROM quarantine ORDER BY id"))]
    engine.dispose()
    assert reasons == [
        "ESPHome binary_sensor state must be ON or OFF, got 'MAYBE'",
        "Zigbee2MQTT 'occupancy' must be true or false, got 'yes'",
        "Zigbee2MQTT state is not JSON: Expecting value: line 1 column 1 (char 0)",
    ]
