"""Replays a planned office month (edge_agent.office_month) into a server's database at high
speed: device events through the real ingest handler, people's actions through the real
seating, rooms and remote-work services, and the ticker's sweeps every 10 simulated minutes.

No broker and no wall clock: the server's clock is set to each happening's time, so a month
folds in about a minute. The replay is strict: a refused action or a message the ingest did
not apply means plan and server disagree, and it stops with what happened.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from contracts import (
    DeskPresenceChanged,
    DeviceState,
    RoomCastChanged,
    RoomOccupancyChanged,
    SensorClass,
    build_topic,
    encode,
)
from edge_agent.month_happenings import (
    Attach,
    Book,
    Claim,
    EndSession,
    Happening,
    MarkRemote,
    OpenMaterials,
    Pair,
    Presence,
    RoomCast,
    RoomHeartbeat,
    RoomSensed,
    ScanQr,
)
from edge_agent.month_truth import OfficeMonth
from edge_agent.room_simulation import TITLES, agenda_pdf
from server.adapters.pdf_inspector import PypdfInspector
from server.adapters.people_repository import SqlPeopleStore
from server.composition.runtime import Runtime
from server.domain.people import Person
from server.domain.refusals import Refusal
from server.services.ingest_batch import Inbound
from server.services.room_directory import Actor
from server.settings import Settings

log = logging.getLogger(__name__)

DEVICE_EVENTS = (Presence, RoomSensed, RoomCast, RoomHeartbeat)


class ReplayClock:
    """The server's clock during a replay: it reads what the replay last set."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when


class ReplayError(Exception):
    """The server refused or did not apply something the plan did."""


@dataclass
class ReplayReport:
    happenings: int = 0
    device_messages: int = 0
    commands: int = 0
    sweeps: int = 0
    releases: int = 0
    sessions_ended: int = 0
    bookings_released: int = 0
    seconds: float = 0.0
    commands_by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def __str__(self) -> str:
        return (
            f"{self.happenings} happenings ({self.device_messages} device messages, "
            f"{self.commands} commands), {self.sweeps} sweeps: {self.releases} desk releases, "
            f"{self.sessions_ended} sessions ended and {self.bookings_released} bookings "
            f"released by the ticker; {self.seconds:.1f} s"
        )


def replay_month(
    month: OfficeMonth,
    database_url: str,
    *,
    progress: Callable[[datetime], None] | None = None,
) -> ReplayReport:
    """Fold `month` into the database at `database_url` (created or migrated first), with the
    demo staff directory loaded; returns what was done."""
    clock = ReplayClock(month.start)
    settings = Settings(database_url=database_url, demo_mode=True, enable_mqtt=False)
    runtime = Runtime.open(settings, clock, month.site)
    try:
        return _Replay(month, runtime, clock).run(progress)
    finally:
        runtime.close()


class _Replay:
    def __init__(self, month: OfficeMonth, rt: Runtime, clock: ReplayClock) -> None:
        self.month = month
        self.rt = rt
        self.clock = clock
        assert rt.rooms is not None
        self.rooms = rt.rooms
        self.site_id = month.site.site.id
        self.desk_device: dict[str, tuple[str, SensorClass]] = {}
        self.room_device: dict[str, str] = {}
        for device in month.site.devices:
            for desk in device.desks:
                self.desk_device[desk] = (device.id, device.sensor or SensorClass.SIMULATED)
            if device.kind == "room" and device.room:
                self.room_device[device.room] = device.id
        self.seq: dict[str, int] = defaultdict(int)
        self.people = SqlPeopleStore(rt.engine)
        self.known: dict[str, Person] = {}
        self.sessions: dict[str, tuple[int, str]] = {}
        self.inspector = PypdfInspector()
        self.report = ReplayReport()

    def run(self, progress: Callable[[datetime], None] | None) -> ReplayReport:
        started = time.monotonic()
        happenings = self.month.sorted_happenings()
        self.report.happenings = len(happenings)
        cursor = 0
        day = None
        for tick in self.month.ticks():
            upto = cursor
            while upto < len(happenings) and happenings[upto].at <= tick:
                upto += 1
            self._apply(happenings[cursor:upto])
            cursor = upto
            self.clock.set(tick)
            self._sweep(tick)
            if progress is not None and tick.date() != day:
                day = tick.date()
                progress(tick)
        self._apply(happenings[cursor:])
        self.clock.set(self.month.end)
        self.report.seconds = time.monotonic() - started
        return self.report

    # -- applying ----------------------------------------------------------------------------

    def _apply(self, items: Sequence[Happening]) -> None:
        """Apply in order; consecutive device events of one moment go in one ingest batch."""
        batch: list[Inbound] = []
        for item in items:
            if self.clock.now() != item.at:
                self._flush(batch)
                self.clock.set(item.at)
            if isinstance(item, DEVICE_EVENTS):
                batch.append(self._message(item))
                continue
            self._flush(batch)
            self._command(item)
        self._flush(batch)

    def _flush(self, batch: list[Inbound]) -> None:
        if not batch:
            return
        outcome = self.rt.ingest.apply_batch(batch)
        if outcome.quarantined or outcome.stale or outcome.duplicates:
            raise ReplayError(
                f"ingest did not apply {len(batch)} messages at {batch[0].received_at}: "
                f"{outcome.quarantined} quarantined {dict(outcome.quarantine_kinds)}, "
                f"{outcome.stale} stale, {outcome.duplicates} duplicates"
            )
        self.report.device_messages += len(batch)
        batch.clear()

    def _message(self, item: Happening) -> Inbound:
        at = item.at
        if isinstance(item, Presence):
            device, sensor = self.desk_device[item.desk]
            event: object = DeskPresenceChanged(
                device=device,
                epoch=1,
                seq=self._next(device),
                at=at,
                desk=item.desk,
                present=item.present,
                sensor=sensor,
            )
            return self._inbound("desk", device, "event", event, at)
        assert isinstance(item, (RoomSensed, RoomCast, RoomHeartbeat))
        device = self.room_device[item.room]
        if isinstance(item, RoomSensed):
            event = RoomOccupancyChanged(
                device=device,
                epoch=1,
                seq=self._next(device),
                at=at,
                room=item.room,
                occupied=item.occupied,
            )
        elif isinstance(item, RoomCast):
            event = RoomCastChanged(
                device=device,
                epoch=1,
                seq=self._next(device),
                at=at,
                room=item.room,
                casting=item.casting,
                source="card0-HDMI-A-2",
            )
        else:
            state = DeviceState(
                device=device, epoch=1, seq=self.seq[device], at=at, interval_s=30.0
            )
            return self._inbound("room", device, "state", state, at)
        return self._inbound("room", device, "event", event, at)

    def _inbound(
        self, kind: str, device: str, channel: str, event: object, at: datetime
    ) -> Inbound:
        topic = build_topic(self.site_id, kind, device, channel)
        return Inbound(topic, encode(event), at)  # type: ignore[arg-type]

    def _next(self, device: str) -> int:
        self.seq[device] += 1
        return self.seq[device]

    def _person(self, staff_id: str) -> Person:
        person = self.known.get(staff_id)
        if person is None:
            found = self.people.person(staff_id)
            if found is None:
                raise ReplayError(f"{staff_id} is not in the staff directory")
            person = self.known[staff_id] = found
        return person

    def _actor(self, staff_id: str) -> Actor:
        p = self._person(staff_id)
        return Actor(p.staff_id, p.name, p.department, p.role.value)

    def _command(self, item: Happening) -> None:
        self.report.commands += 1
        self.report.commands_by_kind[type(item).__name__] += 1
        try:
            self._run_command(item)
        except Refusal as refusal:
            raise ReplayError(f"{item} was refused: {refusal!r}") from refusal

    def _run_command(self, item: Happening) -> None:
        rt, rooms = self.rt, self.rooms
        if isinstance(item, Claim):
            rt.seating.claim(self._person(item.staff_id), item.desk)
        elif isinstance(item, ScanQr):
            rt.seating.check_in(self._person(item.staff_id), item.desk, "qr")
        elif isinstance(item, MarkRemote):
            rt.insight.remote.mark(self._person(item.staff_id))
        elif isinstance(item, Book):
            title = TITLES[zlib.crc32(item.room.encode()) % len(TITLES)]
            rooms.bookings.book(
                self._actor(item.staff_id),
                item.room,
                title,
                item.starts_at,
                item.ends_at,
                item.weekly,
            )
        elif isinstance(item, Pair):
            key = rooms.directory.link_key("screen", item.room)
            screen = rooms.pairing.screen(item.room, key)
            if screen.code is None:
                raise ReplayError(f"{item.room} shows no pairing code at {item.at}")
            session, _ = rooms.pairing.pair(self._actor(item.staff_id), screen.code.code, item.room)
            self.sessions[item.session] = (session.id, session.token)
        elif isinstance(item, Attach):
            session_id, _ = self.sessions[item.session]
            rooms.materials.attach(
                self._actor(item.staff_id),
                session_id,
                "agenda.pdf",
                agenda_pdf(item.pages),
                "agenda",
                self.inspector,
            )
        elif isinstance(item, OpenMaterials):
            _, token = self.sessions[item.session]
            rooms.materials.open(token, None, item.viewer, item.signed_in)
        elif isinstance(item, EndSession):
            session_id, _ = self.sessions[item.session]
            rooms.sessions.end(self._actor(item.staff_id), session_id)
        else:
            raise ReplayError(f"cannot replay {item!r}")

    def _sweep(self, now: datetime) -> None:
        self.report.sweeps += 1
        self.report.releases += len(self.rt.ticker_seating.sweep())
        done = self.rt.ticker_rooms.jobs.run_due(now)
        self.report.sessions_ended += len(done.ended)
        self.report.bookings_released += len(done.released)
