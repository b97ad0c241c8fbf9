"""hostapd's control-interface events: `AP-STA-CONNECTED <mac>` and `AP-STA-DISCONNECTED <mac>`.

Accepted as hostapd emits them to an attached monitor (`<3>AP-STA-CONNECTED 02:..:..`), with
the global interface's `IFNAME=wlan0 ` prefix, as `hostapd_cli -a` hands them to an action
script (`wlan0 AP-STA-CONNECTED 02:..`), and as OpenWrt's hostapd writes them to syslog
(`hostapd: phy0-ap0: AP-STA-CONNECTED 02:..`). Trailing fields (`keyid=`, `auth_alg=`,
`p2p_dev_addr=`, `ip_addr=`) are ignored. `AP-DISABLED` / `AP-ENABLED` forget every station.
"""

from __future__ import annotations

import re

from edge_agent.ap_sources.association import Association, Observation, Reset
from edge_agent.station_hash import normalise_mac

_EVENT = re.compile(r"(?:^|[\s>:])(AP-STA-CONNECTED|AP-STA-DISCONNECTED)\s+(\S+)")
_RESET = re.compile(r"(?:^|[\s>:])(AP-DISABLED|AP-ENABLED|CTRL-EVENT-TERMINATING)(?:\s|$)")


def parse_hostapd(line: str) -> Observation | None:
    """The association a control-interface line reports, or None for anything else."""
    match = _EVENT.search(line)
    if match is None:
        if _RESET.search(line):
            return Reset()
        return None
    mac = normalise_mac(match.group(2))
    if mac is None:
        return None
    return Association(station=mac, joined=match.group(1) == "AP-STA-CONNECTED")
