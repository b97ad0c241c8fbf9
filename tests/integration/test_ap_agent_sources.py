"""Two real AP agents read the formats admins point them at, through every input they have.

One agent's AP (`ap-3f-east`) is named in a shared syslog file, a shared RADIUS file and on a
UDP port, and has its own hostapd action-script output, `ubus` output and a streaming
`iw event`-like command; the other's AP serves none of those stations. Each line is in the
format of the program that writes it (samples and their sources: tests/unit/test_ap_parsers.py).
The counts are read from each agent's /metrics and from what it publishes to a real Mosquitto.
"""

import socket
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from contracts import ApStationsCounted
from edge_agent.ap_agent import ApGateway, run_ap_agent
from edge_agent.ap_sources.settings import ObservationSource
from server.adapters.embedded_broker import MosquittoBroker, free_port
from tests.support import ContractListener, wait_until

EAST_BSSID = "06:9c:3a:be:1a:c0"
STATIONS = {name: f"3c:22:fb:00:00:{n:02x}" for n, name in enumerate("ABCDEFGHIJKL", 1)}
S = STATIONS

# The hostapd_cli -a recipe of docs/devices.md: hostapd_cli runs it as
# `<script> <ifname> <event> <args...>` (hostapd/hostapd_cli.c, hostapd_cli_exec).
ACTION_SCRIPT = '#!/bin/sh\necho "$@" >> "{out}"\n'


class Agent:
    """`run_ap_agent` on a config file, in a thread; its gateway and sources once started."""

    def __init__(self, path: Path, config: dict[str, Any]) -> None:
        path.write_text(yaml.safe_dump(config))
        self.stop = threading.Event()
        self.started = threading.Event()
        self.gateway: ApGateway | None = None
        self.sources: list[ObservationSource] = []
        self.thread = threading.Thread(
            target=run_ap_agent, args=(path,), kwargs={"stop": self.stop, "on_started": self._up}
        )
        self.thread.start()
        assert self.started.wait(10), f"{path.name} never started"

    def _up(self, gateway: ApGateway, sources: list[ObservationSource]) -> None:
        self.gateway, self.sources = gateway, sources
        self.started.set()

    def metrics(self) -> dict[str, float]:
        assert self.gateway is not None and self.gateway.metrics_port is not None
        text = httpx.get(f"http://127.0.0.1:{self.gateway.metrics_port}/metrics").text
        return {
            name: float(value)
            for line in text.splitlines()
            if not line.startswith("#")
            for name, _, value in [line.rpartition(" ")]
        }

    def stations(self) -> float:
        return self.metrics()["freeseat_ap_stations"]

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)


def config(tmp_path: Path, broker: MosquittoBroker, ap: str, **fields: Any) -> dict[str, Any]:
    return {
        "device": f"apagent-{ap.removeprefix('ap-')}",
        "site": "testhall",
        "access_point": ap,
        "broker": broker.url,
        "outbox": str(tmp_path / f"{ap}.sqlite"),
        "metrics": "127.0.0.1:0",
        "min_report_s": 0,
        "report_s": 5,
        **fields,
    }


def last_counts(listener: ContractListener) -> dict[str, int]:
    """The last station count each AP agent published."""
    return {
        m.access_point: m.stations for m in listener.messages if isinstance(m, ApStationsCounted)
    }


@pytest.fixture
def published(broker: MosquittoBroker) -> Iterator[ContractListener]:
    listener = ContractListener(broker.host, broker.port, "freeseat/v1/+/ap/+/event")
    yield listener
    listener.close()


def test_each_agent_counts_its_own_stations_from_every_input_and_resets_on_every_path(
    broker: MosquittoBroker, tmp_path: Path, published: ContractListener
) -> None:
    shared_log, radius, actions, ubus, iw = (
        tmp_path / name for name in ("aps.log", "detail", "hostapd-events", "ubus.log", "iw.log")
    )
    for path in (shared_log, radius, actions, ubus, iw):
        path.write_text("")
    script = tmp_path / "freeseat-hostapd-action"
    script.write_text(ACTION_SCRIPT.format(out=actions))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    udp_port = free_port()
    shared = [{"type": "syslog", "file": str(shared_log)}, {"type": "radius", "file": str(radius)}]
    east = Agent(
        tmp_path / "east.yaml",
        config(
            tmp_path,
            broker,
            "ap-3f-east",
            bssids=[EAST_BSSID],
            ap_names=["ap-3f-east", "AP3F-East"],
            sources=[
                *shared,
                {"type": "hostapd", "file": str(actions)},
                {"type": "ubus", "file": str(ubus)},
                {"type": "iw", "command": ["tail", "-n", "+1", "-F", str(iw)]},
                {"type": "syslog", "listen": f"127.0.0.1:{udp_port}"},
            ],
        ),
    )
    lobby = Agent(
        tmp_path / "lobby.yaml",
        config(tmp_path, broker, "ap-1f-lobby", ap_names=["ap-1f-lobby"], sources=shared),
    )
    try:
        with shared_log.open("a") as log:
            log.write(
                # this AP's (its syslog host, its name at an Aruba controller and at Meraki)
                f"<30>Nov 30 09:00:01 ap-3f-east hostapd: wlan0: STA {S['A']} IEEE 802.11: "
                "associated (aid 1)\n"
                f"Jun  4 14:49:11 Aruba_MD3 stm[30085]: <501100> <30085> <NOTI> <Aruba_MD3 "
                f"10.0.0.2>  Assoc success @ 14:49:11.809533: {S['B']}: AP 10.0.2.11-"
                f"{EAST_BSSID}-AP3F-East\n"
                f"<134>1 1639132851.608053271 AP3F-East events type=association radio='1' "
                f"vap='0' client_mac='{S['C'].upper()}' channel='100' rssi='40' aid='1'\n"
                # another AP's, and one a controller logs without naming any AP
                f"<30>Nov 30 09:00:02 ap-3f-west hostapd: wlan0: STA {S['D']} IEEE 802.11: "
                "associated (aid 2)\n"
                "<191>2371599: Sep 25 12:42:02.000 UTC: %CLIENT_ORCH_LOG-7-CLIENT_MOVED_TO_RUN_"
                f"STATE: Chassis 1 R0/0: wncd: Username (u), MAC: {S['E']}, IP 192.0.2.91 "
                "associated to AP (AP3F-West) with SSID (corp)\n"
                "<190>2371600: Jul 23 2024 14:31:54.468 UTC: %CLIENT_ORCH_LOG-6-CLIENT_ADDED_TO_"
                "RUN_STATE: Chassis 1 R0/3: wncd: Username entry (u) joined with ssid (corp) for "
                f"device with MAC: {S['F']} on channel (1)\n"
                # a Wi-Fi line with nothing to count, and one in no format the agent reads
                "<134>1 1639132851.615363021 AP3F-East events type=wpa_auth radio='1' vap='0' "
                f"client_mac='{S['C'].upper()}' aid='1'\n"
                "<4>Nov 30 09:00:03 ap-3f-east kernel: [12.3] usb 1-1: new high-speed USB device\n"
            )
        with radius.open("a") as detail:
            for mac, called in ((S["G"], "AP3F-East:Staff"), (S["H"], "hotspot1")):
                detail.write(
                    "Mon Nov 30 09:00:00 2026\n\tAcct-Status-Type = Start\n"
                    f'\tCalling-Station-Id = "{mac}"\n\tCalled-Station-Id = "{called}"\n\n'
                )
        subprocess.run([script, "wlan0", "AP-STA-CONNECTED", S["I"], "auth_alg=open"], check=True)
        ubus.write_text(
            f'{{ "sta-authorized": {{"address":"{S["J"]}","ifname":"phy1-ap0",'
            '"auth-alg":"sae"} }\n'
        )
        with iw.open("a") as out:
            out.write(f"1764489601.123456: wlan1 (phy #1): new station {S['K']}\n")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(
                f"<30>Nov 30 09:00:04 ap-3f-east hostapd: wlan2: STA {S['L']} IEEE 802.11: "
                "associated (aid 3)".encode(),
                ("127.0.0.1", udp_port),
            )

        # A, B, C, G (shared), I (action script), J (ubus), K (iw), L (UDP): 8 stations.
        wait_until(lambda: east.stations() == 8, what="the east AP's 8 stations")
        wait_until(lambda: last_counts(published).get("ap-3f-east") == 8, what="8 published")
        east_metrics = east.metrics()
        source = f"syslog {shared_log}"
        assert [
            east_metrics[f'freeseat_ap_lines_total{{source="{source}",outcome="{outcome}"}}']
            for outcome in ("parsed", "ignored", "unparsed")
        ] == [6, 1, 1]
        assert [
            east_metrics[f'freeseat_ap_observations_total{{source="{source}",attribution="{who}"}}']
            for who in ("this_ap", "other_ap", "unattributed")
        ] == [3, 2, 1]
        # The lobby's AP serves none of them: it counts none, whoever else they belong to.
        lobby_radius = f'source="radius {radius}",attribution="other_ap"'
        wait_until(
            lambda: lobby.metrics().get(f"freeseat_ap_observations_total{{{lobby_radius}}}") == 2,
            what="the lobby agent to read the RADIUS file",
        )
        assert lobby.stations() == 0
        assert last_counts(published).get("ap-1f-lobby") == 0

        # AP-DISABLED and its kin forget a radio's stations, whichever path says it.
        subprocess.run([script, "wlan0", "AP-DISABLED"], check=True)  # A and I were on wlan0
        wait_until(lambda: east.stations() == 6, what="wlan0's stations gone")
        with iw.open("a") as out:
            out.write("1764489700.000001: wlan1 (phy #1): stop ap\n")
        wait_until(lambda: east.stations() == 5, what="wlan1's station gone")
        with ubus.open("a") as out:
            out.write('{ "bss.remove": {"name":"phy1-ap0"} }\n')
        wait_until(lambda: east.stations() == 4, what="phy1-ap0's station gone")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(
                b"<29>Nov 30 09:10:00 ap-3f-east hostapd: wlan2: AP-DISABLED",
                ("127.0.0.1", udp_port),
            )
        wait_until(lambda: east.stations() == 3, what="wlan2's station gone")
        wait_until(lambda: last_counts(published).get("ap-3f-east") == 3, what="3 published")
    finally:
        east.close()
        lobby.close()
