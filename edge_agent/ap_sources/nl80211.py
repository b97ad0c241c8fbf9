"""`iw event` output: the kernel's nl80211 station events, whatever runs the AP.

iw (event.c, print_event) prints `wlan0 (phy #0): new station 02:..`, `wlan0 (phy #0): del
station 02:..` and `wlan0 (phy #0): stop ap`, after a `1700000000.123456: ` time stamp with
`-t` (or `-r`/`-T`). `stop ap` forgets the interface's stations; every other event (scan,
auth, regulatory, channel switch, ...) is recognised and ignored.
"""

from __future__ import annotations

import re

from edge_agent.ap_sources.association import Association, Parsed, Reset
from edge_agent.station_hash import normalise_mac

_PREFIX = r"(?P<iface>[^\s:]+) \(phy #\d+\): "
_STATION = re.compile(rf"{_PREFIX}(?P<event>new|del) station (?P<mac>\S+)\s*$")
_STOP = re.compile(rf"{_PREFIX}stop ap\s*$")
_ANY = re.compile(r"(?:^|\s)(?:[^\s:]+ \(phy #\d+\)|phy #\d+|wdev 0x[0-9a-f]+): ")


def parse_iw_event(line: str) -> Parsed:
    """What one line of `iw event` reports."""
    if (match := _STATION.search(line)) is not None:
        mac = normalise_mac(match.group("mac"))
        if mac is None:
            return None
        return [Association(mac, match.group("event") == "new", interface=match.group("iface"))]
    if (match := _STOP.search(line)) is not None:
        return [Reset(interface=match.group("iface"))]
    return [] if _ANY.search(line) else None
