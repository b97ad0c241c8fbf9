"""Occupancy over time, folded from the desk transition history; sensor health from devices."""

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from server.services.ports import Clock, DeviceRecord
from server.services.site_index import SiteIndex

# A desk is "in use" while someone sits there or has only stepped away from it.
IN_USE = frozenset({"occupied", "away"})
# People present: a desk whose sensor sees someone right now.
PRESENT = frozenset({"occupied"})
LOW_BATTERY_PERCENT = 20.0
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class TransitionFact:
    """One visible desk state change from the history."""

    desk: str
    after: str
    at: datetime
    before: str = ""


class OccupancyHistory(Protocol):
    """Reads the desk transition history and device records."""

    def latest_before(self, at: datetime, desks: Collection[str] | None) -> dict[str, str]:
        """Each desk's state after its last transition strictly before `at` (None: every desk)."""
        ...

    def transitions(
        self, start: datetime, end: datetime, desks: Collection[str] | None
    ) -> list[TransitionFact]:
        """Transitions of `desks` (None: every desk) with start <= at < end, oldest first."""
        ...

    def current_states(self) -> dict[str, str]:
        """Every desk's state now."""
        ...

    def devices(self) -> list[DeviceRecord]: ...

    def holds(self, first: date, last: date) -> list["HoldFact"]:
        """Desk claims of days first..last (inclusive), whether or not they ended."""
        ...


@dataclass(frozen=True, slots=True)
class HoldFact:
    """One claim of a desk for a day, whether it was released as a no-show, and whether its
    check-in was a bare scan nothing confirmed (a desk without a working sensor)."""

    desk: str
    day: date
    no_show: bool
    unconfirmed: bool = False


@dataclass
class HourBucket:
    """One local clock hour: seconds observed and desk-seconds in use / people-seconds present."""

    start: datetime
    seconds: float = 0.0
    in_use: float = 0.0
    present: float = 0.0


@dataclass
class Fold:
    """What one pass over the history produced."""

    desks: int
    hours: dict[datetime, HourBucket] = field(default_factory=dict)
    peak_people: int = 0
    peak_at: datetime | None = None
    daily_peak: dict[date, int] = field(default_factory=dict)


def fold_history(
    desks: set[str],
    initial: Mapping[str, str],
    transitions: Iterable[TransitionFact],
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
) -> Fold:
    """Sweep the window once, keeping per-hour integrals and the peak of people present."""
    state = {desk: initial.get(desk, "unknown") for desk in desks}
    in_use = sum(1 for s in state.values() if s in IN_USE)
    present = sum(1 for s in state.values() if s in PRESENT)
    out = Fold(desks=len(desks))
    out.peak_people, out.peak_at = present, start if present else None
    out.daily_peak[start.astimezone(tz).date()] = present
    cursor = start
    # The hour bucket the cursor is in and where it ends; time zone maths only on a new hour.
    bucket: HourBucket | None = None
    bucket_end = start

    def accumulate(until: datetime) -> None:
        nonlocal cursor, bucket, bucket_end
        while cursor < until:
            if bucket is None or cursor >= bucket_end:
                hour_start = cursor.astimezone(tz).replace(minute=0, second=0, microsecond=0)
                bucket_end = (hour_start + HOUR).astimezone(cursor.tzinfo)
                bucket = out.hours.get(hour_start)
                if bucket is None:
                    bucket = out.hours[hour_start] = HourBucket(hour_start)
            boundary = min(until, bucket_end)
            seconds = (boundary - cursor).total_seconds()
            bucket.seconds += seconds
            bucket.in_use += in_use * seconds
            bucket.present += present * seconds
            cursor = boundary

    for fact in transitions:
        if fact.desk not in state or not (start <= fact.at < end):
            continue
        accumulate(fact.at)
        before = state[fact.desk]
        state[fact.desk] = fact.after
        in_use += (fact.after in IN_USE) - (before in IN_USE)
        present += (fact.after in PRESENT) - (before in PRESENT)
        if bucket is not None and fact.at < bucket_end:
            day = bucket.start.date()
        else:  # exactly at the window's start or on an hour boundary
            day = fact.at.astimezone(tz).date()
        if present > out.daily_peak.get(day, 0):
            out.daily_peak[day] = present
        if present > out.peak_people:
            out.peak_people, out.peak_at = present, fact.at
    accumulate(end)
    for bucket in out.hours.values():
        out.daily_peak.setdefault(bucket.start.date(), 0)
    return out


@dataclass(frozen=True, slots=True)
class HourPoint:
    hour: int
    utilisation: float | None


@dataclass(frozen=True, slots=True)
class HeatCell:
    weekday: int  # 0 = Monday
    hour: int
    utilisation: float | None


@dataclass(frozen=True, slots=True)
class DayPeak:
    date: date
    peak_people: int


@dataclass(frozen=True, slots=True)
class OccupancyReport:
    """Utilisation is the share of desk-time in use (occupied or away), 0..1."""

    floor: str | None
    timezone: str
    start: datetime
    end: datetime
    desks: int
    transitions: int
    by_hour: list[HourPoint]
    heatmap: list[HeatCell]
    daily_peaks: list[DayPeak]
    peak_people: int
    peak_at: datetime | None
    # Desks per person at the busiest moment; None when nobody was ever seen.
    seat_ratio: float | None


@dataclass(frozen=True, slots=True)
class NoShowDay:
    date: date
    claims: int
    no_shows: int
    rate: float | None
    # Check-ins by a QR scan alone: at desks without a working sensor it proves no arrival.
    unconfirmed_check_ins: int = 0


@dataclass(frozen=True, slots=True)
class NoShowReport:
    """Claims released because nobody checked in within the grace period, per day."""

    floor: str | None
    days: list[NoShowDay]
    claims: int
    no_shows: int
    rate: float | None
    unconfirmed_check_ins: int = 0
    # Desks no sensor serves: their no-show figures rest on scans nobody can confirm.
    desks_without_sensor: int = 0


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    id: str
    kind: str
    status: str  # online | offline | stale | never_seen
    last_seen: datetime | None
    battery: float | None
    low_battery: bool


@dataclass(frozen=True, slots=True)
class SensorHealthReport:
    at: datetime
    counts: dict[str, int]
    low_battery: int
    # Devices needing attention: offline, stale, never seen, or low on battery; worst first.
    attention: list[DeviceHealth]


@dataclass(frozen=True, slots=True)
class ZoneNow:
    zone: str
    desks: int
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class FloorNow:
    floor: str
    desks: int
    counts: dict[str, int]
    zones: list[ZoneNow]


class OccupancyAnalytics:
    """Answers the facilities team's questions from the history the ingest path records."""

    def __init__(
        self,
        history: OccupancyHistory,
        index: SiteIndex,
        desk_zone: Mapping[str, str],
        clock: Clock,
        timezone: str,
    ) -> None:
        self._history = history
        self._index = index
        self._desk_zone = desk_zone
        self._clock = clock
        self._tz = ZoneInfo(timezone)
        self._tz_name = timezone

    def occupancy(self, days: int, floor: str | None = None) -> OccupancyReport:
        """The last `days` days (ending now) on one floor or the whole site."""
        end = self._clock.now()
        start = end - timedelta(days=days)
        desks = {d for d, f in self._index.desk_floor.items() if floor is None or f == floor}
        # One floor's desks are filtered in the query; the whole site needs no filter.
        only = desks if floor is not None else None
        transitions = self._history.transitions(start, end, only)
        initial = states_at(self._history, start, desks, only, transitions)
        folded = fold_history(desks, initial, transitions, start, end, self._tz)
        relevant = sum(1 for fact in transitions if fact.desk in desks)
        return OccupancyReport(
            floor=floor,
            timezone=self._tz_name,
            start=start,
            end=end,
            desks=len(desks),
            transitions=relevant,
            by_hour=_by_hour(folded),
            heatmap=_heatmap(folded),
            daily_peaks=[DayPeak(d, n) for d, n in sorted(folded.daily_peak.items())],
            peak_people=folded.peak_people,
            peak_at=folded.peak_at,
            seat_ratio=round(len(desks) / folded.peak_people, 2) if folded.peak_people else None,
        )

    def no_shows(self, days: int, floor: str | None = None) -> NoShowReport:
        """No-show rate of desk claims per day over the last `days` days (site time zone)."""
        last = self._clock.now().astimezone(self._tz).date()
        first = last - timedelta(days=days - 1)
        per_day = {first + timedelta(days=i): [0, 0, 0] for i in range(days)}
        for hold in self._history.holds(first, last):
            if floor is not None and self._index.desk_floor.get(hold.desk) != floor:
                continue
            counts = per_day.setdefault(hold.day, [0, 0, 0])
            counts[0] += 1
            counts[1] += hold.no_show
            counts[2] += hold.unconfirmed
        claims = sum(c for c, _, _ in per_day.values())
        no_shows = sum(n for _, n, _ in per_day.values())
        sensed = {d for device in self._index.devices.values() for d in device.desks}
        unsensed = [
            d
            for d, f in self._index.desk_floor.items()
            if d not in sensed and (floor is None or f == floor)
        ]
        return NoShowReport(
            floor=floor,
            days=[
                NoShowDay(d, c, n, round(n / c, 4) if c else None, u)
                for d, (c, n, u) in sorted(per_day.items())
            ],
            claims=claims,
            no_shows=no_shows,
            rate=round(no_shows / claims, 4) if claims else None,
            unconfirmed_check_ins=sum(u for _, _, u in per_day.values()),
            desks_without_sensor=len(unsensed),
        )

    def sensor_health(self) -> SensorHealthReport:
        """Every configured device's liveness and battery, with the ones needing attention."""
        now = self._clock.now()
        records = {d.id: d for d in self._history.devices()}
        counts = {"online": 0, "offline": 0, "stale": 0, "never_seen": 0}
        rows = []
        for info in self._index.devices.values():
            record = records.get(info.id)
            if record is not None and record.status == "offline":
                status = "offline"
            elif record is None or record.last_seen is None:
                status = "never_seen"
            elif now - record.last_seen > timedelta(seconds=info.ttl_s):
                status = "stale"
            else:
                status = "online"
            counts[status] += 1
            battery = record.battery if record else None
            low = battery is not None and battery <= LOW_BATTERY_PERCENT
            rows.append(
                DeviceHealth(
                    id=info.id,
                    kind=info.kind,
                    status=status,
                    last_seen=record.last_seen if record else None,
                    battery=battery,
                    low_battery=low,
                )
            )
        severity = {"offline": 0, "stale": 1, "never_seen": 2, "online": 3}
        attention = sorted(
            (r for r in rows if r.status != "online" or r.low_battery),
            key=lambda r: (severity[r.status], r.battery if r.battery is not None else 101, r.id),
        )
        return SensorHealthReport(
            at=now,
            counts=counts,
            low_battery=sum(1 for r in rows if r.low_battery),
            attention=attention,
        )

    def now_by_floor(
        self, floors: Sequence[tuple[str, Sequence[str]]], states: Mapping[str, str]
    ) -> list[FloorNow]:
        """Desk counts per state for each floor and its zones, from the live states."""
        out = []
        for floor_id, zone_ids in floors:
            per_zone: dict[str, dict[str, int]] = {z: defaultdict(int) for z in zone_ids}
            totals: dict[str, int] = defaultdict(int)
            desks = 0
            for desk, desk_floor in self._index.desk_floor.items():
                if desk_floor != floor_id:
                    continue
                state = states.get(desk, "unknown")
                desks += 1
                totals[state] += 1
                per_zone.setdefault(self._desk_zone.get(desk, ""), defaultdict(int))[state] += 1
            out.append(
                FloorNow(
                    floor=floor_id,
                    desks=desks,
                    counts=dict(totals),
                    zones=[
                        ZoneNow(zone=z, desks=sum(c.values()), counts=dict(c))
                        for z, c in per_zone.items()
                    ],
                )
            )
        return out


def states_at(
    history: OccupancyHistory,
    start: datetime,
    desks: Collection[str],
    only: Collection[str] | None,
    transitions: Sequence[TransitionFact],
) -> dict[str, str]:
    """Each desk's state at `start`, given the transitions from `start` on (oldest first).

    `only` filters the query (None: every desk, cheaper than naming them all).
    """
    initial = history.latest_before(start, only)
    missing = set(desks) - initial.keys()
    if missing:
        # A desk with no earlier transition was in its first in-window `before` state,
        # or, when it never changed, in the state it still has.
        current = history.current_states()
        first_before: dict[str, str] = {}
        for fact in transitions:
            if fact.desk in missing and fact.desk not in first_before:
                first_before[fact.desk] = fact.before
        for desk in missing:
            initial[desk] = first_before.get(desk) or current.get(desk, "unknown")
    return initial


def _ratio(numerator: float, seconds: float, desks: int) -> float | None:
    if seconds <= 0 or desks <= 0:
        return None
    return round(numerator / (seconds * desks), 4)


def _by_hour(folded: Fold) -> list[HourPoint]:
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for bucket in folded.hours.values():
        acc = sums[bucket.start.hour]
        acc[0] += bucket.in_use
        acc[1] += bucket.seconds
    return [
        HourPoint(h, _ratio(sums[h][0], sums[h][1], folded.desks) if h in sums else None)
        for h in range(24)
    ]


def _heatmap(folded: Fold) -> list[HeatCell]:
    sums: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for bucket in folded.hours.values():
        acc = sums[(bucket.start.weekday(), bucket.start.hour)]
        acc[0] += bucket.in_use
        acc[1] += bucket.seconds
    cells = []
    for weekday in range(7):
        for hour in range(24):
            cell = sums.get((weekday, hour))
            value = _ratio(cell[0], cell[1], folded.desks) if cell else None
            cells.append(HeatCell(weekday, hour, value))
    return cells
