"""ESPHome and Zigbee2MQTT devices, no custom firmware: exactly what those projects publish."""

from collections.abc import Iterator

import pytest

from firmware_config.site import Device, EsphomeSource, Site, Zigbee2MqttSource
from server.adapters.embedded_broker import MosquittoBroker
from tests.off_the_shelf_support import Publisher, quarantined, serving, site_with, wait_state
from tests.support import ServerThread

ESP_DESK, ESP_DESK_2, PIR_DESK, MMWAVE_DESK = (f"desk-f2-b-01-0{n}" for n in range(1, 5))


def site_with_off_the_shelf_devices() -> Site:
    return site_with(
        [
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
    )


@pytest.fixture
def running(
    broker: MosquittoBroker, database_url: str
) -> Iterator[tuple[ServerThread, Publisher, str]]:
    with serving(site_with_off_the_shelf_devices(), broker, database_url) as server:
        publisher = Publisher(broker)
        yield server, publisher, database_url
        for topic in ("esp-f2-b-01/status", "esp-f2-b-01/binary_sensor/desk_1_presence/state"):
            publisher.send(topic, "", retain=True)  # clear retained state for later tests
        publisher.close()


def test_esphome_node(running: tuple[ServerThread, Publisher, str]) -> None:
    server, pub, _ = running
    pub.send("esp-f2-b-01/status", "online", retain=True)
    pub.send("esp-f2-b-01/binary_sensor/desk_1_presence/state", "ON", retain=True)
    assert wait_state(server, ESP_DESK, "occupied") == "walk_in"
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
    assert [reason for _, reason in quarantined(url)] == [
        "ESPHome binary_sensor state must be ON or OFF, got 'MAYBE'",
        "Zigbee2MQTT 'occupancy' must be one of false, true, got 'yes'",
        "Zigbee2MQTT state is not JSON: Expecting value: line 1 column 1 (char 0)",
    ]
