"""The room-monitor agent: runs on the computer that drives a meeting room's display.

It advertises the display over zeroconf (`_freeseat-room._tcp`), reports the display output
and the host's laptop input from DRM connector status, the room's presence sensor when there
is one, sends heartbeats, and opens the room screen page full screen.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from contracts import Kind, RoomCastChanged, RoomDisplayChanged, RoomOccupancyChanged
from edge_agent.drm import DEFAULT_DRM_ROOT, ConnectorChange, DrmConnectors
from edge_agent.drm_hotplug import UeventMonitor
from edge_agent.room_discovery import RoomAdvertiser, room_service_info
from edge_agent.runtime import (
    AgentConfig,
    AgentRun,
    ConnectionSettings,
    DeviceId,
    DevicePublisher,
    Outbox,
    WallClock,
)
from edge_agent.runtime.config import under

log = logging.getLogger(__name__)

TICK_S = 0.5  # DRM status and the presence file are cheap to read; hot-plug shows within 1 s


class RoomAgentConfig(AgentConfig):
    """One room agent's YAML config (read with `RoomAgentConfig.load`)."""

    room: DeviceId
    name: str = Field(default="", description="display name shown to laptops; default: room id")
    server: str | None = Field(
        default=None,
        description="the freeseat server's base URL, e.g. http://freeseat:8000; left out, "
        "found by zeroconf like the broker",
    )
    screen_url: str | None = Field(
        default=None, description="the room screen link (with its key) from the server"
    )
    heartbeat_s: Annotated[float, Field(gt=0, le=3600)] = 30.0
    drm_root: Path = DEFAULT_DRM_ROOT
    cast_connectors: list[str] = Field(
        default_factory=list,
        description="DRM connectors a host's laptop plugs into (a capture or dock input), by "
        "connector name: HDMI-A-2, or HDMI-A-2@<card device> when two cards have one",
    )
    display_connectors: list[str] = Field(
        default_factory=list, description="connectors of the room display; empty: all others"
    )
    hotplug: Literal["auto", "poll"] = Field(
        default="auto",
        description="auto: re-read /sys/class/drm on the kernel's DRM hot-plug events where "
        "they can be read (and every poll_s anyway); poll: re-read it every tick",
    )
    poll_s: Annotated[float, Field(gt=0, le=3600)] = 10.0
    occupancy_file: Path | None = Field(
        default=None, description="a file holding 1 (occupied) or 0 (empty), e.g. a GPIO value"
    )
    advertise: bool = True
    advertise_address: str | None = None
    interfaces: list[str] | None = None
    info_port: Annotated[int, Field(ge=0, le=65535)] = 8765
    open_screen: Literal["auto", "never"] = "auto"

    @field_validator("server")
    @classmethod
    def _server_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"server {value!r} must start with http:// or https://")
        return value.rstrip("/")

    def screen_link(self) -> str:
        return self.screen_url or f"{self.server}/rooms/{self.room}/screen"

    def paths_under(self, folder: Path) -> dict[str, Any]:
        paths = super().paths_under(folder)
        if self.occupancy_file is not None:
            paths["occupancy_file"] = under(folder, self.occupancy_file)
        return paths


class RoomMonitor:
    """Turns connector and presence readings into room events; the caller owns the loop."""

    def __init__(
        self,
        config: RoomAgentConfig,
        outbox: Outbox,
        settings: ConnectionSettings,
        clock: WallClock,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._clock = clock
        self._connectors = DrmConnectors(config.drm_root)
        # The kernel's events speak of the real sysfs only, not of a tree given as drm_root.
        real_tree = config.drm_root == DEFAULT_DRM_ROOT
        self._hotplug = UeventMonitor.open() if config.hotplug == "auto" and real_tree else None
        self._monotonic = monotonic
        self._next_read = 0.0
        self._casting = False
        self._occupied: bool | None = None
        self.publisher = DevicePublisher(
            site=config.site,
            device=config.device,
            kind=Kind.ROOM,
            outbox=outbox,
            settings=settings,
            clock=clock,
            heartbeat_s=config.heartbeat_s,
            monotonic=monotonic,
        )

    def start(self) -> None:
        self.publisher.start(self._clock.now())

    def stop(self, *, drain_s: float = 2.0) -> None:
        self.publisher.stop(drain_s=drain_s)
        if self._hotplug is not None:
            self._hotplug.close()

    @property
    def hotplug_events(self) -> bool:
        """Whether connectors are re-read on kernel hot-plug events (else polled every tick)."""
        return self._hotplug is not None

    def _connector_changes(self) -> list[ConnectorChange]:
        if self._hotplug is not None:
            mono = self._monotonic()
            if not self._hotplug.drm_changed() and mono < self._next_read:
                return []
            self._next_read = mono + self.config.poll_s
        return self._connectors.changes()

    def tick(self) -> int:
        """Read connectors and presence, emit what changed, heartbeat when due; returns events."""
        now = self._clock.now()
        events = 0
        changes = self._connector_changes()
        connectors = self._connectors
        cast, display = self.config.cast_connectors, self.config.display_connectors
        for change in changes:
            if connectors.matches(change.connector, cast):
                continue
            if display and not connectors.matches(change.connector, display):
                continue
            self.publisher.emit(
                RoomDisplayChanged,
                now,
                room=self.config.room,
                connector=change.connector,
                connected=change.connected,
            )
            events += 1
        casting = any(
            state for name, state in connectors.current.items() if connectors.matches(name, cast)
        )
        if casting != self._casting:
            self._casting = casting
            source = next(
                (c.connector for c in changes if connectors.matches(c.connector, cast)), ""
            )
            self.publisher.emit(
                RoomCastChanged, now, room=self.config.room, casting=casting, source=source
            )
            events += 1
        occupied = self._read_occupancy()
        if occupied is not None and occupied != self._occupied:
            self._occupied = occupied
            self.publisher.emit(RoomOccupancyChanged, now, room=self.config.room, occupied=occupied)
            events += 1
        self.publisher.heartbeat_if_due(now)
        return events

    def _read_occupancy(self) -> bool | None:
        path = self.config.occupancy_file
        if path is None:
            return None
        try:
            text = path.read_text(encoding="ascii").strip()
        except OSError:
            return None  # no reading is not "empty": the server must not end a meeting on it
        if text not in ("0", "1"):
            return None
        return text == "1"


def primary_address() -> str:
    """This machine's address on the default route (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def serve_info(config: RoomAgentConfig, address: str) -> ThreadingHTTPServer:
    """A tiny read-only HTTP endpoint at the advertised port: which room it is. It names no
    server: laptops sign in only to the server their user named."""
    body = json.dumps(
        {"txtvers": 1, "room": config.room, "name": config.name or config.room}
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("info endpoint: " + format, *args)

    server = ThreadingHTTPServer((address, config.info_port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="room-info").start()
    return server


def open_screen(
    url: str, mode: str, out: Callable[[str], None] = print
) -> subprocess.Popen[bytes] | None:
    """Open the room screen full screen when there is a display and a browser; else print it."""
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    browser = next(
        (b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None
    )
    if mode == "never" or not has_display or browser is None:
        out(f"room screen: {url}")
        return None
    return subprocess.Popen(
        [browser, "--kiosk", "--noerrdialogs", "--disable-infobars", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run_room_agent(
    config_path: Path,
    *,
    stop: threading.Event | None = None,
    clock: WallClock | None = None,
    settings: ConnectionSettings | None = None,
    out: Callable[[str], None] = print,
) -> None:
    """Run until `stop` is set: advertise, report connectors and presence, heartbeat."""
    config = RoomAgentConfig.load(config_path)
    run = AgentRun.reach(
        config, stop=stop, clock=clock, settings=settings, find_server=config.server is None
    )
    if run is None:
        return  # stopped before any server answered: nothing was started
    if run.found is not None and config.server is None:
        config = config.model_copy(update={"server": run.found.server_url})
    with run:
        outbox = run.open_outbox()
        monitor = RoomMonitor(config, outbox, run.settings, run.clock)
        run.callback(monitor.stop)
        address = config.advertise_address or primary_address()
        info_server = serve_info(config, address)
        run.callback(info_server.server_close)
        run.callback(info_server.shutdown)
        port = info_server.server_address[1]
        monitor.start()
        if config.advertise:
            advertiser = RoomAdvertiser(
                room_service_info(config.room, config.name or config.room, address, port),
                config.interfaces,
            )
            run.callback(advertiser.stop)
            advertiser.start()
        out(f"{config.device}: room {config.room} advertised at {address}:{port}")
        viewer = open_screen(config.screen_link(), config.open_screen, out)
        if viewer is not None:
            run.callback(viewer.terminate)
        run.tick_until_stopped(lambda now: monitor.tick(), TICK_S)
