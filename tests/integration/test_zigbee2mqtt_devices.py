"""Zigbee2MQTT 1.x and 2.x as they publish: the bridge's state, null readings, enum presence.

Payloads as Zigbee2MQTT publishes them: `<base>/bridge/state` is `{"state":"online"}` /
`{"state":"offline"}` in 2.x (Koenkk/zigbee2mqtt lib/mqtt.ts, the client's will and its
connect/disconnect) and the bare `online`/`offline` in 1.x with `legacy_availability_payload`
(1.42.0 lib/util/utils.ts availabilityPayload). Device messages carry the keys
zigbee-herdsman-converters exposes (src/devices/tuya.ts: `presence_state` none/presence/...,
`motion_state` none/large/small/static). SQLite only: this is about reading, not storage.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware_config.site import Device, PresenceMapping, Site, Zigbee2MqttSource
from server.adapters.embedded_broker import MosquittoBroker
from tests.off_the_shelf_support import (
    Publisher,
    metric,
    quarantined,
    serving,
    site_with,
    state_of,
    wait_state,
)
from tests.support import ServerThread, wait_until

PIR, RADAR, MAPPED, OTHER_BRIDGE = (f"desk-f2-b-01-0{n}" for n in range(1, 5))


def zigbee_site() -> Site:
    def sensor(device: str, name: str, desk: str, **extra: object) -> Device:
        return Device(
            id=device,
            kind="desk",
            sensor="mmwave",
            zigbee2mqtt=Zigbee2MqttSource(friendly_name=name, desk=desk, **extra),
        )

    return site_with(
        [
            sensor("z-pir", "desk 01 motion", PIR),
            sensor("z-radar", "desk 02 radar", RADAR),
            # A radar whose enum the site file maps itself: `move` and `stationary` mean someone.
            sensor(
                "z-mapped",
                "desk 03 radar",
                MAPPED,
                presence=PresenceMapping(
                    key="presence_state", present=["move", "stationary"], absent=["none"]
                ),
            ),
            sensor("z-other", "desk 04 radar", OTHER_BRIDGE, base_topic="z2m-annex"),
        ]
    )


@pytest.fixture
def running(
    broker: MosquittoBroker, tmp_path: Path
) -> Iterator[tuple[ServerThread, str, Publisher]]:
    url = f"sqlite:///{tmp_path / 'freeseat.db'}"
    with serving(zigbee_site(), broker, url) as server:
        bridge = Publisher(broker)
        yield server, url, bridge
        for base in ("zigbee2mqtt", "z2m-annex"):
            bridge.send(f"{base}/bridge/state", "", retain=True)
        bridge.close()


BRIDGE_FORMS = [
    ('{"state":"offline"}', '{"state":"online"}'),  # 2.x, and 1.x by default since 1.30
    ("offline", "online"),  # 1.x with legacy_availability_payload
]


def test_a_bridge_going_offline_makes_every_desk_behind_it_unknown(
    running: tuple[ServerThread, str, Publisher],
) -> None:
    server, url, bridge = running
    for offline, online in BRIDGE_FORMS:
        bridge.send("zigbee2mqtt/bridge/state", online, retain=True)
        bridge.send(
            "zigbee2mqtt/desk 01 motion", '{"occupancy":true,"battery":91,"linkquality":96}'
        )
        bridge.send("zigbee2mqtt/desk 02 radar", '{"presence":false,"linkquality":120}')
        bridge.send("z2m-annex/desk 04 radar", '{"presence":true}')
        wait_state(server, PIR, "occupied")
        wait_state(server, RADAR, "free")
        wait_state(server, OTHER_BRIDGE, "occupied")
        # The coordinator's will (or its clean stop): nothing behind it reports any more.
        bridge.send("zigbee2mqtt/bridge/state", offline, retain=True)
        reason = wait_state(server, PIR, "unknown")
        assert reason == "bridge_offline"
        wait_state(server, RADAR, "unknown")
        assert state_of(server, OTHER_BRIDGE)[0] == "occupied"  # another bridge, still up
        # Back: Zigbee2MQTT republishes its cached states, which bring the desks back.
        bridge.send("zigbee2mqtt/bridge/state", online, retain=True)
        bridge.send("zigbee2mqtt/desk 01 motion", '{"occupancy":false,"battery":91}')
        wait_state(server, PIR, "free")
    assert quarantined(url) == []


def test_null_presence_is_no_reading_and_keeps_the_device_alive(
    running: tuple[ServerThread, str, Publisher],
) -> None:
    server, url, bridge = running
    bridge.send("zigbee2mqtt/desk 02 radar", '{"presence":true,"linkquality":120}')
    wait_state(server, RADAR, "occupied")
    # What Zigbee2MQTT sends before a radar's first report, or with an unknown value.
    bridge.send("zigbee2mqtt/desk 02 radar", '{"presence":null,"linkquality":118}')
    bridge.send("zigbee2mqtt/desk 01 motion", '{"occupancy":null,"battery":88}')
    wait_until(
        lambda: metric(server, 'freeseat_ingest_ignored_total{kind="zigbee2mqtt_no_reading"}') == 2,
        what="both null readings to be counted",
    )
    assert state_of(server, RADAR)[0] == "occupied"
    assert quarantined(url) == []


def test_enum_presence_by_the_default_keys_and_by_the_site_file_mapping(
    running: tuple[ServerThread, str, Publisher],
) -> None:
    server, url, bridge = running
    # A Tuya ZG-205Z (`presence_state`), default values.
    bridge.send("zigbee2mqtt/desk 02 radar", '{"presence_state":"large_movement","illuminance":74}')
    wait_state(server, RADAR, "occupied")
    bridge.send("zigbee2mqtt/desk 02 radar", '{"presence_state":"none","illuminance":74}')
    wait_state(server, RADAR, "free")
    # A Tuya ZG-205ZL (`motion_state`).
    bridge.send("zigbee2mqtt/desk 01 motion", '{"motion_state":"static","fading_time":30}')
    wait_state(server, PIR, "occupied")
    # The mapped radar: the site file's values decide, and a value outside them is refused.
    bridge.send("zigbee2mqtt/desk 03 radar", '{"presence_state":"move"}')
    wait_state(server, MAPPED, "occupied")
    bridge.send("zigbee2mqtt/desk 03 radar", '{"presence_state":"presence"}')
    bridge.send("zigbee2mqtt/desk 03 radar", '{"presence_state":"none"}')
    wait_state(server, MAPPED, "free")
    assert quarantined(url) == [
        (
            "zigbee2mqtt/desk 03 radar",
            'Zigbee2MQTT \'presence_state\' must be one of "move", "none", "stationary", '
            "got 'presence'",
        )
    ]
