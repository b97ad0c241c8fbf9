"""Cisco wireless syslog: Catalyst 9800 controllers and autonomous (IOS) or lightweight APs.

- Catalyst 9800 (IOS XE 17.11+, `wireless client syslog-detailed`, severity 7):
  `%CLIENT_ORCH_LOG-7-CLIENT_MOVED_TO_RUN_STATE: Chassis 1 R0/0: wncd: Username (u), MAC:
  02aa.bbcc.ddee, IP 192.0.2.91 associated to AP (AP-Floor1) with SSID (corp-wifi)` and
  `...-CLIENT_MOVED_TO_DELETE_STATE: ... disconnected from AP (AP-Floor1) with SSID (...)`
  (Cisco Catalyst 9800 configuration guide 17.11, "Syslog support for client state change");
  the severity 6 form `%CLIENT_ORCH_LOG-6-CLIENT_ADDED_TO_RUN_STATE: ... Username entry (u)
  joined with ssid (s) for device with MAC: 1234.abcd.5678[ on channel (1)]` names no AP.
- IOS access points: `%DOT11-6-ASSOC: Interface Dot11Radio1, Station [name] c0ff.eec0.ffee
  Associated KEY_MGMT[WPAv2 PSK]`, `%DOT11-6-DISASSOC: Interface Dot11Radio0,
  Deauthenticating Station 0040.96a5.b5d4 Reason: ...`, `%DOT11-6-ROAMED: Station ... Roamed
  to ...` (Cisco IOS system messages, DOT11); a lightweight AP prefixes `AP:a0e0.af8a.5c20: `.
- Other `%CLIENT_ORCH_LOG`, `%DOT11`, `%DOT1X`, `%APF`, `%LWAPP`, `%WIDS`, `%SISF` messages
  (AireOS included) are recognised and ignored: AireOS reports associations through RADIUS
  accounting, with the AP's name in Called-Station-Id.
"""

from __future__ import annotations

import re

from edge_agent.ap_sources.association import DOTTED_MAC, MAC, Association, Parsed
from edge_agent.station_hash import normalise_mac

_MAC = f"{DOTTED_MAC}|{MAC}"
_STATE = re.compile(
    rf"%CLIENT_ORCH_LOG-\d-CLIENT_MOVED_TO_(?P<state>RUN|DELETE)_STATE:.*?MAC: (?P<mac>{_MAC}),"
    r".*?(?:associated to|disconnected from) AP \((?P<ap>[^)]*)\)"
)
_ADDED = re.compile(rf"%CLIENT_ORCH_LOG-\d-CLIENT_ADDED_TO_RUN_STATE:.*?with MAC: (?P<mac>{_MAC})")
_AP_PREFIX = re.compile(rf"\bAP:(?P<ap>{_MAC}):")
_DOT11_JOIN = re.compile(
    rf"%DOT11-\d-(?:ASSOC|REASSOC): Interface (?P<iface>[\w/.]+), Station\s+(?:\S+\s+)?"
    rf"(?P<mac>{_MAC})\s+(?:Associated|Reassociated)\b"
)
_DOT11_LEAVE = re.compile(
    rf"%DOT11-\d-(?:DISASSOC|ROAMED):(?: Interface (?P<iface>[\w/.]+),)?\s+"
    rf"(?:Deauthenticating |Disassociating )?Station\s+(?P<mac>{_MAC})\b"
)
_CISCO_WIRELESS = re.compile(r"%(?:CLIENT_ORCH_LOG|CLIENT_\w+|DOT11|DOT1X|APF|LWAPP|WIDS|SISF)-\d-")


def parse_cisco(message: str) -> Parsed:
    """What a Cisco wireless syslog message reports (see the module docstring)."""
    if (match := _STATE.search(message)) is not None:
        mac = normalise_mac(match.group("mac"))
        if mac is None:
            return None
        ap = match.group("ap").strip() or None
        return [Association(mac, match.group("state") == "RUN", ap_name=ap)]
    if (match := _ADDED.search(message)) is not None:
        mac = normalise_mac(match.group("mac"))
        return None if mac is None else [Association(mac, True)]
    for pattern, joined in ((_DOT11_JOIN, True), (_DOT11_LEAVE, False)):
        if (match := pattern.search(message)) is not None:
            mac = normalise_mac(match.group("mac"))
            if mac is None:
                return None
            prefix = _AP_PREFIX.search(message)
            bssid = normalise_mac(prefix.group("ap")) if prefix is not None else None
            return [Association(mac, joined, bssid=bssid, interface=match.group("iface"))]
    return [] if _CISCO_WIRELESS.search(message) else None
