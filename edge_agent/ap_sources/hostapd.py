"""hostapd's events and log lines, in every place an admin can pick them up.

As hostapd writes them (hostapd source: src/common/wpa_ctrl.h, hostapd/hostapd_cli.c,
hostapd/main.c `hostapd_logger_cb`):

- control interface, to an attached monitor: `<3>AP-STA-CONNECTED 02:..` (with the global
  interface's `IFNAME=wlan0 ` prefix when attached there);
- `hostapd_cli -a <script>`: the script runs as `<script> <ifname> <event> <args...>`
  (`hostapd_cli_exec` joins `ctrl_ifname` and the event text with a space), so a one-line
  script `echo "$@" >> FILE` writes `wlan0 AP-STA-CONNECTED 02:..`;
- syslog: events as `hostapd: wlan0: AP-STA-CONNECTED 02:..` (OpenWrt), the logger's
  `hostapd: wlan0: STA 02:.. IEEE 802.11: associated (aid 1)` / `disassociated` /
  `deauthenticated due to ...`.

`AP-STA-CONNECTED` / `AP-STA-DISCONNECTED` are the station joining and leaving; `AP-ENABLED`,
`AP-DISABLED` and `CTRL-EVENT-TERMINATING` forget every station of that interface. Trailing
fields (`keyid=`, `auth_alg=`, `p2p_dev_addr=`, `ip_addr=`) are ignored. Other events
(`AP-STA-POLL-OK`, `CTRL-EVENT-EAP-*`, `WPS-*`, ...) and logger lines (`authenticated`,
`WPA: ...`, `RADIUS: ...`) are recognised and ignored.
"""

from __future__ import annotations

import re

from edge_agent.ap_sources.association import Association, Parsed, Reset
from edge_agent.station_hash import normalise_mac

_IFNAME = r"[A-Za-z0-9][\w.@-]*"
# Where the interface is named: `IFNAME=wlan0 `, `wlan0 ` (action script) or `wlan0: ` (log).
_EVENT = re.compile(
    rf"(?:IFNAME=(?P<ifname>{_IFNAME}) )?(?:<\d>)?"
    rf"(?:(?P<iface>{_IFNAME}):? )?(?:<\d>)?"
    r"(?P<event>AP-STA-CONNECTED|AP-STA-DISCONNECTED|AP-ENABLED|AP-DISABLED|"
    r"CTRL-EVENT-TERMINATING)(?:\s+(?P<arg>\S+)|\s*$)"
)
_OTHER_EVENT = re.compile(
    r"(?:^|[\s>:])(?:AP|CTRL|WPS|DPP|RRM|BEACON|EAPOL|WPA|RX|SAE|OWE|WNM|DFS|ACS|CAC|FILS|"
    r"INTERWORKING|PMKSA|BSS)-[A-Z0-9-]+"
)
_LOGGER = re.compile(
    rf"(?:(?P<iface>{_IFNAME}): )?STA (?P<mac>[0-9A-Fa-f:]{{17}}) "
    r"(?P<module>IEEE 802\.11|IEEE 802\.1X|WPA|RADIUS|DRIVER|MLME): (?P<text>.*)"
)
_JOINED = {"associated": True, "reassociated": True, "disassociated": False}


def parse_hostapd(line: str) -> Parsed:
    """What a hostapd event or log line reports (see the module docstring)."""
    match = _EVENT.search(line)
    if match is not None:
        interface = match.group("ifname") or _interface(match.group("iface"))
        event = match.group("event")
        if event in ("AP-STA-CONNECTED", "AP-STA-DISCONNECTED"):
            mac = normalise_mac(match.group("arg") or "")
            if mac is None:
                return None  # truncated: not a line hostapd writes
            return [Association(mac, event == "AP-STA-CONNECTED", interface=interface)]
        return [Reset(interface=interface)]
    logged = _LOGGER.search(line)
    if logged is not None:
        mac = normalise_mac(logged.group("mac"))
        if mac is None:
            return None
        if logged.group("module") != "IEEE 802.11":
            return []
        text = logged.group("text")
        word = text.split(" ", 1)[0].rstrip(",")
        joined = _JOINED.get(word)
        if joined is None and text.startswith("deauthenticated"):
            joined = False
        if joined is None:
            return []  # `authenticated`, `sta_stats`, `binding station to interface`, ...
        return [Association(mac, joined, interface=_interface(logged.group("iface")))]
    if _OTHER_EVENT.search(line):
        return []
    return None


def _interface(name: str | None) -> str | None:
    # `hostapd: AP-...` names the program, not an interface.
    if name is None or name in ("hostapd", "wpa_supplicant"):
        return None
    return name
