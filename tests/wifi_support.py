"""A small site with Wi-Fi APs (two per floor, one AP agent each), and a fake hostapd socket."""

import socket
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from contracts import ApStationsCounted, build_topic, encode
from firmware_config.site import AccessPoint, Device, Site
from server.services.ingest import Ingest
from server.services.ingest_batch import Inbound
from tests.support import small_site

# Radio addresses of the test APs (infrastructure, not people): floor, AP -> BSSIDs.
BSSIDS = {
    ("f1", 1): ["0a:00:00:00:11:01", "0a:00:00:00:11:02"],
    ("f1", 2): ["0a:00:00:00:12:01", "0a:00:00:00:12:02"],
    ("f2", 1): ["0a:00:00:00:21:01", "0a:00:00:00:21:02"],
    ("f2", 2): ["0a:00:00:00:22:01", "0a:00:00:00:22:02"],
}


def wifi_site(desks_per_zone: int = 4) -> Site:
    """`small_site()` plus APs over zone a (x=5) and zone b (x=15) of each floor."""
    site = small_site(desks_per_zone)
    floors = []
    devices = list(site.devices)
    for floor in site.floors():
        number = floor.id[1:]
        aps = [
            AccessPoint(id=f"ap-f{number}-{n}", x=5 + 10 * (n - 1), y=5, bssids=BSSIDS[floor.id, n])
            for n in (1, 2)
        ]
        floors.append(floor.model_copy(update={"access_points": aps}))
        devices += [
            Device(id=f"apagent-f{number}-{n}", kind="ap", access_point=f"ap-f{number}-{n}")
            for n in (1, 2)
        ]
    building = site.buildings[0].model_copy(update={"floors": floors})
    return site.model_copy(update={"buildings": [building], "devices": devices})


def report_stations(ingest: Ingest, at: datetime, counts: dict[str, int], seq: int = 1) -> None:
    """Each AP's agent reports its station count (no randomised addresses), as one batch."""
    batch = []
    for ap, stations in counts.items():
        device = "apagent-" + ap.removeprefix("ap-")
        event = ApStationsCounted(
            device=device, epoch=1, seq=seq, at=at, access_point=ap, stations=stations, randomised=0
        )
        batch.append(Inbound(build_topic("testhall", "ap", device, "event"), encode(event), at))
    ingest.apply_batch(batch)


class FakeHostapd:
    """hostapd's control socket: ATTACH, STA-FIRST / STA-NEXT, PING, then events."""

    def __init__(self, path: Path, associated: list[str]) -> None:
        self.path = path
        self.associated = associated
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.monitors: set[Any] = set()
        self.attached = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            if data == b"ATTACH":
                self.monitors.add(peer)
                self.sock.sendto(b"OK\n", peer)
                self.attached.set()
            elif data == b"STA-FIRST" or data.startswith(b"STA-NEXT "):
                after = data.decode().removeprefix("STA-FIRST").removeprefix("STA-NEXT ").strip()
                index = self.associated.index(after) + 1 if after else 0
                reply = self.associated[index] if index < len(self.associated) else ""
                if reply:
                    reply += "\nflags=[AUTH][ASSOC][AUTHORIZED]\naid=1\n"
                self.sock.sendto(reply.encode(), peer)
            elif data == b"PING":
                self.sock.sendto(b"PONG\n", peer)
            elif data == b"DETACH":
                self.monitors.discard(peer)

    def event(self, line: str) -> None:
        for peer in list(self.monitors):
            self.sock.sendto(line.encode(), peer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()
