"""ESPHome nodes as they come: any prefix ESPHome accepts, '-' in object ids, chatty other topics.

Topics as ESPHome 2026.6 publishes them (esphome/components/mqtt): entity state on
`<prefix>/<component>/<object_id>/state` (mqtt_component.cpp, get_default_topic_for_to_),
birth/will `online`/`offline` on `<prefix>/status` and the log on `<prefix>/debug`
(mqtt/__init__.py, validate_config). Each test runs on SQLite only: it is about routing, not
storage.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware_config.site import Device, EsphomeSource, Site
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

MULTI_LEVEL = "office/3f/desk-b012"
UNDER_FREESEAT = "freeseat/esp/desk-b013"
DESK_A, DESK_B = "desk-f2-b-01-01", "desk-f2-b-01-02"


def esphome_site() -> Site:
    return site_with(
        [
            Device(
                id="esp-b012",
                kind="desk",
                sensor="mmwave",
                esphome=EsphomeSource(
                    prefix=MULTI_LEVEL, binary_sensors={"desk-b012-presence": DESK_A}
                ),
            ),
            Device(
                id="esp-b013",
                kind="desk",
                sensor="mmwave",
                esphome=EsphomeSource(prefix=UNDER_FREESEAT, binary_sensors={"presence": DESK_B}),
            ),
        ]
    )


@pytest.fixture
def running(broker: MosquittoBroker, tmp_path: Path) -> Iterator[tuple[ServerThread, str]]:
    url = f"sqlite:///{tmp_path / 'freeseat.db'}"
    with serving(esphome_site(), broker, url) as server:
        yield server, url


def test_a_multi_level_prefix_and_an_object_id_with_dashes_reach_the_desk(
    running: tuple[ServerThread, str], broker: MosquittoBroker
) -> None:
    server, url = running
    node = Publisher(broker)
    try:
        node.send(f"{MULTI_LEVEL}/status", "online", retain=True)
        node.send(f"{MULTI_LEVEL}/binary_sensor/desk-b012-presence/state", "ON", retain=True)
        assert wait_state(server, DESK_A, "occupied") == "walk_in"
        # An LD2410 node's other entities and its log, several a second: ignored quietly.
        chatter = [
            (f"{MULTI_LEVEL}/sensor/moving_distance/state", "93"),
            (f"{MULTI_LEVEL}/sensor/still_energy/state", "41"),
            (f"{MULTI_LEVEL}/text_sensor/ld2410_firmware_version/state", "2.44.24073110"),
            (
                f"{MULTI_LEVEL}/debug",
                "[D][binary_sensor:036]: 'desk-b012-presence': Sending state ON",
            ),
            (f"{MULTI_LEVEL}/switch/engineering_mode/state", "OFF"),
        ]
        for topic, payload in chatter:
            node.send(topic, payload)
        wait_until(
            lambda: (
                metric(server, 'freeseat_ingest_ignored_total{kind="esphome_other_topic"}')
                == len(chatter)
            ),
            what="the other topics to be counted",
        )
        node.send(f"{MULTI_LEVEL}/binary_sensor/desk-b012-presence/state", "OFF", retain=True)
        wait_state(server, DESK_A, "free")
        node.send(f"{MULTI_LEVEL}/status", "offline", retain=True)  # ESPHome's will
        assert "offline" in wait_state(server, DESK_A, "unknown")
        assert quarantined(url) == []
    finally:
        for topic in (
            f"{MULTI_LEVEL}/status",
            f"{MULTI_LEVEL}/binary_sensor/desk-b012-presence/state",
        ):
            node.send(topic, "", retain=True)
        node.close()


def test_a_prefix_under_freeseat_is_not_read_as_the_wire_contract(
    running: tuple[ServerThread, str], broker: MosquittoBroker
) -> None:
    server, url = running
    node = Publisher(broker)
    try:
        node.send(f"{UNDER_FREESEAT}/status", "online")
        node.send(f"{UNDER_FREESEAT}/binary_sensor/presence/state", "ON")
        wait_state(server, DESK_B, "occupied")
        node.send(f"{UNDER_FREESEAT}/debug", "[I][app:100]: ESPHome version 2026.6.5")
        node.send(f"{UNDER_FREESEAT}/binary_sensor/presence/state", "OFF")
        wait_state(server, DESK_B, "free")
        assert quarantined(url) == []
        # A retained topic cleared (an empty payload) says nothing: counted, the desk unchanged.
        node.send(f"{UNDER_FREESEAT}/binary_sensor/presence/state", "")
        wait_until(
            lambda: metric(server, 'freeseat_ingest_ignored_total{kind="retained_clear"}') == 1,
            what="the cleared topic to be counted",
        )
        assert state_of(server, DESK_B)[0] == "free"
    finally:
        node.close()
