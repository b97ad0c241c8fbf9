"""AP line parsers: recorded formats of each source, truncated lines and garbage."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_agent.ap_sources.association import Association, Reset
from edge_agent.ap_sources.hostapd import parse_hostapd
from edge_agent.ap_sources.nl80211 import parse_iw_event
from edge_agent.ap_sources.openwrt import parse_ubus
from edge_agent.ap_sources.radius import RadiusDetailParser, split_called_station
from edge_agent.ap_sources.vendor_syslog import parse_vendor_syslog

STA = "3c:22:fb:12:34:56"
BSSID = "06:9c:3a:be:1a:c0"


@pytest.mark.parametrize(
    ("line", "joined", "interface"),
    [
        # hostapd src/common/wpa_ctrl.h events as an attached monitor gets them.
        ("<3>AP-STA-CONNECTED 3c:22:fb:12:34:56", True, None),
        ("<3>AP-STA-DISCONNECTED 3c:22:fb:12:34:56", False, None),
        ("<3>AP-STA-CONNECTED 3c:22:fb:12:34:56 keyid=staff auth_alg=sae", True, None),
        # The global control interface prefixes the interface (hostapd/ctrl_iface.c).
        ("IFNAME=wlan0 <3>AP-STA-CONNECTED 3C:22:FB:12:34:56", True, "wlan0"),
        # hostapd_cli -a: `<script> <ifname> <event>` (hostapd/hostapd_cli.c hostapd_cli_exec).
        ("wlan0 AP-STA-DISCONNECTED 3c:22:fb:12:34:56", False, "wlan0"),
        # OpenWrt's hostapd in syslog (logread).
        (
            "Mon Nov 30 09:00:01 2026 daemon.notice hostapd: phy0-ap0: "
            "AP-STA-CONNECTED 3c:22:fb:12:34:56 auth_alg=open",
            True,
            "phy0-ap0",
        ),
    ],
)
def test_hostapd_control_interface_events(line: str, joined: bool, interface: str | None) -> None:
    assert parse_hostapd(line) == [Association(STA, joined, interface=interface)]


@pytest.mark.parametrize(
    "line",
    [
        "<3>AP-STA-CONNECTED",  # truncated before the address
        "<3>AP-STA-CONNECTED 3c:22:fb:12:3",  # truncated inside it
        "<3>AP-STA-CONNECTED ff:ff:ff:ff:ff:ff",  # broadcast is never a station
        "<3>AP-STA-CONNECTED 01:00:5e:00:00:01",  # multicast neither
        "",
        "\x00\x01\x02",
    ],
)
def test_hostapd_lines_that_are_not_hostapd_s(line: str) -> None:
    assert parse_hostapd(line) is None


@pytest.mark.parametrize(
    "line",
    ["<3>CTRL-EVENT-EAP-STARTED 3c:22:fb:12:34:56", "<3>AP-STA-POLL-OK 3c:22:fb:12:34:56"],
)
def test_hostapd_events_that_report_no_association_are_recognised(line: str) -> None:
    assert parse_hostapd(line) == []


@pytest.mark.parametrize(
    ("line", "interface"),
    [
        ("<3>AP-DISABLED", None),  # control socket
        ("wlan1 AP-DISABLED", "wlan1"),  # hostapd_cli -a
        ("wlan1 AP-ENABLED", "wlan1"),
        ("Nov 30 09:40:01 openwrt hostapd: wlan0: AP-DISABLED", "wlan0"),  # syslog
        ("IFNAME=wlan0 <3>CTRL-EVENT-TERMINATING", "wlan0"),
    ],
)
def test_hostapd_enabled_or_disabled_forgets_the_interface_s_stations(
    line: str, interface: str | None
) -> None:
    assert parse_hostapd(line) == [Reset(interface=interface)]


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


def feed_all(parser: RadiusDetailParser, lines: list[str]) -> list[Association | Reset]:
    return [o for line in lines for o in parser.feed(line) or ()]


def test_radius_accounting_start_interim_stop_and_nas_restart() -> None:
    parser = RadiusDetailParser()
    assert feed_all(parser, FREERADIUS_DETAIL.splitlines()) == [
        Association(STA, True, BSSID),
        Association(STA, True, BSSID),
        Association(STA, False, BSSID),
        Reset(BSSID),
    ]


def test_radius_records_that_name_the_ap_instead_of_its_address() -> None:
    # Cisco AireOS with `config radius callStationIdType ap-name-ssid`, and a MikroTik hotspot,
    # whose Called-Station-Id is the hotspot server's name (RouterOS manual, RADIUS client).
    lines = [
        "Mon Nov 30 09:00:00 2026",
        "\tAcct-Status-Type = Start",
        '\tCalling-Station-Id = "3c:22:fb:12:34:56"',
        '\tCalled-Station-Id = "AP3F-East:CityHall-Staff"',
        "",
        "Mon Nov 30 09:00:02 2026",
        "\tAcct-Status-Type = Stop",
        '\tCalling-Station-Id = "3C:22:FB:12:34:56"',
        '\tCalled-Station-Id = "hotspot1"',
        "",
    ]
    assert feed_all(RadiusDetailParser(), lines) == [
        Association(STA, True, ap_name="AP3F-East"),
        Association(STA, False, ap_name="hotspot1"),
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
    assert feed_all(parser, lines) == [Association(STA, True, None)]
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


def a(joined: bool, **where: str) -> list[Association | Reset]:
    return [Association(STA, joined, **where)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # hostapd-based APs (OpenWrt, UniFi) through syslog: hostapd/main.c hostapd_logger_cb.
        (
            "<30>Nov 30 09:00:01 U6-Lite-2F hostapd: ath1: STA 3c:22:fb:12:34:56 IEEE 802.11: "
            "associated (aid 3)",
            a(True, interface="ath1", host="U6-Lite-2F"),
        ),
        (
            "Nov 30 09:40:01 openwrt hostapd: wlan0: STA 3c:22:fb:12:34:56 IEEE 802.11: "
            "disassociated",
            a(False, interface="wlan0", host="openwrt"),
        ),
        (
            "Nov 30 09:40:01 openwrt hostapd: wlan0: STA 3c:22:fb:12:34:56 IEEE 802.11: "
            "deauthenticated due to local deauth request",
            a(False, interface="wlan0", host="openwrt"),
        ),
        # Ruijie "Wireless Common STA Syslog".
        (
            "00:15:06:15: %WLAN-6-OUTPUT: STA(3c22.fb12.3456) actives in BSSID(069c.3abe.1ac0): "
            "Assoc succeed.",
            a(True, bssid=BSSID),
        ),
        (
            "00:23:36:37: %WLAN-6-80211N: STA(3c22.fb12.3456) leaves BSSID(069c.3abe.1ac0): "
            "STA disassoc, reason code(3).",
            a(False, bssid=BSSID),
        ),
        # Zyxel "Nebula AP Log Messages".
        ("Station: 3C:22:FB:12:34:56 has associated on Channel: 36, SSID: Staff", a(True)),
        ("Station: 3C:22:FB:12:34:56 has disassoc by STA Logout on Channel: 36", a(False)),
        ("Station: 3C:22:FB:12:34:56 has deauth by Intra Roaming", a(False)),
        # Huawei WLAN log reference (WLAN_STA_INFO_AP_ASSOCIATE, IWAP_LOG_CLIENT_INFO_...).
        (
            "WSTA/6/WLAN_LOG_USER:[WLAN_STA_INFO_AP_ASSOCIATE]ACMAC:00e0-fc12-3456;ACNAME:AC1;"
            "APMAC:06:9c:3a:be:1a:c0;APNAME:2F-1;APIP:10.0.2.11;RADIO:1;BAND:5G;SSID:Staff;"
            "ACCESS TYPE:PSK;USER:s00005;MAC:3c:22:fb:12:34:56;ASSOCDURATION:3;TIME:1796083200;"
            "ZONE:UTC+0900;DAYLIGHT:false;ERRCODE:0;RESULT:Success",
            a(True, bssid=BSSID, ap_name="2F-1"),
        ),
        (
            "WLAN/3/IWAP_LOG_CLIENT_INFO_ROAM_OR_OFFLINE_INFO:APMAC:069c-3abe-1ac0;RADIO:1;"
            "USER:s00005;MAC:3c22-fb12-3456;TIME:1796090000;ZONE:UTC-0900;DAYLIGHT:false;"
            "ERRCODE:0;RESULT:offline;OnlineTime(s):6800",
            a(False, bssid=BSSID),
        ),
        # Cisco Catalyst 9800, 17.11 configuration guide, "Syslog support for client state
        # change" (wireless client syslog-detailed).
        (
            "<191>2371599: Sep 25 12:42:02.000 UTC: %CLIENT_ORCH_LOG-7-CLIENT_MOVED_TO_RUN_STATE: "
            "Chassis 1 R0/0: wncd: Username (visitor01), MAC: 3c22.fb12.3456, IP 192.0.2.91 "
            "associated to AP (AP-Floor1) with SSID (corp-wifi)",
            a(True, ap_name="AP-Floor1"),
        ),
        (
            "Sep 26 00:01:22.207 UTC: %CLIENT_ORCH_LOG-7-CLIENT_MOVED_TO_DELETE_STATE: Chassis 1 "
            "R0/0: wncd: Username (visitor01), MAC: 3c22.fb12.3456, IP fe80::aa:bbff:fecc:ddee "
            "192.0.2.91 disconnected from AP (AP-Floor1) with SSID (corp-wifi)",
            a(False, ap_name="AP-Floor1"),
        ),
        # Cisco 9800 severity 6 (elastic/integrations cisco_aironet test-aironet-messages.log):
        # no AP named.
        (
            "<190>2371599: Jul 23 2024 14:31:54.468 UTC: "
            "%CLIENT_ORCH_LOG-6-CLIENT_ADDED_TO_RUN_STATE: Chassis 1 R0/3: wncd: Username "
            "entry (musterm8) joined with ssid (COMAPNY) for device with MAC: 3c22.fb12.3456 "
            "on channel (1)",
            a(True),
        ),
        # Cisco IOS access points, DOT11 system messages (an autonomous AP, then a lightweight
        # one with its `AP:<mac>:` prefix).
        (
            "<158>11600: *Apr 28 10:14:29.608: %DOT11-6-ASSOC: Interface Dot11Radio1, Station   "
            "3c22.fb12.3456 Associated KEY_MGMT[WPAv2 PSK]",
            a(True, interface="Dot11Radio1"),
        ),
        (
            "<6>13319: AP:069c.3abe.1ac0: *Apr 20 23:00:25.871: %DOT11-6-DISASSOC: Interface "
            "Dot11Radio0, Deauthenticating Station 3c22.fb12.3456",
            a(False, bssid=BSSID, interface="Dot11Radio0"),
        ),
        # Aruba AOS 8 controller (Aruba community, "Understanding syslog format in AOS8").
        (
            "Jun  4 14:49:11 Aruba_MD3 stm[30085]: <501100> <30085> <NOTI> <Aruba_MD3 10.0.0.2>  "
            "Assoc success @ 14:49:11.809533: 3c:22:fb:12:34:56: AP 10.0.2.11-"
            "06:9c:3a:be:1a:c0-AP-3F-East",
            a(True, bssid=BSSID, ap_name="AP-3F-East", host="Aruba_MD3"),
        ),
        (
            "Jun  4 14:49:11 Aruba_MD3 stm[30085]: <501080> <30085> <NOTI> <Aruba_MD3 10.0.0.2>  "
            "Deauth to sta: 3c:22:fb:12:34:56: Ageout AP 10.0.2.11-06:9c:3a:be:1a:c0-AP-3F-East "
            "STA has roamed to another AP",
            a(False, bssid=BSSID, ap_name="AP-3F-East", host="Aruba_MD3"),
        ),
        # Aruba Instant AP: the same stm message after `|AP <name>@<ip> stm|`.
        (
            "<142>Nov 30 09:00:01 10.0.2.11 stm[2961]: <501102> <NOTI> |AP AP-3F-East@10.0.2.11 "
            "stm|  Disassoc from sta: 3c:22:fb:12:34:56: AP 10.0.2.11-06:9c:3a:be:1a:c0-"
            "AP-3F-East Reason STA has left and is disassociated",
            a(False, bssid=BSSID, ap_name="AP-3F-East", host="10.0.2.11"),
        ),
        # Cisco Meraki MR (elastic/integrations cisco_meraki test-events.log).
        (
            "<134>1 1639132851.608053271 AP1 events type=association radio='1' vap='0' "
            "client_mac='3C:22:FB:12:34:56' last_known_client_ip='0.0.0.0' channel='100' "
            "rssi='40' aid='125455944'",
            a(True, host="AP1"),
        ),
        (
            "<134>1 1639132850.430422377 AP1 events type=disassociation radio='1' vap='1' "
            "client_mac='3C:22:FB:12:34:56' channel='100' reason='1' instigator='2' "
            "duration='223.031691642' aid='977866432'",
            a(False, host="AP1"),
        ),
        # UniFi Network CEF (captures published with open-source UniFi log parsers).
        (
            "<14>Jun  3 16:30:31 DreamMachinePro CEF:0|Ubiquiti|UniFi Network|10.4.57|400|WiFi "
            "Client Connected|1|UNIFIcategory=Client Devices UNIFIhost=Dream Machine Pro "
            "UNIFIconnectedToDeviceName=UAP-IW-HD UNIFIconnectedToDeviceIp=10.123.0.11 "
            "UNIFIconnectedToDeviceMac=06:9c:3a:be:1a:c0 UNIFIclientMac=3c:22:fb:12:34:56 "
            "UNIFIwifiChannel=11 msg=esphome-somfy 4c:18 connected to Canards IoT on UAP-IW-HD.",
            a(True, bssid=BSSID, ap_name="UAP-IW-HD", host="DreamMachinePro"),
        ),
        (
            "CEF:0|Ubiquiti|UniFi Network|9.3.33|401|WiFi Client Disconnected|2|UNIFIcategory="
            "Monitoring UNIFIsubCategory=WiFi UNIFIhost=Office UDM Pro "
            "UNIFIlastConnectedToDeviceName=Lobby AP UNIFIlastConnectedToDeviceMac="
            "06:9c:3a:be:1a:c0 UNIFIclientMac=3c:22:fb:12:34:56 UNIFIduration=6m 22s "
            "msg=Apple Watch disconnected from Employee WiFi.",
            a(False, bssid=BSSID, ap_name="Lobby AP"),
        ),
        # MikroTik RouterOS (a MikroTik forum thread's log; RouterOS 7 without the colon).
        (
            "jun/15 18:56:43 wireless,info 3C:22:FB:12:34:56@wlan1_Staff: disconnected, received "
            "deauth: class 3 frame received (7)",
            a(False, interface="wlan1_Staff"),
        ),
        (
            "<30>Aug 03 19:14:22 TC-AP1 wireless,info 3C:22:FB:12:34:56@wlan1: connected, signal "
            "strength -56",
            a(True, interface="wlan1", host="TC-AP1"),
        ),
        (
            "wifi,info 3C:22:FB:12:34:56@wifi1 connected, signal strength -50",
            a(True, interface="wifi1"),
        ),
        # ASUS / Broadcom wlceventd (owners' system logs published on pastebin).
        (
            "Nov 18 13:47:49 syslog: wlceventd_proc_event(559): eth1: Assoc 3C:22:FB:12:34:56, "
            "status: Successful (0), rssi:0",
            a(True, interface="eth1"),
        ),
        (
            "Jun 3 14:11:22 syslog: WLCEVENTD wlceventd_proc_event(449): eth2: Assoc "
            "3C:22:FB:12:34:56, status: 0, reason: d11 RC reserved (0)",
            a(True, interface="eth2"),
        ),
        (
            "Sep 16 17:00:39 wlceventd: wlceventd_proc_event(537): eth5: ReAssoc "
            "3C:22:FB:12:34:56, status: Successful (0), rssi:0",
            a(True, interface="eth5"),
        ),
        (
            "May 15 05:48:45 syslog: wlceventd_proc_event(491): wl0.2: Deauth_ind "
            "3C:22:FB:12:34:56, status: 0, reason: Unspecified reason (1), rssi:0",
            a(False, interface="wl0.2"),
        ),
        (
            "Nov 28 00:06:19 syslog: wlceventd_proc_event(508): eth1: Disassoc 3C:22:FB:12:34:56, "
            "status: 0, reason: Disassociated because sending station is leaving (or has left) "
            "BSS (8), rssi:0",
            a(False, interface="eth1"),
        ),
    ],
)
def test_vendor_syslog_formats(line: str, expected: list[Association | Reset]) -> None:
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
        "hostapd: wlan0: STA 3c:22:fb:12:34:56 WPA: pairwise key handshake completed (RSN)",
        "Nov 18 13:47:49 syslog: wlceventd_proc_event(530): eth1: Auth 88:46:04:F9:C2:C8, "
        "status: Successful (0), rssi:0",
        "<134>1 1647478402.126325721 MR_device_2 events type=wpa_auth radio='1' vap='1' "
        "client_mac='E4:F4:18:79:1F:E1' aid='910537108'",
        "jun/15 18:56:47 wireless,debug wlan1_Staff: 0C:B3:19:29:08:13 attempts to associate",
        "Sun Jan 3 14:59:12 2021 user.info libubnt[15286]: wevent[15286]: "
        "wevent.ubnt_custom_event(): EVENT_STA_LEAVE ath0: 7c:11:22:33:44:55 / 2",
        "Jun  4 14:49:11 Aruba_MD3 authmgr[3956]: <522008> <5194> <NOTI> <Aruba_MD3 10.0.0.2>  "
        "User Authentication Successful: username=u MAC=b4:f1:da:01:02:03",
        "<190>2371600: Sep 25 12:42:02.645 UTC: %CLIENT_ORCH_LOG-7-CLIENT_IP_UPDATED: Chassis 1 "
        "R0/0: wncd: Username (visitor01), MAC: 3c22.fb12.3456, IP 192.0.2.91 fe80::1",
    ],
)
def test_vendor_lines_that_report_no_association_are_recognised(line: str) -> None:
    assert parse_vendor_syslog(line) == []


@pytest.mark.parametrize(
    "line",
    [
        "hostapd: wlan0: STA 3c:22:fb:12:34:56 IEEE 802.1",  # truncated
        "Station: 3C:22:FB:12 has associated",  # truncated address
        "kernel: [12345.678] usb 1-1: new high-speed USB device number 2",
        "dnsmasq-dhcp[1234]: DHCPACK(br-lan) 10.0.0.23 3c:22:fb:12:34:56 laptop",
    ],
)
def test_lines_in_no_format_the_agent_reads(line: str) -> None:
    assert parse_vendor_syslog(line) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # OpenWrt ubus cli.c print_event: `{ "<type>": <json> }`; hostapd src/ap/ubus.c.
        (
            '{ "sta-authorized": {"address":"3c:22:fb:12:34:56","ifname":"phy0-ap0",'
            '"auth-alg":"open"} }',
            [Association(STA, True, interface="phy0-ap0")],
        ),
        ('{ "disassoc": {"address":"3c:22:fb:12:34:56"} }', [Association(STA, False)]),
        (
            '{ "deauth": {"address":"3c:22:fb:12:34:56","ifname":"wlan0"} }',
            a(False, interface="wlan0"),
        ),
        ('{ "bss.remove": {"name":"wlan0"} }', [Reset(interface="wlan0")]),
        (
            '{ "assoc": {"address":"3c:22:fb:12:34:56","target":"06:9c:3a:be:1a:c0",'
            '"signal":-36,"freq":5745} }',
            [],
        ),
        ('{ "probe": {"address":"3c:22:fb:12:34:56","signal":-37,"freq":5745} }', []),
        ("Command failed: Not found", None),
    ],
)
def test_openwrt_ubus_notifications(line: str, expected: list[Association | Reset] | None) -> None:
    assert parse_ubus(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # iw event.c print_event, with and without `-t`.
        ("wlan0 (phy #0): new station 3c:22:fb:12:34:56", a(True, interface="wlan0")),
        (
            "1764489601.123456: wlan0 (phy #0): del station 3c:22:fb:12:34:56",
            a(False, interface="wlan0"),
        ),
        ("wlan1 (phy #1): stop ap", [Reset(interface="wlan1")]),
        ("wlan0 (phy #0): scan started", []),
        ("phy #0: regulatory domain change: set to JP by a user request", []),
        ("nothing to see", None),
    ],
)
def test_iw_event_lines(line: str, expected: list[Association | Reset] | None) -> None:
    assert parse_iw_event(line) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_no_text_makes_a_parser_raise(text: str) -> None:
    parse_hostapd(text)
    parse_vendor_syslog(text)
    parse_ubus(text)
    parse_iw_event(text)
    parser = RadiusDetailParser()
    for line in text.splitlines():
        parser.feed(line)
    parser.flush()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_binary_garbage_decoded_as_text_is_harmless(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    parsed = parse_hostapd(text)
    assert parsed is None or all(isinstance(o, Association | Reset) for o in parsed)
    parse_vendor_syslog(text)


def test_an_association_never_prints_its_address() -> None:
    text = repr(Association(STA, True, BSSID)) + str(Association(STA, False))
    assert "3c:22" not in text and "06:9c" not in text
