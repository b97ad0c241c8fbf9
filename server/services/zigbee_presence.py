"""Which key of a Zigbee2MQTT device's message says presence, and which values mean someone.

A site file's `zigbee2mqtt.presence` mapping wins; without one, the first of these keys the
message carries decides (values compared case-insensitively), as zigbee-herdsman-converters
exposes them (src/devices/*.ts, `e.occupancy()`, `e.presence()` and the `e.enum(...)` below):

- `occupancy`: `true` / `false` (PIR sensors: Aqara, IKEA, Philips Hue, ...);
- `presence`: `true` / `false` (mmWave: Aqara FP1/FP1E, Tuya ZY-M100, ...);
- `presence_state`: `presence`, `motion`, `stationary`, `peaceful`, `small_movement`,
  `large_movement`, `move` / `none` (Tuya `_TZE28C1000000_jlbsptkl`, ZG-205Z, RD24G01,
  Excellux ZG-301A);
- `motion_state`: `large`, `medium`, `small`, `static`, `far`, `near` / `none` (Tuya ZG-205ZL,
  ZG-205Z/A, ZD24);
- `human_motion_state`: `small`, `large`, `active`, `static` / `none` (NEO NAS-PS09B2,
  NAS-PS10B2, MultIR).

A key present with `null` is no reading: the device is alive, the desk keeps what it showed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from contracts import ContractError
from firmware_config.site import PresenceMapping

Value = str | bool | int


@dataclass(frozen=True, slots=True)
class PresenceKey:
    """One key's meaning: values that mean someone, and (when known) values that mean nobody."""

    key: str
    present: frozenset[Value]
    absent: frozenset[Value]

    def read(self, value: object) -> bool:
        """True for someone, False for nobody; ContractError for a value this key never takes."""
        normal = _normal(value)
        if normal in self.present:
            return True
        if not self.absent or normal in self.absent:
            return False
        expected = ", ".join(sorted(json.dumps(v) for v in self.present | self.absent))
        raise ContractError(f"Zigbee2MQTT {self.key!r} must be one of {expected}, got {value!r}")


def _normal(value: object) -> Value:
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, bool | int):
        return value
    raise ContractError(
        f"Zigbee2MQTT presence values are text, true/false or numbers, not {value!r}"
    )


def _key(key: str, present: Sequence[Value], absent: Sequence[Value]) -> PresenceKey:
    return PresenceKey(key, frozenset(map(_normal, present)), frozenset(map(_normal, absent)))


DEFAULT_KEYS = (
    _key("occupancy", [True], [False]),
    _key("presence", [True], [False]),
    _key(
        "presence_state",
        [
            "presence",
            "motion",
            "stationary",
            "peaceful",
            "small_movement",
            "large_movement",
            "move",
        ],
        ["none"],
    ),
    _key("motion_state", ["large", "medium", "small", "static", "far", "near"], ["none"]),
    _key("human_motion_state", ["small", "large", "active", "static"], ["none"]),
)


def presence_keys(mapping: PresenceMapping | None) -> tuple[PresenceKey, ...]:
    """The keys to look for, in order: the site file's mapping alone, or the defaults."""
    if mapping is None:
        return DEFAULT_KEYS
    return (_key(mapping.key, mapping.present, mapping.absent),)


def read_presence(body: Mapping[str, object], keys: Sequence[PresenceKey]) -> bool | None:
    """Presence from a device message; None when it carries no reading (absent or null)."""
    for key in keys:
        if key.key in body:
            value = body[key.key]
            return None if value is None else key.read(value)
    return None
