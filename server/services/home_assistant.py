"""Home Assistant MQTT discovery for every desk: what to publish, independent of the MQTT client.

Each desk is one Home Assistant device (`homeassistant/device/<desk-id>/config`, the
device-based discovery form) with two entities reading one retained JSON state topic: an
`occupancy` binary sensor (ON only when someone is at the desk) and the freeseat state as an
enum sensor. A desk whose state is unknown (sensor offline or silent) is *unavailable* in Home
Assistant, never "clear": the same rule as the floor map.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from firmware_config.site import Site

DISCOVERY_PREFIX = "homeassistant"
STATES = ["free", "held", "occupied", "away", "blocked"]


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: str


def state_topic(site_id: str, desk: str) -> str:
    return f"freeseat/ha/{site_id}/desk/{desk}"


def bridge_status_topic(site_id: str) -> str:
    """Retained `online`; the server's will sets it `offline`, so every desk goes unavailable."""
    return f"freeseat/ha/{site_id}/status"


def discovery_messages(site: Site, version: str) -> list[Message]:
    """One retained config message per desk of the site."""
    site_id = site.site.id
    zones = {zone.id: zone for floor in site.floors() for zone in floor.zones}
    messages = []
    for floor, desk in site.desks():
        zone = zones.get(desk.zone)
        object_id = desk.id.replace("-", "_")
        base = state_topic(site_id, desk.id)
        config: dict[str, Any] = {
            "dev": {
                "ids": [f"freeseat_{site_id}_{object_id}"],
                "name": f"Desk {desk.id}",
                "mf": "freeseat",
                "mdl": "Free-address desk",
                "sa": f"{floor.name} {zone.name}" if zone else floor.name,
            },
            "o": {"name": "freeseat", "sw": version},
            "state_topic": base,
            "availability": [
                {"topic": bridge_status_topic(site_id)},
                {"topic": f"{base}/availability"},
            ],
            "availability_mode": "all",
            "qos": 1,
            "cmps": {
                "occupancy": {
                    "p": "binary_sensor",
                    "device_class": "occupancy",
                    "name": "Occupancy",
                    "unique_id": f"freeseat_{site_id}_{object_id}_occupancy",
                    "default_entity_id": f"binary_sensor.{object_id}",
                    "value_template": "{{ value_json.occupancy }}",
                },
                "state": {
                    "p": "sensor",
                    "device_class": "enum",
                    "options": STATES,
                    "name": "State",
                    "unique_id": f"freeseat_{site_id}_{object_id}_state",
                    "default_entity_id": f"sensor.{object_id}_state",
                    "value_template": "{{ value_json.state }}",
                },
            },
        }
        messages.append(Message(f"{DISCOVERY_PREFIX}/device/{desk.id}/config", json.dumps(config)))
    return messages


def state_messages(site_id: str, desk: str, state: str) -> list[Message]:
    """The retained state and availability of one desk in freeseat state `state`."""
    base = state_topic(site_id, desk)
    if state not in STATES:
        return [Message(f"{base}/availability", "offline")]
    body = {"occupancy": "ON" if state == "occupied" else "OFF", "state": state}
    return [Message(base, json.dumps(body)), Message(f"{base}/availability", "online")]
