"""AP line parsers: recorded formats of each source, truncated lines and garbage."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_agent.ap_sources.association import Association, Reset
from edge_agent.ap_sources.hostapd import parse_hostapd
from edge_agent.ap_sources.radius import RadiusDetailParser, split_called_station
from edge_agent.ap_sources.vendor_syslog import parse_vendor_syslog

STA = "3c:22:fb:12:34:56"
BSSID = "06:9c:3a:be:1a:c0"


@pytest.mark.parametrize(
    ("line", "joined"),
    [
        ("<3>AP-STA-CONNECTED 3c:22:fb:12:34:56", True),
        ("<3>AP-STA-DISCONNECTED 3c:22:fb:12:34:56", False),
        ("<3>AP-STA-CONNECTED 3c:22:fb:12:34:56 keyid=staff auth_alg=sae", True),
        ("IFNAME=wlan0 <3>AP-STA-CONNECTED 3C:22:FB:12:34:56", True),
        ("wlan0 AP-STA-DISCONNECTED 3c:22:fb:12:34:56", False),  # hostapd_cli -a
        (
            "Mon Nov 30 09:00:01 2026 daemon.notice hostapd: phy0-ap0: "
            "AP-STA-CONNECTED 3c:22:fb:12:34:56 auth_alg=open",
            True,
        ),
    ],
)
def test_hostapd_control_interface_events(line: str, joined: bool) -> None:
    assert parse_hostapd(line) == Association(STA, joined)


@pytest.mark.parametrize(
    "line",
    [
        "<3>AP-STA-CONNECTED",  # truncated before the address
        "<3>AP-STA-CONNECTED 3c:22:fb:12:3",  # truncated inside it
        "<3>AP-STA-CONNECTED ff:ff:ff:ff:ff:ff",  # broadcast is never a station
        "<3>AP-STA-CONNECTED 01:00:5e:00:00:01",  # multicast neither
        "<3>CTRL-EVENT-EAP-STARTED 3c:22:fb:12:34:56",
        "<3>AP-STA-POLL-OK 3c:22:fb:12:34:56",
        "",
        "\x00\x01\x02",
    ],
)
def test_hostapd_lines_that_report_no_association(line: str) -> None:
    assert parse_hostapd(line) is None


def test_hostapd_disabled_means_every_station_is_gone() -> None:
    assert parse_hostapd("<3>AP-DISABLED") == Reset()


FREERADIUS_DETAIL = """\
Mon Nov 30 09:00:00 2026
\tAcct-Status-Type = Start
\tAcct-Session-Id = "5E3A8B1C-00000001"
\tUser-Name = "s00005"
\tCalling-Station-Id = "3C-22-FB-12-34-56"
\tCalled-Station-Id = "06-9C-3A-BE-1A-C0:CityHall-Staff"
\tNAS-Port-Type = Wireless-802.11
\tEvent-Timestamp = "Nov 30 2026 09:00:00 JST"
\tTimestamp = 1796083200

Mon Nov 30 09:05:00 2026
\tAcct-Status-Type = Interim-Update
\tCalling-Station-Id = "3c22.fb12.3456"
\tCalled-Station-Id = "069c.3abe.1ac0:CityHall-Staff"

Mon Nov 30 12:00:00 2026
\tAcct-Status-Type = Stop
\tCalling-Station-Id = "3c22fb123456"
\tCalled-Station-Id = "06:9c:3a:be:1a:c0:CityHall-Staff"
\tAcct-Terminate-Cause = User-Request

Mon Nov 30 12:01:00 2026
\tAcct-Status-Type = Accounting-On
\tCalled-Station-Id = "06-9C-3A-BE-1A-C0"

"""


def test_radius_accounting_start_interim_stop_and_nas_restart() -> None:
    parser = RadiusDetailParser()
    out = [o for line in FREERADIUS_DETAIL.splitlines() if (o := parser.feed(line))]
    assert out == [
        Association(STA, True, BSSID),
        Association(STA, True, BSSID),
        Association(STA, False, BSSID),
        Reset(BSSID),
    ]


def test_radius_record_cut_short_or_mangled_is_skipped_and_the_next_one_still_parses() -> None:
    parser = RadiusDetailParser()
    lines = [
        "Mon Nov 30 09:00:00 2026",
        "\tAcct-Status-Type = Start",
        '\tCalling-Station-Id = "3C-22-FB-12',  # truncated: the file was cut mid-write
        # no blank line: the next time stamp starts a new record
        "Mon Nov 30 09:00:01 2026",
        "\tthis is not an attribute",
        "\tAcct-Status-Type = Start",
        '\tCalling-Station-Id = "3C-22-FB-12-34-56"',
        "",
    ]
    out = [o for line in lines if (o := parser.feed(line))]
    assert out == [Association(STA, True, None)]
    assert parser.malformed == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("06-9C-3A-BE-1A-C0:Staff", (BSSID, "Staff")),
        ("06:9c:3a:be:1a:c0:Staff:Guest", (BSSID, "Staff:Guest")),
        ("069c.3abe.1ac0", (BSSID, None)),
        ("069C3ABE1AC0:Staff", (BSSID, "Staff")),
        ("ap-name:Staff", (None, None)),
        ("", (None, None)),
    ],
)
def test_called_station_id_spellings(value: str, expected: tuple[str | None, str | None]) -> None:
    assert split_called_station(value) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # hostapd-based APs (OpenWrt, UniFi) through syslog
        (
            "<30>Nov 30 09:00:01 U6-Lite-2F hostapd: ath1: STA 3c:22:fb:12:34:56 IEEE 802.11: "
            "associated (aid 3)",
            Association(STA, True),
        ),
        (
            "Nov 30 09:40:01 openwrt hostapd: wlan0: STA 3c:22:fb:12:34:56 IEEE 802.11: "
            "disassociated",
            Association(STA, False),
        ),
        (
            "Nov 30 09:40:01 openwrt hostapd: wlan0: STA 3c:22:fb:12:34:56 IEEE 802.11: "
            "deauthenticated due to local deauth request",
            Association(STA, False),
        ),
        # Ruijie
        (
            "00:15:06:15: %WLAN-6-OUTPUT: STA(3c22.fb12.3456) actives in BSSID(069c.3abe.1ac0): "
            "Assoc succeed.",
            Association(STA, True, BSSID),
        ),
        (
            "00:23:36:37: %WLAN-6-80211N: STA(3c22.fb12.3456) leaves BSSID(069c.3abe.1ac0): "
            "STA disassoc, reason code(3).",
            Association(STA, False, BSSID),
        ),
        # Zyxel Nebula
        (
            "Station: 3C:22:FB:12:34:56 has associated on Channel: 36, SSID: Staff",
            Association(STA, True),
        ),
        (
            "Station: 3C:22:FB:12:34:56 has disassoc by STA Logout on Channel: 36",
            Association(STA, False),
        ),
        ("Station: 3C:22:FB:12:34:56 has deauth by Intra Roaming", Association(STA, False)),
        # Huawei
        (
            "WSTA/6/WLAN_LOG_USER:[WLAN_STA_INFO_AP_ASSOCIATE]ACMAC:00e0-fc12-3456;ACNAME:AC1;"
            "APMAC:06:9c:3a:be:1a:c0;APNAME:2F-1;APIP:10.0.2.11;RADIO:1;BAND:5G;SSID:Staff;"
            "ACCESS TYPE:PSK;USER:s00005;MAC:3c:22:fb:12:34:56;ASSOCDURATION:3;TIME:1796083200;"
            "ZONE:UTC+0900;DAYLIGHT:false;ERRCODE:0;RESULT:Success",
            Association(STA, True, BSSID),
        ),
        (
            "WLAN/3/IWAP_LOG_CLIENT_INFO_ROAM_OR_OFFLINE_INFO:APMAC:069c-3abe-1ac0;RADIO:1;"
            "USER:s00005;MAC:3c22-fb12-3456;TIME:1796090000;ZONE:UTC-0900;DAYLIGHT:false;"
            "ERRCODE:0;RESULT:offline;OnlineTime(s):6800",
            Association(STA, False, BSSID),
        ),
    ],
)
def test_vendor_syslog_formats(line: str, expected: Association) -> None:
    assert parse_vendor_syslog(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        # Ruijie's authentication comes before the association: not yet associated.
        "%WLAN-6-OUTPUT: STA(3c22.fb12.3456) actives in BSSID(069c.3abe.1ac0): Auth succeed.",
        # A failed Huawei association never joined.
        "[WLAN_STA_INFO_AP_ASSOCIATE]APMAC:069c-3abe-1ac0;MAC:3c22-fb12-3456;"
        "RESULT:ap reach max user",
        "hostapd: wlan0: STA 3c:22:fb:12:34:56 IEEE 802.11: authenticated",
        "hostapd: wlan0: STA 3c:22:fb:12:34:56 IEEE 802.1",  # truncated
        "Station: 3C:22:FB:12 has associated",  # truncated address
        "kernel: [12345.678] usb 1-1: new high-speed USB device number 2",
        "dnsmasq-dhcp[1234]: DHCPACK(br-lan) 10.0.0.23 3c:22:fb:12:34:56 laptop",
    ],
)
def test_vendor_syslog_lines_that_report_no_association(line: str) -> None:
    assert parse_vendor_syslog(line) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_no_text_makes_a_parser_raise(text: str) -> None:
    parse_hostapd(text)
    parse_vendor_syslog(text)
    parser = RadiusDetailParser()
    for line in text.splitlines():
        parser.feed(line)
    parser.flush()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_binary_garbage_decoded_as_text_is_harmless(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    assert parse_hostapd(text) is None or isinstance(parse_hostapd(text), Association | Reset)
    parse_vendor_syslog(text)


def test_an_association_never_prints_its_address() -> None:
    text = repr(Association(STA, True, BSSID)) + str(Association(STA, False))
    assert "3c:22" not in text and "06:9c" not in text
