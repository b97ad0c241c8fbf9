"""RADIUS accounting records (RFC 2866) as FreeRADIUS's `detail` module writes them.

A record is a time-stamp line, then one `Attribute = value` line each, then a blank line.
`Acct-Status-Type` Start / Interim-Update mean associated, Stop means gone, and
Accounting-On / Accounting-Off mean the NAS forgot every session. `Calling-Station-Id` is the
station's MAC and `Called-Station-Id` is `AP-MAC:SSID` (RFC 3580 §3.20-3.21), in any of the
spellings controllers use (`00-10-A4-23-19-C0:Staff`, `0010.a423.19c0:Staff`, ...), or names
the AP instead: Cisco AireOS with `radius callStationIdType ap-name-ssid` sends
`AP3F-East:Staff`, a MikroTik hotspot its server's name (`hotspot1`).
"""

from __future__ import annotations

import re

from edge_agent.ap_sources.association import Association, Observation, Parsed, Reset
from edge_agent.station_hash import normalise_mac

_ATTRIBUTE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9-]*)\s*=\s*(.*?)\s*$")
_JOINED = {"start": True, "interim-update": True, "alive": True, "stop": False}
_NAS_RESET = {"accounting-on", "accounting-off"}
MAX_ATTRIBUTES = 200  # a record that never ends must not grow without bound


class RadiusDetailParser:
    """Feeds on lines, returns an observation whenever a record ends."""

    def __init__(self) -> None:
        self._attributes: dict[str, str] = {}
        self._lines = 0
        self.malformed = 0

    def feed(self, line: str) -> Parsed:
        """Take one line; a record's lines are recognised with nothing to report (an empty
        list) until the line that ends it returns what it reported; None for garbage."""
        if not line.strip():
            return self.flush()
        match = _ATTRIBUTE.match(line)
        if match is None:
            if line[:1].isspace():
                self.malformed += 1
                return None
            # A new time-stamp line also ends a record whose blank line was lost.
            return self.flush()
        self._lines += 1
        if self._lines <= MAX_ATTRIBUTES:
            self._attributes[match.group(1).lower()] = match.group(2).strip('"')
        return []

    def flush(self) -> Parsed:
        """End the current record (if any) and return what it reported."""
        attributes, self._attributes, self._lines = self._attributes, {}, 0
        if not attributes:
            return []
        observation = record_observation(attributes)
        if observation is None:
            self.malformed += 1
            return []
        return [observation]


def record_observation(attributes: dict[str, str]) -> Observation | None:
    """One accounting record (lower-cased attribute names) as an observation, or None."""
    status = attributes.get("acct-status-type", "").lower()
    called = attributes.get("called-station-id", "")
    bssid, _ = split_called_station(called)
    ap_name = None if bssid is not None else called_ap_name(called)
    if status in _NAS_RESET:
        return Reset(bssid=bssid, ap_name=ap_name)
    joined = _JOINED.get(status)
    if joined is None:
        return None
    station = normalise_mac(attributes.get("calling-station-id", ""))
    if station is None:
        return None
    return Association(station=station, joined=joined, bssid=bssid, ap_name=ap_name)


def called_ap_name(value: str) -> str | None:
    """The AP name a Called-Station-Id gives instead of an address: `AP3F-East:Staff` ->
    `AP3F-East`, `hotspot1` -> `hotspot1`."""
    name = value.strip().strip('"').split(":", 1)[0].strip()
    return name or None


def split_called_station(value: str) -> tuple[str | None, str | None]:
    """`AP-MAC:SSID` as (normalised AP MAC, SSID); either may be missing."""
    value = value.strip().strip('"')
    if not value:
        return None, None
    # Colon-separated MACs contain ':' themselves: try the first 17 characters first.
    for head, tail in (
        (value[:17], value[17:]),
        (value[:14], value[14:]),
        (value[:12], value[12:]),
    ):
        mac = normalise_mac(head)
        if mac is not None and (not tail or tail.startswith(":")):
            return mac, tail[1:] or None
    return None, None
