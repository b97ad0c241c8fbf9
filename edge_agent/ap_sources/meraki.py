"""Cisco Meraki MR syslog (the "Wireless event log" role), one message per AP event.

`<134>1 1647478402.117726086 MR_device_2 events type=association radio='1' vap='1'
client_mac='12:8D:1B:8A:D4:C8' channel='140' rssi='20' aid='910537108'` and `... events
type=disassociation ... client_mac='...' ...` (Meraki "Syslog Event Types and Log Samples";
elastic/integrations packages/cisco_meraki test logs). The AP is the syslog host name; other
`events type=...` (wpa_auth, 8021x_eap_success, splash_auth, ...) are recognised and ignored.
"""

from __future__ import annotations

import re

from edge_agent.ap_sources.association import Association, Parsed
from edge_agent.station_hash import normalise_mac

_EVENT = re.compile(r"\bevents type=(?P<type>\w+)")
_CLIENT = re.compile(r"\bclient_mac='(?P<mac>[^']*)'")
_TYPES = {"association": True, "disassociation": False}


def parse_meraki(message: str) -> Parsed:
    """What a Meraki event syslog message reports."""
    event = _EVENT.search(message)
    if event is None:
        return None
    joined = _TYPES.get(event.group("type"))
    client = _CLIENT.search(message)
    if joined is None or client is None:
        return []
    mac = normalise_mac(client.group("mac"))
    return None if mac is None else [Association(mac, joined)]
