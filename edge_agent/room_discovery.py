"""Zeroconf for room displays: the agent advertises `_freeseat-room._tcp`, laptops browse it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, ServiceListener, Zeroconf

ROOM_SERVICE = "_freeseat-room._tcp.local."
TXT_VERSION = "1"


@dataclass(frozen=True, slots=True)
class RoomDisplay:
    """A room display found on the network; host and port come from its SRV and A records."""

    room: str
    name: str
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def room_service_info(
    room: str, name: str, address: str, port: int, hostname: str | None = None
) -> ServiceInfo:
    """The service record of one room display.

    TXT starts with `txtvers=1` so readers can tell future layouts apart; then the room id and
    its display name. Host and port live only in SRV/A, where resolvers expect them.
    """
    host = hostname or f"freeseat-{room}"
    return ServiceInfo(
        ROOM_SERVICE,
        f"{room}.{ROOM_SERVICE}",
        addresses=[socket.inet_aton(address)],
        port=port,
        properties={"txtvers": TXT_VERSION, "room": room, "name": name},
        server=f"{host}.local.",
    )


def open_zeroconf(interfaces: Sequence[str] | None = None) -> Zeroconf:
    """A Zeroconf instance on the given addresses (all IPv4 interfaces when None)."""
    if interfaces is None:
        return Zeroconf(ip_version=IPVersion.V4Only)
    return Zeroconf(interfaces=list(interfaces), ip_version=IPVersion.V4Only)


class RoomAdvertiser:
    """Registers one room display for as long as it runs."""

    def __init__(self, info: ServiceInfo, interfaces: Sequence[str] | None = None) -> None:
        self.info = info
        self._interfaces = interfaces
        self._zc: Zeroconf | None = None

    def start(self) -> None:
        self._zc = open_zeroconf(self._interfaces)
        # The name is the room id: a second display claiming the same room is a site error,
        # and zeroconf's conflict check reports it instead of renaming us silently.
        self._zc.register_service(self.info, allow_name_change=False)

    def stop(self) -> None:
        if self._zc is not None:
            self._zc.unregister_service(self.info)
            self._zc.close()
            self._zc = None


class _Collector(ServiceListener):
    def __init__(self) -> None:
        self.names: set[str] = set()
        self.lock = threading.Lock()

    def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        with self.lock:
            self.names.add(name)

    def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self.add_service(zc, type_, name)

    def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        with self.lock:
            self.names.discard(name)


def parse_room_info(info: ServiceInfo) -> RoomDisplay | None:
    """A RoomDisplay from a resolved record, or None when its TXT is not a version we read."""
    props = {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in info.properties.items()
    }
    if props.get("txtvers") != TXT_VERSION or not props.get("room"):
        return None
    addresses = info.parsed_addresses()
    if not addresses or info.port is None:
        return None
    return RoomDisplay(
        room=str(props["room"]),
        name=str(props.get("name") or ""),
        host=addresses[0],
        port=info.port,
    )


def browse_rooms(
    wait_s: float = 3.0, interfaces: Sequence[str] | None = None, expect: int | None = None
) -> list[RoomDisplay]:
    """Room displays that answer within `wait_s` (sooner once `expect` of them did), by room id."""
    zc = open_zeroconf(interfaces)
    collector = _Collector()
    browser = ServiceBrowser(zc, ROOM_SERVICE, collector)
    found: dict[str, RoomDisplay] = {}
    try:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            with collector.lock:
                names = sorted(collector.names)
            for name in names:
                if name in found:
                    continue
                info = zc.get_service_info(ROOM_SERVICE, name, timeout=1000)
                display = parse_room_info(info) if info is not None else None
                if display is not None:
                    found[name] = display
            if expect is not None and len(found) >= expect:
                break
            time.sleep(0.1)
    finally:
        browser.cancel()
        zc.close()
    return sorted(found.values(), key=lambda d: d.room)
