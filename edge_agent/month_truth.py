"""A simulated month's settings and its record: the happenings in time order and the ground
truth a replay's figures are checked against (`days`, `meetings`), on a 10-minute grid."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from edge_agent.month_happenings import ORDER, Happening
from firmware_config.site import Site

TICK = timedelta(minutes=10)
GRID_MIN = 10
DAY_OPENS = time(7, 0)  # every desk reports "nobody" on the first morning
MARKS_AT = time(7, 30)  # remote marks and the day's room bookings are made


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


def on_grid(when: datetime) -> datetime:
    """`when` on the grid (nearest)."""
    minutes = round((when.hour * 60 + when.minute + when.second / 60) / GRID_MIN) * GRID_MIN
    return when.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(minutes=minutes)


def ticks_between(start: datetime, end: datetime) -> Iterator[datetime]:
    """Every tick from `start` to `end`, both included."""
    at = start
    while at <= end:
        yield at
        at += TICK
