"""A simulated stretch of office weeks, planned ahead: what every person and room does, when.

Deterministic in its seed. Each working day every member of staff works remotely (and marks
it), is away (leave, business elsewhere), or comes in: claims a desk in the app and checks in
(by the desk's sensor or its QR code), or just sits down; some claim and never come, some
leave their desk for hours. Desks are taken in the department's zones, filling zones in order
when the site consolidates zones, spread over them when it does not. Meeting rooms host booked
and unbooked meetings: material shared on the screen, a laptop cast over HDMI, paper, breaks
that end a session and a re-pairing after them, no-shows and weekly series nobody uses.

Every time is on a 10-minute grid, so the server's timed rules (no-show grace, away too long,
session end after an empty room) fall on the ticks a replay sweeps at. The plan is also the
ground truth a replay's figures are checked against: `days`, `meetings` and `desk_day`.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from firmware_config.site import Floor, Room, Site

TICK = timedelta(minutes=10)
GRID_MIN = 10
DAY_OPENS = time(7, 0)  # every desk reports "nobody" on the first morning
MARKS_AT = time(7, 30)  # remote marks and the day's room bookings are made
PAPERLESS = frozenset({"materials", "cast", "walk_in", "break", "walk_in_break"})
BREAKS = frozenset({"break", "walk_in_break"})
UNBOOKED = frozenset({"walk_in", "walk_in_break"})


def subset(site: Site, floors: frozenset[str]) -> Site:
    """The site with only `floors` (their zones, desks, rooms, APs) and the devices serving
    them: a smaller city hall that replays faster."""
    buildings = [
        b.model_copy(update={"floors": [f for f in b.floors if f.id in floors]})
        for b in site.buildings
    ]
    kept = [f for b in buildings for f in b.floors]
    desks = {d.id for f in kept for d in f.desks}
    rooms = {r.id for f in kept for r in f.rooms}
    aps = {a.id for f in kept for a in f.access_points}
    zones = {z.id for f in kept for z in f.zones}
    devices = [
        d
        for d in site.devices
        if (d.desks and set(d.desks) <= desks) or d.room in rooms or d.access_point in aps
    ]
    policy = site.policy.model_copy(
        update={"zone_order": [z for z in site.policy.zone_order if z in zones]}
    )
    return site.model_copy(
        update={
            "buildings": [b for b in buildings if b.floors],
            "devices": devices,
            "policy": policy,
        }
    )


def read_staff(path: Path) -> list[tuple[str, str | None]]:
    """(staff_id, department) of every row of a staff CSV."""
    with path.open(encoding="utf-8", newline="") as f:
        return [(row["staff_id"], row.get("department") or None) for row in csv.DictReader(f)]


@dataclass(frozen=True, slots=True)
class MonthSettings:
    """How people behave; the defaults give a city hall at about 70 % of its desks."""

    first: date
    days: int
    seed: int = 1
    remote_min: float = 0.08  # each department's share of staff working remotely a day
    remote_max: float = 0.30
    away_share: float = 0.22  # on leave, at a counter elsewhere, on business
    claim_share: float = 0.45  # of those who come: claim in the app (the rest just sit down)
    qr_share: float = 0.3  # of claimers: check in by the desk's QR code
    no_show_share: float = 0.04  # of claimers: claim and never come
    long_away_share: float = 0.04  # of those who come: leave the desk for 2-4 hours
    paperless_min: float = 0.35  # each department's paperless propensity, first month
    paperless_max: float = 0.95
    paperless_gain: float = 0.06  # added to every department's propensity per month
    meetings_per_room: float = 3.0  # per room and working day, on average


# -- what happens --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Presence:
    at: datetime
    desk: str
    present: bool


@dataclass(frozen=True, slots=True)
class Claim:
    at: datetime
    staff_id: str
    desk: str


@dataclass(frozen=True, slots=True)
class ScanQr:
    at: datetime
    staff_id: str
    desk: str


@dataclass(frozen=True, slots=True)
class MarkRemote:
    at: datetime
    staff_id: str


@dataclass(frozen=True, slots=True)
class RoomSensed:
    at: datetime
    room: str
    occupied: bool


@dataclass(frozen=True, slots=True)
class RoomCast:
    at: datetime
    room: str
    casting: bool


@dataclass(frozen=True, slots=True)
class RoomHeartbeat:
    at: datetime
    room: str


@dataclass(frozen=True, slots=True)
class Book:
    at: datetime
    staff_id: str
    room: str
    starts_at: datetime
    ends_at: datetime
    weekly: int = 1


@dataclass(frozen=True, slots=True)
class Pair:
    """The host types the room screen's code: starts the session `session`."""

    at: datetime
    staff_id: str
    room: str
    session: str


@dataclass(frozen=True, slots=True)
class Attach:
    at: datetime
    staff_id: str
    session: str
    pages: int


@dataclass(frozen=True, slots=True)
class OpenMaterials:
    at: datetime
    session: str
    viewer: str
    signed_in: bool


@dataclass(frozen=True, slots=True)
class EndSession:
    at: datetime
    staff_id: str
    session: str


Happening = (
    Presence
    | Claim
    | ScanQr
    | MarkRemote
    | RoomSensed
    | RoomCast
    | RoomHeartbeat
    | Book
    | Pair
    | Attach
    | OpenMaterials
    | EndSession
)
# Within one tick: bookings and claims before people sit down (a claim of a desk someone sits
# at is refused), sensors before sessions, hosts ending sessions before the sweep.
ORDER = {
    Book: 0,
    MarkRemote: 1,
    Claim: 2,
    Presence: 3,
    ScanQr: 4,
    RoomSensed: 5,
    RoomCast: 6,
    RoomHeartbeat: 7,
    Pair: 8,
    Attach: 9,
    OpenMaterials: 10,
    EndSession: 11,
}


# -- ground truth --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonDay:
    """One person's working day: `kind` is office, remote, away or no_show."""

    staff_id: str
    department: str | None
    day: date
    kind: str
    desk: str | None = None
    claimed_at: datetime | None = None
    arrival: datetime | None = None
    departure: datetime | None = None
    absences: tuple[tuple[datetime, datetime], ...] = ()
    qr: bool = False

    @property
    def present(self) -> list[tuple[datetime, datetime]]:
        """When the person sat at their desk."""
        if self.arrival is None or self.departure is None:
            return []
        spans, cursor = [], self.arrival
        for start, end in self.absences:
            spans.append((cursor, start))
            cursor = end
        spans.append((cursor, self.departure))
        return spans


@dataclass(frozen=True, slots=True)
class PlannedMeeting:
    """A meeting as the KPI should count it (`counted`) and judge it."""

    room: str
    department: str | None
    starts_at: datetime
    ends_at: datetime
    kind: str
    counted: bool
    paperless: bool
    pages: int = 0
    viewers: int = 0  # distinct viewer ids that opened the materials
    capacity: int = 1
    series: bool = False

    @property
    def pages_not_printed(self) -> int:
        return self.pages * max(1, min(self.viewers, self.capacity)) if self.paperless else 0


@dataclass
class OfficeMonth:
    """The plan: what happens in time order, and the truth to check figures against."""

    site: Site
    settings: MonthSettings
    consolidate: bool
    tz: ZoneInfo
    happenings: list[Happening] = field(default_factory=list)
    days: list[PersonDay] = field(default_factory=list)
    meetings: list[PlannedMeeting] = field(default_factory=list)
    workdays: list[date] = field(default_factory=list)
    desks: list[str] = field(default_factory=list)
    rooms_with_sensor: frozenset[str] = frozenset()

    @property
    def start(self) -> datetime:
        return datetime.combine(self.settings.first, time(0), self.tz)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.settings.days)

    def ticks(self) -> Iterator[datetime]:
        """Every tick a replay sweeps at: working days from 07:00 to the end of the day, when
        every hold is released (nothing happens later)."""
        closing = time.fromisoformat(self.site.policy.end_of_day)
        for day in self.workdays:
            at = datetime.combine(day, DAY_OPENS, self.tz)
            last = datetime.combine(day, closing, self.tz)
            while at <= last:
                yield at
                at += TICK

    def sorted_happenings(self) -> list[Happening]:
        return sorted(self.happenings, key=lambda h: (h.at, ORDER[type(h)]))


# -- planning --------------------------------------------------------------------------------


def plan_month(
    site: Site,
    staff: Sequence[tuple[str, str | None]],
    settings: MonthSettings,
    *,
    consolidate: bool | None = None,
) -> OfficeMonth:
    """Plan `settings.days` days from `settings.first` for the site: its desks and rooms, and
    the staff of departments with zones there (`consolidate` overrides the site's policy)."""
    tz = ZoneInfo(site.site.timezone)
    use = site.policy.consolidate_zones if consolidate is None else consolidate
    month = OfficeMonth(site, settings, use, tz)
    chosen = site.floors()
    people = _People(site, chosen, staff, settings)
    month.desks = [d.id for f in chosen for d in f.desks]
    rooms = [(r, f.id) for f in chosen for r in f.rooms]
    month.rooms_with_sensor = frozenset(r.id for i, (r, _) in enumerate(rooms) if i % 4 != 3)
    month.workdays = [
        settings.first + timedelta(days=i)
        for i in range(settings.days)
        if (settings.first + timedelta(days=i)).weekday() < 5
    ]
    seats = _Seats(site, chosen, use, tz, settings.seed)
    opening = datetime.combine(settings.first, DAY_OPENS, tz)
    month.happenings += [Presence(opening, desk, False) for desk in month.desks]
    for index, day in enumerate(month.workdays):
        rng = random.Random(f"{settings.seed}/{day.isoformat()}")
        _plan_people(month, people, seats, day, rng)
        _plan_rooms(month, people, rooms, day, rng, index)
    return month


class _People:
    """Staff of the chosen floors' departments, and per-department propensities."""

    def __init__(
        self,
        site: Site,
        floors: Sequence[Floor],
        staff: Sequence[tuple[str, str | None]],
        settings: MonthSettings,
    ) -> None:
        departments = {
            zone.department
            for floor in site.floors()
            if floor in floors
            for zone in floor.zones
            if zone.department
        }
        self.staff: list[tuple[str, str | None]] = [(s, d) for s, d in staff if d in departments]
        rng = random.Random(f"{settings.seed}/departments")
        self.remote = {
            d: rng.uniform(settings.remote_min, settings.remote_max) for d in sorted(departments)
        }
        self.paperless = {
            d: rng.uniform(settings.paperless_min, settings.paperless_max)
            for d in sorted(departments)
        }
        self.settings = settings
        # Each person's checked-in desks, most recent first: anti-fixation's memory.
        self.recent: dict[str, list[str]] = {}


class _Seats:
    """Which desk a person takes: their department's zones first, in fill order or spread."""

    def __init__(
        self, site: Site, floors: Sequence[Floor], consolidate: bool, tz: ZoneInfo, seed: int
    ) -> None:
        order = list(site.policy.zone_order)
        self.zone_desks: dict[str, list[str]] = {}
        self.zone_floor: dict[str, str] = {}
        self.dept_zones: dict[str, list[str]] = {}
        for floor in site.floors():
            if floor not in floors:
                continue
            for zone in floor.zones:
                if zone.id not in order:
                    order.append(zone.id)
            for desk in floor.desks:
                self.zone_desks.setdefault(desk.zone, []).append(desk.id)
                self.zone_floor[desk.zone] = floor.id
            for zone in floor.zones:
                if zone.department:
                    self.dept_zones.setdefault(zone.department, []).append(zone.id)
        rank = {z: i for i, z in enumerate(order)}
        self.zones = sorted(self.zone_desks, key=lambda z: rank[z])
        for zones in self.dept_zones.values():
            zones.sort(key=lambda z: rank[z])
        self.consolidate = consolidate
        self.busy_until: dict[str, datetime] = {}
        self.seed = seed

    def free(self, zone: str, at: datetime, avoid: str | None) -> list[str]:
        return [d for d in self.zone_desks[zone] if d != avoid and self.busy_until.get(d, at) <= at]

    def take(
        self,
        department: str | None,
        at: datetime,
        until: datetime,
        rng: random.Random,
        avoid: str | None = None,
    ) -> str | None:
        """A free desk at `at`, reserved until `until`; None when the floors are full."""
        own = self.dept_zones.get(department or "", [])
        floors = {self.zone_floor[z] for z in own}
        near = [z for z in self.zones if z not in own and self.zone_floor[z] in floors]
        rest = [z for z in self.zones if z not in own and z not in near]
        for zones in (own, near, rest):
            if self.consolidate:
                for zone in zones:
                    free = self.free(zone, at, avoid)
                    if free:
                        return self._reserve(rng.choice(free), until)
            else:
                free = [d for zone in zones for d in self.free(zone, at, avoid)]
                if free:
                    return self._reserve(rng.choice(free), until)
        return None

    def _reserve(self, desk: str, until: datetime) -> str:
        self.busy_until[desk] = until
        return desk


def _grid(when: datetime) -> datetime:
    """`when` on the grid (nearest)."""
    minutes = round((when.hour * 60 + when.minute + when.second / 60) / GRID_MIN) * GRID_MIN
    return when.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(minutes=minutes)


def _plan_people(
    month: OfficeMonth, people: _People, seats: _Seats, day: date, rng: random.Random
) -> None:
    tz = month.tz
    s = people.settings
    policy = month.site.policy
    grace = timedelta(minutes=policy.no_show_grace_min)

    def at(hour: int, minute: int = 0, plus: float = 0.0) -> datetime:
        return _grid(datetime.combine(day, time(hour, minute), tz) + timedelta(minutes=plus))

    arrivals: list[tuple[datetime, str, str | None, str]] = []
    for staff_id, department in people.staff:
        if rng.random() < people.remote.get(department or "", 0.0):
            month.happenings.append(MarkRemote(at(7, 30), staff_id))
            month.days.append(PersonDay(staff_id, department, day, "remote"))
            continue
        if rng.random() < s.away_share:
            month.days.append(PersonDay(staff_id, department, day, "away"))
            continue
        arrival = at(8, 0, rng.triangular(0, 120, 45))
        arrivals.append((arrival, staff_id, department, "office"))
    arrivals.sort(key=lambda a: (a[0], a[1]))
    for arrival, staff_id, department, _ in arrivals:
        claims = rng.random() < s.claim_share
        if claims and rng.random() < s.no_show_share:
            asked = at(8, 0, rng.uniform(0, 90))
            held = seats.take(department, asked, asked + grace + TICK, rng)
            if held is not None:
                month.happenings.append(Claim(asked, staff_id, held))
                month.days.append(
                    PersonDay(staff_id, department, day, "no_show", held, claimed_at=asked)
                )
            continue
        departure = at(17, 0, rng.triangular(0, 150, 60))
        absences = _absences(arrival, departure, day, tz, rng, s.long_away_share)
        lead = TICK * rng.randint(0, 2) if claims else timedelta(0)
        claimed = max(arrival - lead, at(7, 30)) if claims else None
        recent = people.recent.get(staff_id, [])
        fixed = (
            recent[0]
            if len(recent) >= policy.max_same_desk_days
            and len(set(recent[: policy.max_same_desk_days])) == 1
            else None
        )
        desk = seats.take(department, claimed or arrival, departure, rng, avoid=fixed)
        if desk is None:
            month.days.append(PersonDay(staff_id, department, day, "away"))
            continue
        qr = claims and rng.random() < s.qr_share
        person_day = PersonDay(
            staff_id,
            department,
            day,
            "office",
            desk,
            claimed_at=claimed,
            arrival=arrival,
            departure=departure,
            absences=absences,
            qr=qr,
        )
        month.days.append(person_day)
        if claimed is not None:
            month.happenings.append(Claim(claimed, staff_id, desk))
            people.recent[staff_id] = [desk, *recent][:10]
            if qr:
                month.happenings.append(ScanQr(arrival, staff_id, desk))
        for start, end in person_day.present:
            month.happenings.append(Presence(start, desk, True))
            month.happenings.append(Presence(end, desk, False))


def _absences(
    arrival: datetime,
    departure: datetime,
    day: date,
    tz: ZoneInfo,
    rng: random.Random,
    long_share: float,
) -> tuple[tuple[datetime, datetime], ...]:
    spans: list[tuple[datetime, datetime]] = []
    if rng.random() < 0.85:
        start = datetime.combine(day, time(11, 50), tz) + timedelta(minutes=rng.uniform(0, 40))
        spans.append((start, start + timedelta(minutes=rng.uniform(30, 60))))
    for _ in range(rng.choice((0, 1, 1, 2))):
        length = timedelta(minutes=rng.choice((30, 45, 60, 90)))
        earliest, latest = (
            arrival + timedelta(minutes=15),
            departure - length - timedelta(minutes=15),
        )
        if latest > earliest:
            start = earliest + (latest - earliest) * rng.random()
            spans.append((start, start + length))
    for _ in range(rng.randint(0, 2)):
        start = arrival + (departure - arrival) * rng.random()
        spans.append((start, start + timedelta(minutes=rng.uniform(5, 12))))
    if rng.random() < long_share:
        start = datetime.combine(day, time(10, 0), tz) + timedelta(minutes=rng.uniform(0, 240))
        spans.append((start, start + timedelta(minutes=rng.uniform(120, 240))))
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted((_grid(a), _grid(b)) for a, b in spans):
        start, end = max(start, arrival + TICK), min(end, departure - TICK)
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


# -- meeting rooms ---------------------------------------------------------------------------


def _plan_rooms(
    month: OfficeMonth,
    people: _People,
    rooms: Sequence[tuple[Room, str]],
    day: date,
    rng: random.Random,
    day_index: int,
) -> None:
    tz = month.tz
    hosts = [d for d in month.days if d.day == day and d.kind == "office"]
    if not hosts:
        return
    first = month.settings.first
    month_index = (day.year - first.year) * 12 + day.month - first.month
    for number, (room, _floor) in enumerate(rooms):
        room_id, capacity = room.id, room.capacity
        sensor = room_id in month.rooms_with_sensor
        if day_index == 0 and number % 5 == 0 and sensor:
            _plan_series(month, hosts, room_id, capacity, day, rng)
        cursor = datetime.combine(day, time(9, 0), tz) + TICK * rng.randint(0, 6)
        closing = datetime.combine(day, time(17, 30), tz)
        while True:
            meets = rng.random() < month.settings.meetings_per_room / 5
            host = rng.choice(hosts)
            propensity = (
                people.paperless.get(host.department or "", 0.5)
                + month_index * month.settings.paperless_gain
            )
            kind = _meeting_kind(rng, rng.random() < propensity, sensor)
            # A meeting with a break needs its booking to run past the re-pairing at +60 min.
            minutes = 90 if kind in BREAKS else rng.choice((30, 60, 60, 90))
            length = timedelta(minutes=minutes)
            if cursor + length > closing:
                break
            if meets:
                _plan_meeting(month, hosts, kind, host, room_id, capacity, cursor, length, rng)
            cursor += length + TICK * rng.randint(2, 6)


def _meeting_kind(rng: random.Random, paperless: bool, sensor: bool) -> str:
    if paperless:
        kinds = ["materials"] * 6 + ["cast"] * 2 + ["walk_in"]
        if sensor:
            kinds += ["break", "walk_in_break"]
        return rng.choice(kinds)
    kinds = ["no_material", "no_show"] + (["paper", "paper", "paper"] if sensor else [])
    return rng.choice(kinds)


def _plan_meeting(
    month: OfficeMonth,
    hosts: Sequence[PersonDay],
    kind: str,
    host: PersonDay,
    room: str,
    capacity: int,
    start: datetime,
    length: timedelta,
    rng: random.Random,
) -> None:
    end = start + length
    add = month.happenings.append
    sensor = room in month.rooms_with_sensor
    who = host.staff_id
    key = f"{room}/{start.isoformat()}"
    if kind not in UNBOOKED:
        add(Book(datetime.combine(start.date(), MARKS_AT, month.tz), who, room, start, end))
    pages = viewers = 0
    if sensor and kind != "no_show":
        add(RoomSensed(start, room, True))
        add(RoomSensed(end, room, False))
    if kind == "cast":
        add(RoomCast(start, room, True))
        add(RoomCast(end, room, False))
    elif kind in ("materials", "no_material", "walk_in"):
        with_pdf = kind != "no_material"
        pages, viewers = _session(month, hosts, key, who, room, capacity, start, end, with_pdf, rng)
    elif kind in BREAKS:
        # Everyone leaves at +40 min: the session ends by itself 10 min later; back at +60,
        # the host pairs again and shares the material.
        gone, back = start + timedelta(minutes=40), start + timedelta(minutes=60)
        add(RoomSensed(gone, room, False))
        add(RoomSensed(back, room, True))
        add(Pair(start, who, room, key + "/1"))
        for tick in _ticks(start, gone + timedelta(minutes=10)):
            add(RoomHeartbeat(tick, room))
        pages, viewers = _session(
            month, hosts, key + "/2", who, room, capacity, back, end, True, rng
        )
    month.meetings.append(
        PlannedMeeting(
            room=room,
            department=host.department,
            starts_at=start,
            ends_at=end,
            kind=kind,
            counted=kind != "no_show",
            paperless=kind in PAPERLESS,
            pages=pages,
            viewers=viewers,
            capacity=capacity,
        )
    )


def _session(
    month: OfficeMonth,
    hosts: Sequence[PersonDay],
    key: str,
    who: str,
    room: str,
    capacity: int,
    start: datetime,
    end: datetime,
    material: bool,
    rng: random.Random,
) -> tuple[int, int]:
    """A paired session from `start` to `end`, ended by its host; (pages, distinct viewers)."""
    add = month.happenings.append
    add(Pair(start, who, room, key))
    for tick in _ticks(start, end):
        add(RoomHeartbeat(tick, room))
    add(EndSession(end, who, key))
    if not material:
        return 0, 0
    pages = rng.randint(3, 12)
    add(Attach(start, who, key, pages))
    viewers: set[str] = set()
    for person in rng.sample(list(hosts), min(len(hosts), rng.randint(1, capacity))):
        add(OpenMaterials(start + TICK, key, person.staff_id, True))
        viewers.add(person.staff_id)
    if rng.random() < 0.15:
        # A viewer link reloaded without cookies: each load looks like a new attendee.
        for n in range(20):
            viewer = f"anon-{key}-{n}"
            add(OpenMaterials(start + TICK, key, viewer, False))
            viewers.add(viewer)
    return pages, len(viewers)


def _plan_series(
    month: OfficeMonth,
    hosts: Sequence[PersonDay],
    room: str,
    capacity: int,
    day: date,
    rng: random.Random,
) -> None:
    """A weekly series of four at 08:30 that is used once: a ghost meeting."""
    host = rng.choice(list(hosts))
    start = datetime.combine(day, time(8, 30), month.tz)
    length = timedelta(minutes=30)
    # Only occurrences inside the plan: a later one would stay booked, never judged.
    weeks = sum(1 for week in range(4) if start + timedelta(weeks=week) < month.end)
    marks = datetime.combine(day, MARKS_AT, month.tz)
    month.happenings.append(Book(marks, host.staff_id, room, start, start + length, weeks))
    for week in range(weeks):
        when = start + timedelta(weeks=week)
        used = week == 1
        if used:
            month.happenings.append(RoomSensed(when, room, True))
            month.happenings.append(RoomSensed(when + length, room, False))
        month.meetings.append(
            PlannedMeeting(
                room=room,
                department=host.department,
                starts_at=when,
                ends_at=when + length,
                kind="series_paper" if used else "series_no_show",
                counted=used,
                paperless=False,
                capacity=capacity,
                series=True,
            )
        )


def _ticks(start: datetime, end: datetime) -> Iterator[datetime]:
    at = start
    while at <= end:
        yield at
        at += TICK
