"""Reading the laptop's BSSID from what iw, nmcli, netsh and airport print."""

from edge_agent.whereami import bssid_from_iw, bssid_from_keyed, bssid_from_nmcli

IW_LINK = """\
Connected to 06:9c:3a:be:1a:c1 (on wlp2s0)
\tSSID: CityHall-Staff
\tfreq: 5180
\tsignal: -52 dBm
"""

NMCLI = """\
no:06\\:9C\\:3A\\:79\\:CD\\:50
yes:06\\:9C\\:3A\\:BE\\:1A\\:C1
no:06\\:9C\\:3A\\:DB\\:95\\:70
"""

NETSH = """\
There is 1 interface on the system:

    Name                   : Wi-Fi
    Description            : Intel(R) Wi-Fi 6 AX201 160MHz
    GUID                   : 5a1c0f9e-1f2b-4b8e-9a63-6f1d2c3b4a5e
    Physical address       : 3c:22:fb:12:34:56
    State                  : connected
    SSID                   : CityHall-Staff
    BSSID                  : 06:9c:3a:be:1a:c1
    Network type           : Infrastructure
"""

AIRPORT = """\
     agrCtlRSSI: -55
          state: running
        op mode: station
    lastTxRate: 573
         BSSID: 6:9c:3a:be:1a:c1
           SSID: CityHall-Staff
"""


def test_linux_iw_link() -> None:
    assert bssid_from_iw(IW_LINK) == "06:9c:3a:be:1a:c1"
    assert bssid_from_iw("Not connected.\n") is None


def test_linux_nmcli_picks_the_active_network() -> None:
    assert bssid_from_nmcli(NMCLI) == "06:9c:3a:be:1a:c1"
    assert bssid_from_nmcli(NMCLI.replace("yes:", "no:")) is None


def test_windows_netsh_reads_the_bssid_not_the_laptops_own_address() -> None:
    assert bssid_from_keyed(NETSH) == "06:9c:3a:be:1a:c1"


def test_macos_airport_without_leading_zeros() -> None:
    assert bssid_from_keyed(AIRPORT) == "06:9c:3a:be:1a:c1"
    assert bssid_from_keyed("AirPort: Off\n") is None
