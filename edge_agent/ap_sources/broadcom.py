"""Broadcom-based routers' `wlceventd` (ASUS stock and Merlin firmware, other Broadcom SDKs).

`wlceventd: wlceventd_proc_event(556): eth1: Assoc 88:46:04:F9:C2:C8, status: Successful (0),
rssi:0`, `... ReAssoc ...`, `... Disassoc ..., status: 0, reason: Disassociated because sending
station is leaving (or has left) BSS (8), rssi:0`, `... Deauth_ind ...`; older firmware writes
`WLCEVENTD wlceventd_proc_event(449): eth2: Assoc 40:83:1D:47:18:C2, status: 0, reason: d11 RC
reserved (0)` (ASUS system logs published on pastebin by their owners). An association counts
only with status 0; `Auth` lines and failed associations are recognised and ignored.
"""

from __future__ import annotations

import re

from edge_agent.ap_sources.association import MAC, Association, Parsed
from edge_agent.station_hash import normalise_mac

_EVENT = re.compile(
    r"wlceventd_proc_event\(\d+\): (?P<iface>[^\s:]+): (?P<event>\w+) "
    rf"(?P<mac>{MAC}),?(?: status: (?P<status>[^,]*))?"
)
_JOIN = {"Assoc", "ReAssoc"}
_LEAVE = {"Disassoc", "Disassoc_ind", "Deauth", "Deauth_ind"}
_SUCCESS = re.compile(r"^(?:0|Successful \(0\))$")


def parse_broadcom(message: str) -> Parsed:
    """What a wlceventd line reports."""
    match = _EVENT.search(message)
    if match is None:
        return [] if "wlceventd" in message else None
    mac = normalise_mac(match.group("mac"))
    if mac is None:
        return None
    event, status = match.group("event"), (match.group("status") or "").strip()
    if event in _LEAVE:
        return [Association(mac, False, interface=match.group("iface"))]
    if event in _JOIN and _SUCCESS.match(status):
        return [Association(mac, True, interface=match.group("iface"))]
    return []
