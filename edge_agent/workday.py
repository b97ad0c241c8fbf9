"""A plausible office day for one desk: when somebody sits there and when they step away."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class WorkdayShape:
    """The rhythm of a day, in local time; the defaults follow a Japanese city hall."""

    used_min: float = 0.60  # share of desks used on a day, drawn per day in [min, max]
    used_max: float = 0.80
    arrival_from: time = time(8, 0)
    arrival_until: time = time(10, 0)
    arrival_peak_min: float = 45.0  # minutes after arrival_from
    lunch_share: float = 0.85
    lunch_from: time = time(11, 50)
    lunch_min_minutes: float = 30.0
    lunch_max_minutes: float = 60.0
    departure_from: time = time(17, 0)
    departure_until: time = time(19, 30)
    departure_peak_min: float = 60.0  # minutes after departure_from


DEFAULT_SHAPE = WorkdayShape()

Toggle = tuple[datetime, bool]


def day_utilisation(seed: int, day: date, shape: WorkdayShape = DEFAULT_SHAPE) -> float:
    """The share of desks used on `day`: the same for every desk, varying from day to day."""
    return random.Random(f"{seed}/{day.isoformat()}").uniform(shape.used_min, shape.used_max)


def plan_desk_day(
    seed: int,
    desk: str,
    day: date,
    tz: ZoneInfo,
    shape: WorkdayShape = DEFAULT_SHAPE,
) -> list[Toggle]:
    """Raw presence toggles for one desk on one day, in time order; empty if nobody comes.

    Deterministic in (seed, desk, day), so a desk's day does not depend on which gateway or
    in which order it is simulated. Absences: lunch around 12:00-13:00, zero to three
    meetings of 30-90 minutes, and short breaks that a good debouncer hides.
    """
    rng = random.Random(f"{seed}/{day.isoformat()}/{desk}")
    if rng.random() >= day_utilisation(seed, day, shape):
        return []

    def at(t: time, plus_minutes: float = 0.0) -> datetime:
        return datetime.combine(day, t, tz) + timedelta(minutes=plus_minutes)

    arrival_span = _minutes_between(shape.arrival_from, shape.arrival_until)
    departure_span = _minutes_between(shape.departure_from, shape.departure_until)
    arrival = at(
        shape.arrival_from,
        rng.triangular(0, arrival_span, min(shape.arrival_peak_min, arrival_span)),
    )
    departure = at(
        shape.departure_from,
        rng.triangular(0, departure_span, min(shape.departure_peak_min, departure_span)),
    )

    absences: list[tuple[datetime, datetime]] = []
    if rng.random() < shape.lunch_share:
        start = at(shape.lunch_from, rng.triangular(0, 40, 15))
        absences.append(
            (
                start,
                start
                + timedelta(minutes=rng.uniform(shape.lunch_min_minutes, shape.lunch_max_minutes)),
            )
        )
    meetings = rng.choices((0, 1, 2, 3), weights=(30, 35, 25, 10))[0]
    for _ in range(meetings):
        length = timedelta(minutes=rng.choice((30, 45, 60, 90)))
        earliest = arrival + timedelta(minutes=15)
        latest = departure - timedelta(minutes=15) - length
        if latest > earliest:
            start = earliest + (latest - earliest) * rng.random()
            absences.append((start, start + length))
    for _ in range(rng.randint(0, 3)):
        start = arrival + (departure - arrival) * rng.random()
        absences.append((start, start + timedelta(minutes=rng.uniform(2, 12))))

    toggles: list[Toggle] = [(arrival, True)]
    for start, end in _merged(absences):
        if end <= arrival or start >= departure:
            continue
        if start <= toggles[-1][0]:
            # An absence that begins before the last arrival merges with it.
            toggles[-1] = (max(end, toggles[-1][0]), True)
            continue
        if end >= departure:
            departure = start
            break
        toggles += [(start, False), (end, True)]
    if departure <= toggles[-1][0]:
        return []
    toggles.append((departure, False))
    return toggles


def present_at(toggles: list[Toggle], when: datetime) -> bool:
    """Whether the desk is occupied at `when` according to its day's toggles."""
    present = False
    for at, value in toggles:
        if at > when:
            break
        present = value
    return present


def _minutes_between(a: time, b: time) -> float:
    return (b.hour * 60 + b.minute) - (a.hour * 60 + a.minute)


def _merged(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
