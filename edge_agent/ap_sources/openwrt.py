"""OpenWrt's hostapd on ubus, as `ubus subscribe hostapd.<ifname> ...` or `ubus listen` print it.

The ubus command line prints one `{ "<type>": <json> }` line per notification or event (openwrt
ubus cli.c, print_event). OpenWrt's hostapd (package/network/services/hostapd src/ap/ubus.c)
notifies `sta-authorized` `{"address": "..", "ifname": "wlan0", "auth-alg": "open"}` once a
station is associated and authorised, `disassoc` / `deauth` `{"address": ".."}` when it goes,
and on the `hostapd` object `bss.add` / `bss.remove` `{"name": "wlan0"}` when a BSS comes and
goes. `assoc`, `auth` and `probe` are requests, which may yet be refused: recognised and
ignored, like every other notification.
"""

from __future__ import annotations

import json
import re

from edge_agent.ap_sources.association import Association, Parsed, Reset
from edge_agent.station_hash import normalise_mac

_LINE = re.compile(r'^\{\s*"(?P<type>[^"]+)"\s*:\s*(?P<body>\{.*\})\s*\}$')
_JOIN = {"sta-authorized": True, "disassoc": False, "deauth": False}


def parse_ubus(line: str) -> Parsed:
    """What one line of `ubus subscribe` / `ubus listen` output reports."""
    match = _LINE.match(line.strip())
    if match is None:
        return None
    try:
        body = json.loads(match.group("body"))
    except json.JSONDecodeError:
        return None
    if not isinstance(body, dict):
        return None
    kind = match.group("type")
    interface = body.get("ifname") if isinstance(body.get("ifname"), str) else None
    if kind in ("bss.add", "bss.remove"):
        name = body.get("name")
        return [Reset(interface=name if isinstance(name, str) else None)]
    joined = _JOIN.get(kind)
    if joined is None:
        return []
    mac = normalise_mac(str(body.get("address", "")))
    return None if mac is None else [Association(mac, joined, interface=interface)]
