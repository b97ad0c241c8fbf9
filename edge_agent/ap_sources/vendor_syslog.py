"""Association lines from AP vendors' syslog, whatever the syslog header before them.

Supported (message formats as the vendors document or ship them):

- hostapd-based APs (OpenWrt, Ubiquiti UniFi, most embedded Linux APs):
  `hostapd: wlan0: STA 00:11:22:33:44:55 IEEE 802.11: associated (aid 1)`, `... disassociated`,
  `... deauthenticated due to ...`; and hostapd's `AP-STA-CONNECTED` lines inside syslog.
- Ruijie (RG-AP / wireless controllers):
  `%WLAN-6-OUTPUT: STA(4c0f.6e04.b57c) actives in BSSID(0a1b.b120.6fa1): Assoc succeed.`,
  `%WLAN-6-80211N: STA(0026.5a08.6380) leaves BSSID(0a1b.b120.6fa1): STA disassoc, ...`.
- Zyxel (Nebula / NWA APs): `Station: AA:BB:CC:DD:EE:FF has associated on ...`,
  `Station: AA:BB:CC:DD:EE:FF has disassoc by STA Logout on ...` (also `has deauth by ...`).
- Huawei (WLAN APs / ACs): `[WLAN_STA_INFO_AP_ASSOCIATE]ACMAC:..;APMAC:..;...;MAC:..;...;
  RESULT:Success`, and `IWAP_LOG_CLIENT_INFO_ROAM_OR_OFFLINE_INFO:APMAC:..;...;MAC:..;...`.
"""

from __future__ import annotations

import re

from edge_agent.ap_sources.association import Association, Observation
from edge_agent.ap_sources.hostapd import parse_hostapd
from edge_agent.station_hash import normalise_mac

_MAC = r"[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}"
_DOTTED = r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}"

_HOSTAPD_80211 = re.compile(
    rf"\bSTA ({_MAC}) IEEE 802\.11: (associated|reassociated|disassociated|deauthenticated)\b"
)
_RUIJIE = re.compile(
    rf"\bSTA\(({_DOTTED}|{_MAC})\) (actives in|leaves) BSSID\(({_DOTTED}|{_MAC})\)"
    r"(?::\s*(Assoc succeed|.*))?"
)
_ZYXEL = re.compile(rf"\bStation:\s*({_MAC}) has (associated|disassoc\w*|deauth\w*)\b")
_HUAWEI_ASSOC = re.compile(r"\[WLAN_STA_INFO_AP_ASSOCIATE\]")
_HUAWEI_OFFLINE = re.compile(r"IWAP_LOG_CLIENT_INFO_ROAM_OR_OFFLINE_INFO")
_HUAWEI_FIELD = re.compile(r"(?:^|[;\]\s:])(APMAC|MAC|RESULT)\s*:\s*([^;]*)")


def parse_vendor_syslog(line: str) -> Observation | None:
    """The association a vendor syslog line reports, or None for anything else."""
    if (match := _HOSTAPD_80211.search(line)) is not None:
        mac = normalise_mac(match.group(1))
        if mac is None:
            return None
        return Association(mac, joined=match.group(2) in ("associated", "reassociated"))
    if (match := _RUIJIE.search(line)) is not None:
        return _ruijie(match)
    if (match := _ZYXEL.search(line)) is not None:
        mac = normalise_mac(match.group(1))
        return None if mac is None else Association(mac, joined=match.group(2) == "associated")
    if _HUAWEI_ASSOC.search(line) or _HUAWEI_OFFLINE.search(line):
        return _huawei(line, joined=_HUAWEI_ASSOC.search(line) is not None)
    return parse_hostapd(line) if "AP-STA-" in line else None


def _ruijie(match: re.Match[str]) -> Observation | None:
    mac = normalise_mac(match.group(1))
    bssid = normalise_mac(match.group(3))
    if mac is None or bssid is None:
        return None
    if match.group(2) == "leaves":
        return Association(mac, joined=False, bssid=bssid)
    if match.group(4) != "Assoc succeed":
        return None  # "Auth succeed" and the like come before the association itself
    return Association(mac, joined=True, bssid=bssid)


def _huawei(line: str, *, joined: bool) -> Observation | None:
    fields = {name: value.strip() for name, value in _HUAWEI_FIELD.findall(line)}
    mac = normalise_mac(fields.get("MAC", ""))
    if mac is None:
        return None
    if joined and fields.get("RESULT", "").lower() not in ("success", ""):
        return None  # a failed association: the station never joined
    return Association(mac, joined=joined, bssid=normalise_mac(fields.get("APMAC", "")))
