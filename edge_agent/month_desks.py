"""Who comes in on a simulated working day and where they sit: remote and away days, claims,
QR check-ins, no-shows, absences from the desk, and desks taken zone by zone."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from edge_agent.month_happenings import Claim, MarkRemote, Presence, ScanQr
from edge_agent.month_truth import TICK, MonthSettings, OfficeMonth, PersonDay, on_grid
from firmware_config.site import Floor, Site


class People:
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


class Seats:
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


def plan_people(
    month: OfficeMonth, people: People, seats: Seats, day: date, rng: random.Random
) -> None:
    tz = month.tz
    s = people.settings
    policy = month.site.policy
    grace = timedelta(minutes=policy.no_show_grace_min)

    def at(hour: int, minute: int = 0, plus: float = 0.0) -> datetime:
        return on_grid(datetime.combine(day, time(hour, minute), tz) + timedelta(minutes=plus))

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
    for start, end in sorted((on_grid(a), on_grid(b)) for a, b in spans):
        start, end = max(start, arrival + TICK), min(end, departure - TICK)
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)
