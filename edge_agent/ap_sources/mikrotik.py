"""MikroTik RouterOS wireless log lines (topics `wireless,info`, and `wifi` on RouterOS 7).

`wireless,info 0C:B3:19:29:08:13@wlan1: connected, signal strength -56` and `... @wlan1:
disconnected, received deauth: class 3 frame received (7)` (RouterOS log, as published in
MikroTik forum threads); RouterOS 7's wifi package writes `<mac>@wifi1 connected, ...`. The
interface is the AP radio; other `wireless`, `wifi`, `caps` and `hotspot` lines are recognised
and ignored (a hotspot login is not an association).
"""

from __future__ import annotations

import re

from edge_agent.ap_sources.association import MAC, Association, Parsed
from edge_agent.station_hash import normalise_mac

_EVENT = re.compile(
    rf"(?P<mac>{MAC})@(?P<iface>[^\s:]+):? "
    r"(?P<event>connected|disconnected)\b"
)
_TOPIC = re.compile(r"\b(?:wireless|wifi|caps|hotspot),\w+")


def parse_mikrotik(message: str) -> Parsed:
    """What a RouterOS wireless log line reports."""
    match = _EVENT.search(message)
    if match is None:
        return [] if _TOPIC.search(message) else None
    mac = normalise_mac(match.group("mac"))
    if mac is None:
        return None
    return [Association(mac, match.group("event") == "connected", interface=match.group("iface"))]
