"""A site with one device of every sort provisioning handles, written as a real site file."""

from pathlib import Path

import yaml

from firmware_config.site import (
    AccessPoint,
    Device,
    EsphomeSource,
    Site,
    Zigbee2MqttSource,
)
from tests.support import small_site

ESP_MMWAVE = "esp-f1-b1"
# Levels, a space and a '-' in object ids: every one ESPHome accepts, so the files must too.
ESP_MMWAVE_PREFIX = "office/1F east/esp-f1-b1"
ESP_PIR = "esp-f1-b2"
GATEWAY = "gw-f1-a"
ZIGBEE = "zb-f2-b-01"
AP_AGENT = "apagent-f1-1"
ROOM_AGENT = "roomagent-f1-1"


def provisioning_site() -> Site:
    """small_site() with ESPHome nodes (mmWave and PIR), a Zigbee sensor, an AP and a room agent."""
    base = small_site()
    floors = base.floors()
    f1 = floors[0].model_copy(
        update={
            "access_points": [AccessPoint(id="ap-f1-1", x=5, y=5, bssids=["02:00:00:00:01:01"])]
        }
    )
    devices = [
        Device(id=GATEWAY, kind="desk", sensor="mmwave", desks=[d.id for d in f1.desks[:4]]),
        Device(
            id=ESP_MMWAVE,
            kind="desk",
            sensor="mmwave",
            esphome=EsphomeSource(
                prefix=ESP_MMWAVE_PREFIX,
                binary_sensors={"desk-1": "desk-f1-b-01-01", "desk-2": "desk-f1-b-01-02"},
            ),
        ),
        Device(
            id=ESP_PIR,
            kind="desk",
            sensor="pir",
            esphome=EsphomeSource(
                prefix=ESP_PIR,
                binary_sensors={"desk_3": "desk-f1-b-01-03", "desk_4": "desk-f1-b-01-04"},
            ),
        ),
        Device(id="gw-f2-a", kind="desk", sensor="pir", desks=[d.id for d in floors[1].desks[:4]]),
        Device(
            id=ZIGBEE,
            kind="desk",
            sensor="pir",
            zigbee2mqtt=Zigbee2MqttSource(friendly_name="desk f2-b-01-01", desk="desk-f2-b-01-01"),
        ),
        Device(id=AP_AGENT, kind="ap", access_point="ap-f1-1"),
        Device(id=ROOM_AGENT, kind="room", room="room-f1-1"),
    ]
    building = base.buildings[0].model_copy(update={"floors": [f1, *floors[1:]]})
    return base.model_copy(update={"buildings": [building], "devices": devices})


def write_site(site: Site, path: Path) -> Path:
    """`site` as a site file the loader reads back."""
    path.write_text(yaml.safe_dump(site.model_dump(mode="json"), sort_keys=False))
    return path
