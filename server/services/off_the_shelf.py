"""What ESPHome and Zigbee2MQTT devices publish, read as presence and availability.

Payload forms, as those projects publish them:
- ESPHome MQTT: `<prefix>/binary_sensor/<object_id>/state` is `ON` or `OFF`;
  `<prefix>/status` is `online` (birth) or `offline` (will), both retained.
  Every other topic under the prefix (other entities, the `debug` log) only shows it lives.
- Zigbee2MQTT: `<base>/<friendly_name>` is a JSON object with presence among other fields (which
  key and values: see zigbee_presence.py); `<base>/<friendly_name>/availability` and
  `<base>/bridge/state` are `{"state":"online"}` (2.x, and 1.x without
  `legacy_availability_payload`) or the legacy bare `online`/`offline`.
An empty payload clears a retained topic: it says nothing about the device.
These carry no sequence numbers: order is broker order, and time is the server's receive time.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from contracts import ContractError
from contracts.strict_json import load_json
from server.services.site_index import ForeignRoute
from server.services.zigbee_presence import PresenceKey, presence_keys, read_presence

_STATES = {"online": True, "offline": False}


@dataclass(frozen=True, slots=True)
class ForeignReading:
    """What one message said: a desk's presence, availability, or only that the device lives."""

    present: bool | None = None
    online: bool | None = None
    # What the registry shows when a device reports it: battery, rssi (dBm), version.
    reported: dict[str, float | str] = field(default_factory=dict)
    # Why nothing of the message is applied (counted on /metrics), and whether it still shows
    # that the device lives.
    ignored: str | None = None
    alive: bool = True


def read_foreign(route: ForeignRoute, payload: bytes) -> ForeignReading:
    """Interpret one message on a routed topic; raises ContractError saying what was expected."""
    if not payload:
        return ForeignReading(ignored="retained_clear", alive=False)
    if route.role == "seen":
        return ForeignReading(ignored="esphome_other_topic")
    text = _text(payload)
    if route.protocol == "esphome":
        if route.role == "rssi":
            return ForeignReading(reported={"rssi": _number(text, "wifi_signal", -130, 0)})
        if route.role == "version":
            return ForeignReading(reported={"version": f"esphome {text[:56]}"})
        if route.role == "presence":
            if text not in ("ON", "OFF"):
                raise ContractError(f"ESPHome binary_sensor state must be ON or OFF, got {text!r}")
            return ForeignReading(present=text == "ON")
        return ForeignReading(online=_availability(text, allow_json=False))
    if route.role in ("status", "bridge"):
        return ForeignReading(online=_availability(text, allow_json=True))
    return _zigbee_state(text, presence_keys(route.presence))


def _zigbee_state(text: str, keys: Sequence[PresenceKey]) -> ForeignReading:
    try:
        body = load_json(text)
    except ContractError as exc:
        problem = str(exc).removeprefix("payload ")  # "is not JSON: ..." or "is nested ..."
        raise ContractError(f"Zigbee2MQTT state {problem}", "malformed") from None
    if not isinstance(body, dict):
        raise ContractError("Zigbee2MQTT state must be a JSON object")
    battery = body.get("battery")
    reported: dict[str, float | str] = {}
    if isinstance(battery, int | float) and not isinstance(battery, bool) and 0 <= battery <= 100:
        reported["battery"] = float(battery)
    present = read_presence(body, keys)
    if present is None and any(body.get(k.key, False) is None for k in keys):
        return ForeignReading(reported=reported, ignored="zigbee2mqtt_no_reading")
    # Without a presence key: a battery or link-quality report, alive, nothing about presence.
    return ForeignReading(present=present, reported=reported)


def _number(text: str, what: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ContractError(f"ESPHome {what} must be a number, got {text[:60]!r}") from None
    if not low <= value <= high:
        raise ContractError(f"ESPHome {what} must be within {low}..{high}, got {value}")
    return value


def _availability(text: str, *, allow_json: bool) -> bool:
    if text in _STATES:
        return _STATES[text]
    if allow_json:
        try:
            body = load_json(text)
        except ContractError:
            body = None
        if isinstance(body, dict) and body.get("state") in _STATES:
            return _STATES[body["state"]]
        raise ContractError(
            f'availability must be online/offline or {{"state":"online"}}, got {text[:60]!r}'
        )
    raise ContractError(f"ESPHome status must be online or offline, got {text[:60]!r}")


def _text(payload: bytes) -> str:
    if len(payload) > 4096:
        raise ContractError(
            f"payload of {len(payload)} bytes is too large for a sensor state", "oversized"
        )
    try:
        return payload.decode().strip()
    except UnicodeDecodeError:
        raise ContractError("payload is not UTF-8 text", "malformed") from None
