"""ESPHome YAML for an ESP32 desk sensor, speaking ESPHome's native MQTT topics.

The server already ingests those topics for devices with an `esphome:` mapping (see
`server/services/site_index.py`), so the node runs stock ESPHome firmware: every topic is
written out explicitly here, so an ESPHome release that changes its naming cannot move them.
Secrets are `!secret` references into the `secrets.yaml` beside the file, never inlined.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from contracts import SensorClass
from firmware_config.site import Device, Site

# UART pairs (rx, tx) for LD2410 modules; UART0 stays with the USB console for flashing.
LD2410_UARTS = ((16, 17), (25, 26))
# Input pins that are not strapping pins and have no boot-time function on an ESP32-DevKit.
PIR_PINS = (32, 33, 27, 14, 13, 4, 18, 19, 21, 22, 23)
BOARD = "esp32dev"


class EsphomeDeviceError(ValueError):
    """A device the site file describes cannot be built as one ESP32 node; says what to change."""


@dataclass(frozen=True, slots=True)
class BrokerEndpoint:
    """Where nodes reach the broker, and whether over TLS (then the CA is a secret too)."""

    host: str
    port: int
    tls: bool


def secret_key(kind: str, device_id: str) -> str:
    """The `secrets.yaml` key of one device's secret (`mqtt_password_desk_f3_01`)."""
    return f"{kind}_{device_id.replace('-', '_')}"


def esphome_yaml(site: Site, device: Device, broker: BrokerEndpoint) -> str:
    """The node's YAML; raises EsphomeDeviceError if its desks exceed what one ESP32 wires."""
    assert device.esphome is not None
    prefix = device.esphome.prefix
    sensors = list(device.esphome.binary_sensors.items())
    sensor = device.sensor or SensorClass.PIR
    mqtt: dict[str, Any] = {
        "broker": broker.host,
        "port": broker.port,
        "username": device.id,
        "password": _Secret(secret_key("mqtt_password", device.id)),
        "client_id": device.id,
        "topic_prefix": prefix,
        # Home Assistant discovery comes from the server's bridge, for desks rather than pins.
        "discovery": False,
        "birth_message": {"topic": f"{prefix}/status", "payload": "online", "retain": True},
        "will_message": {"topic": f"{prefix}/status", "payload": "offline", "retain": True},
        "shutdown_message": {"topic": f"{prefix}/status", "payload": "offline", "retain": True},
    }
    if broker.tls:
        mqtt["certificate_authority"] = _Secret("mqtt_ca_certificate")
    doc: dict[str, Any] = {
        "esphome": {
            "name": device.id,
            "comment": f"freeseat {site.site.id}: desks {', '.join(device.desks)}",
        },
        "esp32": {"board": BOARD, "framework": {"type": "esp-idf"}},
        "logger": {},
        "wifi": {
            "ssid": _Secret("wifi_ssid"),
            "password": _Secret("wifi_password"),
        },
        "ota": [
            {"platform": "esphome", "password": _Secret(secret_key("ota_password", device.id))}
        ],
        "mqtt": mqtt,
    }
    binary_sensors: list[dict[str, Any]] = []
    if sensor is SensorClass.MMWAVE:
        if len(sensors) > len(LD2410_UARTS):
            raise EsphomeDeviceError(
                f"device {device.id}: an ESP32 wires at most {len(LD2410_UARTS)} LD2410 "
                f"modules, the esphome mapping names {len(sensors)}; split the desks over "
                "more devices"
            )
        doc["uart"] = []
        doc["ld2410"] = []
        for index, ((object_id, _desk), (rx, tx)) in enumerate(
            zip(sensors, LD2410_UARTS, strict=False)
        ):
            doc["uart"].append(
                {
                    "id": f"uart_{index}",
                    "rx_pin": f"GPIO{rx}",
                    "tx_pin": f"GPIO{tx}",
                    "baud_rate": 256000,
                    "parity": "NONE",
                    "stop_bits": 1,
                }
            )
            doc["ld2410"].append({"id": f"ld2410_{index}", "uart_id": f"uart_{index}"})
            binary_sensors.append(
                {
                    "platform": "ld2410",
                    "ld2410_id": f"ld2410_{index}",
                    "has_target": _entity(prefix, object_id, index),
                }
            )
    else:
        if len(sensors) > len(PIR_PINS):
            raise EsphomeDeviceError(
                f"device {device.id}: an ESP32 has {len(PIR_PINS)} free input pins, the "
                f"esphome mapping names {len(sensors)} sensors; split the desks over more devices"
            )
        for index, ((object_id, _desk), pin) in enumerate(zip(sensors, PIR_PINS, strict=False)):
            binary_sensors.append(
                {
                    "platform": "gpio",
                    "pin": {"number": f"GPIO{pin}", "mode": {"input": True, "pulldown": True}},
                    **_entity(prefix, object_id, index),
                }
            )
    doc["binary_sensor"] = binary_sensors
    # Diagnostics the registry shows: signal strength and firmware version, under the prefix.
    doc["sensor"] = [
        {
            "platform": "wifi_signal",
            "name": "wifi_signal",
            "update_interval": "60s",
            "state_topic": f"{prefix}/sensor/wifi_signal/state",
        }
    ]
    doc["text_sensor"] = [
        {
            "platform": "version",
            "name": "version",
            "hide_timestamp": True,
            "state_topic": f"{prefix}/text_sensor/version/state",
        }
    ]
    header = (
        f"# Generated by `freeseat provision` for site {site.site.id}, device {device.id}.\n"
        "# Do not edit: change the site file and re-run it. Secrets live in secrets.yaml.\n"
    )
    return header + yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _entity(prefix: str, object_id: str, index: int) -> dict[str, Any]:
    # The name sets ESPHome's object_id (an object id names itself); the state topic is the one
    # the site mapping routes. ESPHome ids are C++ names, which an object id with '-' is not.
    return {
        "name": object_id,
        "id": f"presence_{index}",
        "device_class": "occupancy",
        "icon": "mdi:desk",
        "state_topic": f"{prefix}/binary_sensor/{object_id}/state",
        "retain": True,
        "qos": 1,
    }


class _Secret(str):
    """A value written as `!secret key`."""


class _Dumper(yaml.SafeDumper):
    pass


def _represent_secret(dumper: yaml.SafeDumper, data: _Secret) -> yaml.Node:
    return dumper.represent_scalar("!secret", str(data))


_Dumper.add_representer(_Secret, _represent_secret)
