"""The demo's meeting rooms: room monitors on the broker, and hosts booking and pairing over HTTP.

Room monitors (one per `kind: room` device) publish heartbeats and display, presence and cast
events. When the server's URL is known (the demo, which runs in demo mode), simulated hosts
also book rooms, pair by the code on the room screen, attach an agenda, show pages and end
their sessions; some never come, so the server releases their bookings after the grace time.
Bookings and sessions run on the server's clock (real time): only the desks' day is compressed.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from contracts import Kind, RoomCastChanged, RoomDisplayChanged, RoomOccupancyChanged
from edge_agent.room_connect import ConnectError, ServerClient
from edge_agent.runtime import (
    ConnectionSettings,
    DevicePublisher,
    Outbox,
    SystemWallClock,
    WallClock,
)
from edge_agent.trusted_servers import TrustedServer
from firmware_config.site import Site

log = logging.getLogger(__name__)

TITLES = (
    "定例会議 / Weekly meeting",
    "予算調整 / Budget review",
    "窓口改善 / Counter service",
    "議会準備 / Council prep",
    "防災訓練 / Drill planning",
    "採用面接 / Interviews",
)


@dataclass
class _SimulatedRoom:
    room: str
    publisher: DevicePublisher
    outbox: Outbox
    occupied: bool = False
    casting: bool = False
    session: int | None = None
    host: ServerClient | None = None
    next_change: float = 0.0


@dataclass
class RoomSimulationStats:
    rooms: int = 0
    bookings: int = 0
    sessions: int = 0
    no_shows: int = 0
    ended: int = 0
    errors: list[str] = field(default_factory=list)


def agenda_pdf(pages: int, padding: int = 0, title: str = "Agenda") -> bytes:
    """A small valid PDF (with its cross-reference table): the simulated hosts' agenda, each
    page headed by `title` and its number in large type, so a page shown on a screen can be
    told from the next; `padding` adds that many bytes of comment, for a file of a given size."""
    heading = title.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(pages))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for number in range(1, pages + 1):
        contents = f"{5 + 2 * (number - 1)} 0 R".encode()
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents " + contents + b" >>"
        )
        text = (
            b"0.11 0.31 0.85 rg 0 535 842 60 re f "
            b"BT /F1 36 Tf 1 1 1 rg 40 550 Td (" + heading + b") Tj ET "
            b"BT /F1 96 Tf 0.1 0.1 0.1 rg 260 260 Td ("
            + f"p. {number}/{pages}".encode()
            + b") Tj ET"
        )
        objects.append(f"<< /Length {len(text)} >>\nstream\n".encode() + text + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    if padding:
        out += b"%" + b"x" * padding + b"\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


class RoomSimulation:
    """Every room of the site, driven on real time; `tick()` from the simulator's loop."""

    def __init__(
        self,
        site: Site,
        *,
        server_url: str | None = None,
        seed: int = 1,
        cycle_s: float = 20.0,
        clock: WallClock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.site = site
        self.server_url = server_url
        self.cycle_s = cycle_s
        self.stats = RoomSimulationStats()
        self._random = random.Random(seed)
        self._clock = clock or SystemWallClock()
        self._monotonic = monotonic
        self._rooms: list[_SimulatedRoom] = []
        self._hosts: list[str] = []
        self._screen_keys: dict[str, str] = {}
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._serving = False  # set once the server side is prepared

    def open(
        self,
        workdir: Path,
        settings: ConnectionSettings,
        *,
        epoch_floor: int,
        heartbeat_s: float = 30.0,
    ) -> None:
        """Connect a monitor per room device and, with a server, book the rooms' day."""
        for device in self.site.devices:
            if device.kind != "room" or device.room is None:
                continue
            outbox = Outbox(workdir / f"{device.id}.sqlite", durable=False, epoch_floor=epoch_floor)
            publisher = DevicePublisher(
                site=self.site.site.id,
                device=device.id,
                kind=Kind.ROOM,
                outbox=outbox,
                settings=settings,
                clock=self._clock,
                heartbeat_s=heartbeat_s,
                monotonic=self._monotonic,
            )
            self._rooms.append(_SimulatedRoom(device.room, publisher, outbox))
        self.stats.rooms = len(self._rooms)
        now = self._clock.now()
        for room in self._rooms:
            room.publisher.start(now)
            room.publisher.emit(
                RoomDisplayChanged, now, room=room.room, connector="HDMI-A-1", connected=True
            )
            room.next_change = self._monotonic() + self._random.uniform(0, self.cycle_s)
        if self.server_url is not None and self._rooms:
            # On a thread of its own: the demo's server may share the caller's event loop.
            threading.Thread(target=self._prepare_guarded, name="room-sim", daemon=True).start()

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the first bookings and sessions are made (or that failed)."""
        return self._ready.wait(timeout)

    def _prepare_guarded(self) -> None:
        try:
            self._prepare_server()
        except (ConnectError, KeyError) as exc:
            log.warning("room simulation: no bookings or sessions (%s)", exc)
            self.stats.errors.append(str(exc))
        else:
            self._serving = True
        finally:
            self._ready.set()

    def _prepare_server(self) -> None:
        assert self.server_url is not None
        with self._lock:
            self._prepare_locked()

    def _prepare_locked(self) -> None:
        assert self.server_url is not None
        facilities = ServerClient(TrustedServer(self.server_url))
        facilities.sign_in("demo-facilities", None)
        for room in self._rooms:
            links = facilities.call("GET", f"/api/rooms/{room.room}/links")
            self._screen_keys[room.room] = links["screen_url"].rsplit("key=", 1)[1]
        people = facilities.call("GET", "/api/people?query=&limit=200")
        self._hosts = [p["staff_id"] for p in people if p.get("role") == "staff"]
        if not self._hosts:
            raise ConnectError("the server lists no demo staff to act as hosts")
        now = self._clock.now().astimezone(UTC)
        for room in self._rooms:
            roll = self._random.random()
            if roll < 0.55:
                # A meeting running now: booked a little while ago, the host pairs at once.
                start = now - timedelta(minutes=self._random.randint(0, 10))
                self._start_session(room, self._book(room, start, 60))
            elif roll < 0.7:
                # A no-show: booked from 14 minutes ago, nobody comes; released after the grace.
                self._book(room, now - timedelta(minutes=14), 60)
                self.stats.no_shows += 1
            self._book(room, now + timedelta(minutes=self._random.choice((75, 90, 120))), 45)

    def _host(self) -> ServerClient:
        assert self.server_url is not None
        client = ServerClient(TrustedServer(self.server_url))
        client.sign_in(self._random.choice(self._hosts), None)
        return client

    def _book(self, room: _SimulatedRoom, start: datetime, minutes: int) -> ServerClient:
        """Book the room as a random host; returns that host (who then runs the meeting)."""
        host = self._host()
        body = {
            "title": self._random.choice(TITLES),
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(minutes=minutes)).isoformat(),
        }
        try:
            host.call("POST", f"/api/rooms/{room.room}/bookings", body)
            self.stats.bookings += 1
        except ConnectError as exc:
            log.info("room simulation: booking refused: %s", exc)
        return host

    def _start_session(self, room: _SimulatedRoom, host: ServerClient) -> None:
        assert self.server_url is not None
        screen = ServerClient(TrustedServer(self.server_url))
        key = self._screen_keys[room.room]
        state: dict[str, Any] = screen.call("GET", f"/api/rooms/{room.room}/screen-state?key={key}")
        if state["room"]["session"] is not None or state["code"] is None:
            return
        body = {"code": state["code"]["code"], "room": room.room}
        try:
            try:
                paired = host.call("POST", "/api/pairing", body)
            except ConnectError as exc:
                if exc.code != "booked_by_another":
                    raise
                # The room is still booked by someone whose meeting ended early: a meeting of
                # this host's own, as a walk-in group would answer.
                paired = host.call("POST", "/api/pairing", body | {"booking": "own"})
        except ConnectError as exc:
            log.info("room simulation: pairing refused: %s", exc)
            return
        session = paired["session"]["id"]
        pages = self._random.randint(3, 12)
        material = host.call(
            "POST",
            f"/api/sessions/{session}/materials?filename=agenda.pdf&kind=agenda",
            raw=agenda_pdf(pages),
            content_type="application/pdf",
        )
        host.call(
            "POST",
            f"/api/sessions/{session}/show",
            {"material_id": material["id"], "page": self._random.randint(1, pages)},
        )
        room.session, room.host = session, host
        self.stats.sessions += 1
        now = self._clock.now()
        self._set(room, now, occupied=True, casting=True)

    def tick(self) -> None:
        """Heartbeats, and now and then a meeting ends or a walk-in one starts."""
        # Never wait here: the desks' loop calls this, and the first bookings take a while.
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._tick_locked()
        finally:
            self._lock.release()

    def _tick_locked(self) -> None:
        mono = self._monotonic()
        now = self._clock.now()
        for room in self._rooms:
            room.publisher.heartbeat_if_due(now)
            if mono < room.next_change:
                continue
            room.next_change = mono + self.cycle_s * self._random.uniform(0.5, 1.5)
            try:
                self._change(room, now)
            except ConnectError as exc:
                log.info("room simulation: %s", exc)

    def _change(self, room: _SimulatedRoom, now: datetime) -> None:
        if room.session is not None and room.host is not None:
            if self._random.random() < 0.3:
                room.host.call("POST", f"/api/sessions/{room.session}/end")
                self.stats.ended += 1
                room.session = room.host = None
                self._set(room, now, occupied=False, casting=False)
        elif self._serving and self._random.random() < 0.25:
            self._start_session(room, self._book(room, self._clock.now().astimezone(UTC), 30))
        elif room.occupied != (self._random.random() < 0.2):
            self._set(room, now, occupied=not room.occupied, casting=False)

    def _set(self, room: _SimulatedRoom, now: datetime, *, occupied: bool, casting: bool) -> None:
        if occupied != room.occupied:
            room.occupied = occupied
            room.publisher.emit(RoomOccupancyChanged, now, room=room.room, occupied=occupied)
        if casting != room.casting:
            room.casting = casting
            room.publisher.emit(
                RoomCastChanged, now, room=room.room, casting=casting, source="HDMI-A-2"
            )

    def stop(self) -> None:
        for room in self._rooms:
            room.publisher.stop(drain_s=1.0)
            room.outbox.close()
