"""Presence sources: where raw desk readings come from (simulation, GPIO, LD2410 serial)."""

from __future__ import annotations

import heapq
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from edge_agent.workday import DEFAULT_SHAPE, Toggle, WorkdayShape, plan_desk_day, present_at

log = logging.getLogger(__name__)


class SourceOpenError(RuntimeError):
    """A sensor device cannot be opened; the message names the device and what to check."""


@dataclass(frozen=True, slots=True)
class SensorReading:
    """A raw, undebounced observation of one desk."""

    desk: str
    present: bool
    at: datetime


class PresenceSource(Protocol):
    """Raw readings for the desks a gateway serves.

    Polled: the agent calls `read(now)` every tick. A hardware source samples its pins or
    drains what its reader thread buffered; it never blocks for long. Reporting an unchanged
    value again is allowed; the debouncer ignores repeats.
    """

    def read(self, now: datetime) -> list[SensorReading]:
        """Readings taken up to `now` and not returned before, oldest first."""
        ...

    def close(self) -> None:
        """Release pins, ports or threads; read() is not called afterwards."""
        ...


@runtime_checkable
class FaultReporting(Protocol):
    """A source that can tell its sensor is broken (sending only garbage), not just quiet."""

    def faulty(self) -> frozenset[str]:
        """The desks whose sensor is in a fault now: their presence is unknown."""
        ...


def faulty_desks(source: PresenceSource) -> frozenset[str]:
    """The desks `source` reports faulty now (none for sources that cannot tell)."""
    return source.faulty() if isinstance(source, FaultReporting) else frozenset()


class CompositeSource:
    """Several sources read as one: a floor gateway where each desk has its own sensor.

    One failing source does not silence the others: its error is logged (once until it
    recovers) and the rest are still read.
    """

    def __init__(self, sources: Iterable[PresenceSource]) -> None:
        self.sources = list(sources)
        self._failing: set[int] = set()

    def read(self, now: datetime) -> list[SensorReading]:
        readings: list[SensorReading] = []
        for index, source in enumerate(self.sources):
            try:
                readings += source.read(now)
            except Exception:
                if index not in self._failing:
                    self._failing.add(index)
                    log.exception("presence source %r failed; reading the others", source)
                continue
            self._failing.discard(index)
        # Each source is oldest-first; the merge must be too (sort is stable within a time).
        readings.sort(key=lambda reading: reading.at)
        return readings

    def faulty(self) -> frozenset[str]:
        """Every desk any of the sources reports faulty."""
        return frozenset().union(*(faulty_desks(source) for source in self.sources))

    def close(self) -> None:
        errors: list[Exception] = []
        for source in self.sources:
            try:
                source.close()
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise errors[0]


class QueuedSource:
    """Readings pushed from any thread (a serial reader, a radio bridge, a test); read drains."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[SensorReading] = []

    def push(self, desk: str, present: bool, at: datetime) -> None:
        """Queue one reading for the next read()."""
        with self._lock:
            self._queue.append(SensorReading(desk, present, at))

    def read(self, now: datetime) -> list[SensorReading]:
        with self._lock:
            ready = [r for r in self._queue if r.at <= now]
            self._queue = [r for r in self._queue if r.at > now]
        return ready

    def close(self) -> None:
        with self._lock:
            self._queue.clear()


class SimulatedSource:
    """Desks that follow a plausible working day (see workday.py), deterministic per seed.

    The first read reports every desk's current state, so desks nobody uses become known
    free; later reads report only the toggles passed since the previous read. Time may jump
    (a time-compressed simulation); every toggle in between is still reported, in order.
    """

    def __init__(
        self,
        desks: Iterable[str],
        *,
        seed: int = 1,
        tz: ZoneInfo | str = "Asia/Tokyo",
        shape: WorkdayShape = DEFAULT_SHAPE,
    ) -> None:
        self.desks = list(desks)
        self._seed = seed
        self._tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        self._shape = shape
        self._day: date | None = None
        self._due: list[tuple[datetime, int, str, bool]] = []  # heap of upcoming toggles
        self._tie = 0
        self._cursor: datetime | None = None

    def read(self, now: datetime) -> list[SensorReading]:
        if self._cursor is None:
            first = self._start(now)
            self._cursor = now
            return first
        if now <= self._cursor:
            return []
        readings: list[SensorReading] = []
        while True:
            assert self._day is not None
            day_end = datetime.combine(self._day + timedelta(days=1), time(0), self._tz)
            limit = min(now, day_end)
            while self._due and self._due[0][0] <= limit:
                at, _, desk, present = heapq.heappop(self._due)
                readings.append(SensorReading(desk, present, at))
            if now < day_end:
                break
            self._load_day(self._day + timedelta(days=1), after=None)
        self._cursor = now
        return readings

    def close(self) -> None:
        self._due.clear()

    def plan(self, desk: str, day: date) -> list[Toggle]:
        """The toggles `desk` follows on `day`."""
        return plan_desk_day(self._seed, desk, day, self._tz, self._shape)

    def _start(self, now: datetime) -> list[SensorReading]:
        day = now.astimezone(self._tz).date()
        plans = self._load_day(day, after=now)
        return [SensorReading(desk, present_at(plans[desk], now), now) for desk in self.desks]

    def _load_day(self, day: date, after: datetime | None) -> dict[str, list[Toggle]]:
        self._day = day
        plans = {desk: self.plan(desk, day) for desk in self.desks}
        for desk, toggles in plans.items():
            for at, present in toggles:
                if after is None or at > after:
                    self._tie += 1
                    heapq.heappush(self._due, (at, self._tie, desk, present))
        return plans
