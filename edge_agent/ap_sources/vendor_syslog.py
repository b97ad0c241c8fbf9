"""Association lines from AP vendors' syslog, whatever the syslog header before them.

Each vendor's module names its formats and where they are documented: cisco.py (Catalyst 9800,
IOS APs), aruba.py (controllers and Instant APs), meraki.py, unifi.py (CEF and the APs' own
log), mikrotik.py, broadcom.py (ASUS and other `wlceventd` routers) and hostapd.py (OpenWrt,
UniFi and every other hostapd-based AP). This module adds three more:

- Ruijie (RG-AP / wireless controllers):
  `%WLAN-6-OUTPUT: STA(4c0f.6e04.b57c) actives in BSSID(0a1b.b120.6fa1): Assoc succeed.`,
  `%WLAN-6-80211N: STA(0026.5a08.6380) leaves BSSID(0a1b.b120.6fa1): STA disassoc, ...`.
- Zyxel (Nebula / NWA APs): `Station: AA:BB:CC:DD:EE:FF has associated on ...`,
  `Station: AA:BB:CC:DD:EE:FF has disassoc by STA Logout on ...` (also `has deauth by ...`).
- Huawei (WLAN APs / ACs): `[WLAN_STA_INFO_AP_ASSOCIATE]ACMAC:..;APMAC:..;APNAME:..;...;MAC:..;
  ...;RESULT:Success`, and `IWAP_LOG_CLIENT_INFO_ROAM_OR_OFFLINE_INFO:APMAC:..;...;MAC:..;...`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from edge_agent.ap_sources.aruba import parse_aruba
from edge_agent.ap_sources.association import (
    DOTTED_MAC,
    MAC,
    Association,
    Parsed,
    on_host,
)
from edge_agent.ap_sources.broadcom import parse_broadcom
from edge_agent.ap_sources.cisco import parse_cisco
from edge_agent.ap_sources.hostapd import parse_hostapd
from edge_agent.ap_sources.meraki import parse_meraki
from edge_agent.ap_sources.mikrotik import parse_mikrotik
from edge_agent.ap_sources.syslog_header import split_header
from edge_agent.ap_sources.unifi import parse_unifi
from edge_agent.station_hash import normalise_mac

_RUIJIE = re.compile(
    rf"\bSTA\(({DOTTED_MAC}|{MAC})\) (actives in|leaves) BSSID\(({DOTTED_MAC}|{MAC})\)"
    r"(?::\s*(Assoc succeed|.*))?"
)
_ZYXEL = re.compile(rf"\bStation:\s*({MAC}) has (associated|disassoc\w*|deauth\w*)\b")
_HUAWEI_ASSOC = re.compile(r"\[WLAN_STA_INFO_AP_ASSOCIATE\]")
_HUAWEI_OFFLINE = re.compile(r"IWAP_LOG_CLIENT_INFO_ROAM_OR_OFFLINE_INFO")
_HUAWEI_FIELD = re.compile(r"(?:^|[;\]\s:])(APMAC|APNAME|MAC|RESULT)\s*:\s*([^;]*)")


def parse_vendor_syslog(line: str) -> Parsed:
    """What a vendor syslog line reports, with the sender's host (see association.py)."""
    header = split_header(line)
    for parse in _PARSERS:
        parsed = parse(header.message)
        if parsed is not None:
            return on_host(parsed, header.host)
    return None


def _ruijie_or_zyxel(message: str) -> Parsed:
    if (match := _RUIJIE.search(message)) is not None:
        return _ruijie(match)
    if (match := _ZYXEL.search(message)) is not None:
        mac = normalise_mac(match.group(1))
        return None if mac is None else [Association(mac, match.group(2) == "associated")]
    return None


def _ruijie(match: re.Match[str]) -> Parsed:
    mac = normalise_mac(match.group(1))
    bssid = normalise_mac(match.group(3))
    if mac is None or bssid is None:
        return None
    if match.group(2) == "leaves":
        return [Association(mac, joined=False, bssid=bssid)]
    if match.group(4) != "Assoc succeed":
        return []  # "Auth succeed" and the like come before the association itself
    return [Association(mac, joined=True, bssid=bssid)]


def _huawei(message: str) -> Parsed:
    joined = _HUAWEI_ASSOC.search(message) is not None
    if not joined and _HUAWEI_OFFLINE.search(message) is None:
        return None
    fields = {name: value.strip() for name, value in _HUAWEI_FIELD.findall(message)}
    mac = normalise_mac(fields.get("MAC", ""))
    if mac is None:
        return None
    if joined and fields.get("RESULT", "").lower() not in ("success", ""):
        return []  # a failed association: the station never joined
    bssid = normalise_mac(fields.get("APMAC", ""))
    return [Association(mac, joined, bssid=bssid, ap_name=fields.get("APNAME") or None)]


# Vendor formats first: hostapd's catch-all for its other events comes last.
_PARSERS: tuple[Callable[[str], Parsed], ...] = (
    parse_cisco,
    parse_aruba,
    parse_meraki,
    parse_unifi,
    parse_broadcom,
    parse_mikrotik,
    _ruijie_or_zyxel,
    _huawei,
    parse_hostapd,
)
