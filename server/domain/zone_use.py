"""Zones over time, pure: one sweep of the desk history gives, per zone and day, the working
seconds with nobody present (dark), desk-seconds in use, and per group (zone, department,
floor, site) the day's peak of desks in use and of people present."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A desk is in use while someone sits there or has only stepped away; present while seen.
IN_USE = frozenset({"occupied", "away"})
PRESENT = frozenset({"occupied"})

GroupKey = tuple[str, str]  # ("zone" | "department" | "floor" | "site", id)
SITE: GroupKey = ("site", "")


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """The hours dark zones and utilisation are counted in, local time, on working weekdays."""

    start: time
    end: time
    weekdays: frozenset[int] = frozenset(range(5))  # Monday = 0

    @classmethod
    def parse(cls, text: str) -> WorkingHours:
        """From "HH:MM-HH:MM"."""
        first, last = text.split("-")
        return cls(time.fromisoformat(first), time.fromisoformat(last))

    def works(self, day: date) -> bool:
        return day.weekday() in self.weekdays

    def seconds_per_day(self) -> float:
        return (
            datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)
        ).total_seconds()


@dataclass(frozen=True, slots=True)
class DeskFact:
    """One visible desk state change."""

    desk: str
    after: str
    at: datetime


@dataclass
class ZoneDay:
    """One zone on one day: working seconds observed, of them dark, and desk-seconds in use."""

    seconds: float = 0.0
    dark: float = 0.0
    in_use: float = 0.0


@dataclass
class ZoneFold:
    """What one sweep produced."""

    zones: dict[tuple[str, date], ZoneDay] = field(default_factory=dict)
    # The day's highest count of desks in use / people present, per group; every day of the
    # window has an entry for every group.
    peak_in_use: dict[tuple[GroupKey, date], int] = field(default_factory=dict)
    peak_present: dict[tuple[GroupKey, date], int] = field(default_factory=dict)
    days: list[date] = field(default_factory=list)


def fold_zones(
    desk_zone: Mapping[str, str],
    zone_groups: Mapping[str, Sequence[GroupKey]],
    initial: Mapping[str, str],
    facts: Iterable[DeskFact],
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    hours: WorkingHours,
) -> ZoneFold:
    """Sweep [start, end) once over facts in time order (a desk missing from `initial` starts
    `unknown`). `zone_groups` lists the groups each zone counts towards, besides itself."""
    state = {desk: initial.get(desk, "unknown") for desk in desk_zone}
    groups = {z: (("zone", z), *g) for z, g in zone_groups.items()}
    for zone in set(desk_zone.values()) - groups.keys():
        groups[zone] = (("zone", zone),)
    present: dict[str, int] = defaultdict(int)
    in_use: dict[str, int] = defaultdict(int)
    g_present: dict[GroupKey, int] = defaultdict(int)
    g_in_use: dict[GroupKey, int] = defaultdict(int)
    for desk, s in state.items():
        zone = desk_zone[desk]
        p, u = s in PRESENT, s in IN_USE
        present[zone] += p
        in_use[zone] += u
        for key in groups[zone]:
            g_present[key] += p
            g_in_use[key] += u
    every_group = {key for keys in groups.values() for key in keys}
    out = ZoneFold()
    windows = _Windows(tz, hours)
    last = dict.fromkeys(groups, start)
    day = start.astimezone(tz).date()

    def open_day(d: date) -> None:
        out.days.append(d)
        for key in every_group:
            out.peak_in_use[(key, d)] = g_in_use[key]
            out.peak_present[(key, d)] = g_present[key]

    def accumulate(zone: str, until: datetime) -> None:
        since = last[zone]
        if until <= since:
            return
        last[zone] = until
        for d, seconds in windows.overlap(since, until):
            cell = out.zones.get((zone, d))
            if cell is None:
                cell = out.zones[(zone, d)] = ZoneDay()
            cell.seconds += seconds
            if present[zone] == 0:
                cell.dark += seconds
            cell.in_use += in_use[zone] * seconds

    # Changes at one instant count together: a desk freed as another is taken is no peak.
    moved: set[GroupKey] = set()
    moved_at: datetime | None = None

    def settle() -> None:
        for key in moved:
            if g_in_use[key] > out.peak_in_use[(key, day)]:
                out.peak_in_use[(key, day)] = g_in_use[key]
            if g_present[key] > out.peak_present[(key, day)]:
                out.peak_present[(key, day)] = g_present[key]
        moved.clear()

    open_day(day)
    for fact in facts:
        if fact.desk not in state or not start <= fact.at < end:
            continue
        before, after = state[fact.desk], fact.after
        state[fact.desk] = after
        dp = (after in PRESENT) - (before in PRESENT)
        du = (after in IN_USE) - (before in IN_USE)
        if not dp and not du:
            continue
        if fact.at != moved_at:
            settle()
            moved_at = fact.at
        fact_day = fact.at.astimezone(tz).date()
        while day < fact_day:
            day += timedelta(days=1)
            open_day(day)
        zone = desk_zone[fact.desk]
        accumulate(zone, fact.at)
        present[zone] += dp
        in_use[zone] += du
        for key in groups[zone]:
            g_present[key] += dp
            g_in_use[key] += du
            moved.add(key)
    settle()
    last_day = (end - timedelta(microseconds=1)).astimezone(tz).date()
    while day < last_day:
        day += timedelta(days=1)
        open_day(day)
    for zone in groups:
        accumulate(zone, end)
    return out


class _Windows:
    """Working-hour windows per local day, cached."""

    def __init__(self, tz: ZoneInfo, hours: WorkingHours) -> None:
        self._tz = tz
        self._hours = hours
        self._cache: dict[date, tuple[datetime, datetime] | None] = {}

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        if day not in self._cache:
            if self._hours.works(day):
                self._cache[day] = (
                    datetime.combine(day, self._hours.start, self._tz),
                    datetime.combine(day, self._hours.end, self._tz),
                )
            else:
                self._cache[day] = None
        return self._cache[day]

    def overlap(self, since: datetime, until: datetime) -> list[tuple[date, float]]:
        """Seconds of [since, until) inside working hours, per local day."""
        out = []
        day = since.astimezone(self._tz).date()
        last = until.astimezone(self._tz).date()
        while day <= last:
            window = self.window(day)
            if window is not None:
                seconds = (min(until, window[1]) - max(since, window[0])).total_seconds()
                if seconds > 0:
                    out.append((day, seconds))
            day += timedelta(days=1)
        return out
