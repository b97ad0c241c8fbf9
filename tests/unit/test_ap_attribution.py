"""An AP agent counts only stations it can tell are its AP's; the rest are unattributed."""

import pytest

from edge_agent.ap_sources.association import Association, Reset
from edge_agent.ap_sources.attribution import ApIdentity, Attribution, Scope
from edge_agent.ap_sources.radius import RadiusDetailParser
from edge_agent.ap_sources.vendor_syslog import parse_vendor_syslog

STA = "3c:22:fb:12:34:56"
EAST_BSSID = "06:9c:3a:be:1a:c0"
EAST = ApIdentity.of(bssids=[EAST_BSSID], ap_names=["ap-3f-east", "AP3F-East"])
# An AP agent for an AP that serves none of the stations below.
IDLE = ApIdentity.of(bssids=["06:9c:3a:be:ff:00"], ap_names=["ap-1f-lobby"])

# What the issue found counted by every agent reading a shared file: Cisco AireOS RADIUS records
# with an AP name, a MikroTik hotspot's, and hostapd syslog lines (which name no address).
SHARED_RADIUS = """\
Mon Nov 30 09:00:00 2026
\tAcct-Status-Type = Start
\tCalling-Station-Id = "3c-22-fb-12-34-56"
\tCalled-Station-Id = "AP3F-East:CityHall-Staff"

Mon Nov 30 09:00:01 2026
\tAcct-Status-Type = Start
\tCalling-Station-Id = "3c-22-fb-12-34-57"
\tCalled-Station-Id = "hotspot1"

"""
SHARED_SYSLOG = [
    "<30>Nov 30 09:00:01 ap-3f-east hostapd: wlan0: STA 3c:22:fb:12:34:58 IEEE 802.11: associated",
    "<30>Nov 30 09:00:02 ap-3f-west hostapd: wlan0: STA 3c:22:fb:12:34:59 IEEE 802.11: associated",
    "<30>Nov 30 09:00:03 ap-3f-west hostapd: wlan1: STA 3c:22:fb:12:34:5a IEEE 802.11: associated",
]


def shared_observations() -> list[Association | Reset]:
    parser = RadiusDetailParser()
    radius = [o for line in SHARED_RADIUS.splitlines() for o in parser.feed(line) or ()]
    syslog = [o for line in SHARED_SYSLOG for o in parse_vendor_syslog(line) or ()]
    return radius + syslog


def test_an_agent_for_an_ap_serving_none_of_a_shared_file_counts_none_of_it() -> None:
    whose = [IDLE.attribute(o, "shared") for o in shared_observations()]
    assert "this_ap" not in whose
    assert whose == ["other_ap"] * 5  # each names an AP (by name or syslog host), not this one


def test_the_ap_they_name_counts_its_own_and_only_them() -> None:
    whose = [EAST.attribute(o, "shared") for o in shared_observations()]
    assert whose == ["this_ap", "other_ap", "this_ap", "other_ap", "other_ap"]


def test_without_ap_names_a_shared_line_naming_no_address_is_unattributed() -> None:
    bare = ApIdentity.of(bssids=[EAST_BSSID])
    whose = [bare.attribute(o, "shared") for o in shared_observations()[2:]]
    assert whose == ["unattributed"] * 3


@pytest.mark.parametrize(
    ("observation", "scope", "expected"),
    [
        # A radio address decides.
        (Association(STA, True, bssid=EAST_BSSID), "shared", "this_ap"),
        (Association(STA, True, bssid="0a:00:00:00:00:01"), "this_ap", "other_ap"),
        # An AP device address that is not listed, with the AP's name listed (UniFi CEF).
        (
            Association(STA, True, bssid="0a:00:00:00:00:01", ap_name="ap3f-east"),
            "shared",
            "this_ap",
        ),
        # Nothing but an interface: the source decides; a shared one never counts it.
        (Association(STA, True, interface="wlan0"), "this_ap", "this_ap"),
        (Association(STA, True, interface="wlan0"), "shared", "unattributed"),
        (Reset(), "this_ap", "this_ap"),
        (Reset(), "shared", "unattributed"),
    ],
)
def test_weights_of_what_a_line_names(
    observation: Association | Reset, scope: Scope, expected: Attribution
) -> None:
    assert EAST.attribute(observation, scope) == expected


def test_listed_interfaces_leave_the_other_radios_out() -> None:
    radio = ApIdentity.of(interfaces=["wlan0"])
    assert radio.attribute(Association(STA, True, interface="wlan0"), "this_ap") == "this_ap"
    assert radio.attribute(Association(STA, True, interface="wlan1"), "this_ap") == "other_ap"
    assert radio.attribute(Reset(interface="wlan1"), "this_ap") == "other_ap"
