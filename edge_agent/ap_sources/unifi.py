"""UniFi: the Network application's CEF syslog, and what its access points log themselves.

CEF (UniFi Network 9+, "Activity Logging" to a SIEM server): `CEF:0|Ubiquiti|UniFi Network|
10.4.57|400|WiFi Client Connected|1|... UNIFIconnectedToDeviceName=UAP-IW-HD
UNIFIconnectedToDeviceMac=e0:63:da:.. ... UNIFIclientMac=d4:8a:fc:..`, `...|401|WiFi Client
Disconnected|...` with `UNIFIlastConnectedToDeviceName/Mac`, and `...|402|WiFi Client Roamed|`
with both (captures published with open-source UniFi log parsers). An access point's own syslog
carries hostapd's lines (`hostapd: ath0: STA ... IEEE 802.11: associated`), which hostapd.py
reads; its `stahtd` and `libubnt` lines say the same again and are recognised and ignored.
"""

from __future__ import annotations

import re

from edge_agent.ap_sources.association import Association, Observation, Parsed
from edge_agent.station_hash import normalise_mac

_CEF = re.compile(r"CEF:\d+\|Ubiquiti\|(?:[^|]*)\|(?:[^|]*)\|(?:[^|]*)\|(?P<name>[^|]*)\|[^|]*\|")
_FIELD = re.compile(r"(?:^|\s)(?P<key>\w+)=(?P<value>(?:[^=\\]|\\.)*?)(?=\s+\w+=|$)")
_CONNECTED, _DISCONNECTED, _ROAMED = (
    "WiFi Client Connected",
    "WiFi Client Disconnected",
    "WiFi Client Roamed",
)
_OWN_LOG = re.compile(r"\b(?:stahtd|libubnt|wevent|mcad|stamgr)\b")


def parse_unifi(message: str) -> Parsed:
    """What a UniFi CEF message or access point log line reports."""
    cef = _CEF.search(message)
    if cef is None:
        return [] if _OWN_LOG.search(message) else None
    fields = {
        m.group("key"): m.group("value").strip() for m in _FIELD.finditer(message[cef.end() :])
    }
    name = cef.group("name").strip()
    if name not in (_CONNECTED, _DISCONNECTED, _ROAMED):
        return []
    mac = normalise_mac(fields.get("UNIFIclientMac", ""))
    if mac is None:
        return None
    out: list[Observation] = []
    for prefix, joined, applies in (
        ("UNIFIlastConnectedTo", False, name != _CONNECTED),
        ("UNIFIconnectedTo", True, name != _DISCONNECTED),
    ):
        bssid = normalise_mac(fields.get(f"{prefix}DeviceMac", ""))
        ap_name = fields.get(f"{prefix}DeviceName") or None
        if applies and (bssid or ap_name):
            out.append(Association(mac, joined, bssid=bssid, ap_name=ap_name))
    if not out:  # names no AP at all
        out.append(Association(mac, name != _DISCONNECTED))
    return out
