"""Aruba syslog, from a Mobility Controller (ArubaOS 6/8) or an Instant AP.

The station manager (`stm`) logs, with the AP as `<ip>-<bssid>-<ap name>` (ArubaOS Syslog
Messages guide; a published AOS 8 capture in the Aruba community, "Understanding syslog format
in AOS8"):

- `<501100> ... Assoc success @ 14:49:11.809533: b4:f1:da:..: AP 10.1.1.5-18:64:72:..-AP-3F`;
- `<501102> ... Disassoc from sta: <mac>: AP <ip>-<bssid>-<name> Reason ...`;
- `<501080> ... Deauth to sta: <mac>: Ageout AP <ip>-<bssid>-<name> STA has roamed ...`,
  `<501105> ... Deauth from sta: <mac>: AP ...`.

An Instant AP writes the same messages after `|AP <name>@<ip> stm|`. Other `stm`, `sapd` and
`authmgr` messages (`<5xxxxx>` numbered) are recognised and ignored.
"""

from __future__ import annotations

import re

from edge_agent.ap_sources.association import MAC, Association, Parsed
from edge_agent.station_hash import normalise_mac

_AP = rf"AP (?P<ip>[0-9a-fA-F.:]+?)-(?P<bssid>{MAC})-(?P<name>\S+)"
_JOIN = re.compile(rf"Assoc success @ [\d:.]+: (?P<mac>{MAC}): {_AP}")
_LEAVE = re.compile(rf"(?:Deauth|Disassoc) (?:to|from) sta: (?P<mac>{MAC}): (?:\w+ )?{_AP}")
_ARUBA = re.compile(r"<\d{6}> (?:<\d+> )?<(?:EMER|ALRT|CRIT|ERRS|WARN|NOTI|INFO|DBUG)>")


def parse_aruba(message: str) -> Parsed:
    """What an Aruba controller or Instant AP syslog message reports."""
    for pattern, joined in ((_JOIN, True), (_LEAVE, False)):
        if (match := pattern.search(message)) is not None:
            mac = normalise_mac(match.group("mac"))
            if mac is None:
                return None
            bssid = normalise_mac(match.group("bssid"))
            return [Association(mac, joined, bssid=bssid, ap_name=match.group("name"))]
    return [] if _ARUBA.search(message) else None
