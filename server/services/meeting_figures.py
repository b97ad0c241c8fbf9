"""What facilities read from bookings, sessions and the rooms' event log: ghost series and the
city's paperless KPI (server.domain.paperless), by month and as a trend."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from server.domain.meetings import GhostMeeting, SessionRules, ghost_meetings
from server.domain.paperless import (
    HeldBooking,
    Meeting,
    PaperlessReport,
    RoomSignal,
    SessionFacts,
    cast_spans,
    meetings_of,
    paperless_report,
)
from server.domain.refusals import Refusal, RefusalCode
from server.domain.small_groups import Groups
from server.services.ports import Clock
from server.services.room_ports import RoomStore

# Sessions that belong to a month's bookings may start a little before them (hosts pair early).
EARLY = timedelta(hours=1)
MAX_MONTHS = 36
FIRST_YEAR, LAST_YEAR = 1970, 2999


class MeetingHistory(Protocol):
    """Reads what the KPI is computed from; read-only."""

    def held_bookings(self, start: datetime, end: datetime) -> list[HeldBooking]:
        """Bookings that start in [start, end), any status."""
        ...

    def session_facts(self, start: datetime, end: datetime) -> list[SessionFacts]:
        """Sessions that started in [start, end), with their materials' pages and openers."""
        ...

    def room_signals(self, start: datetime, end: datetime) -> list[RoomSignal]:
        """Cast and occupancy events of [start, end) from the event log, plus each room's last
        one of each kind before `start`."""
        ...


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month in the site's time zone."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        try:
            year, month = (int(part) for part in text.split("-"))
            date(year, month, 1)
        except ValueError:
            raise Refusal(RefusalCode.MONTH_INVALID, month=text) from None
        if not FIRST_YEAR <= year <= LAST_YEAR:
            # Far outside any record; and the window's maths would leave datetime's range.
            raise Refusal(RefusalCode.MONTH_INVALID, month=text)
        return cls(year, month)

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Month:
        return Month(self.year + (self.month == 12), self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        following = self.next()
        return (
            datetime(self.year, self.month, 1, tzinfo=zone),
            datetime(following.year, following.month, 1, tzinfo=zone),
        )


def month_range(first: Month, last: Month) -> list[Month]:
    """Every month from `first` to `last` inclusive; refused when reversed or too long."""
    months = [first]
    while months[-1] != last:
        if len(months) >= MAX_MONTHS or (last.year, last.month) < (first.year, first.month):
            raise Refusal(
                RefusalCode.MONTH_RANGE_INVALID,
                first=str(first),
                last=str(last),
                max_months=MAX_MONTHS,
            )
        months.append(months[-1].next())
    return months


class MeetingFigures:
    """Ghost series and the paperless KPI."""

    def __init__(
        self,
        store: RoomStore,
        history: MeetingHistory,
        clock: Clock,
        zone: ZoneInfo,
        capacity: Mapping[str, int],
        rules: SessionRules,
        groups: Callable[[], Groups],
    ) -> None:
        """`groups`: department sizes from the staff directory, read when a figure is made."""
        self._store = store
        self._groups = groups
        self._history = history
        self._clock = clock
        self._zone = zone
        self._capacity = capacity
        self._rules = rules

    def ghosts(self) -> list[GhostMeeting]:
        with self._store.transaction() as tx:
            return ghost_meetings(tx.series_bookings(), self._clock.now())

    def this_month(self) -> Month:
        return Month.of(self._clock.now().astimezone(self._zone).date())

    def meetings(self, month: Month) -> list[Meeting]:
        """The month's meetings, each judged as the KPI defines it."""
        start, end = month.bounds(self._zone)
        now = self._clock.now()
        bookings = self._history.held_bookings(start, end)
        ids = {b.id for b in bookings}
        sessions = [
            s
            for s in self._history.session_facts(start - EARLY, end + EARLY)
            if s.booking_id in ids or (s.booking_id is None and start <= s.started_at < end)
        ]
        casts = cast_spans(self._history.room_signals(start, end), min(end, now))
        return meetings_of(
            bookings,
            sessions,
            casts,
            self._capacity,
            judged_before=min(end, now),
            grace=self._rules.booking_grace,
        )

    def paperless(self, month: str | Month, threshold: float = 0.7) -> PaperlessReport:
        """The KPI of one month."""
        chosen = month if isinstance(month, Month) else Month.parse(month)
        return paperless_report(str(chosen), self.meetings(chosen), self._groups(), threshold)

    def trend(self, months: int, threshold: float = 0.7) -> list[PaperlessReport]:
        """The KPI of the last `months` months, oldest first, this month included."""
        last = self.this_month()
        first = last
        for _ in range(months - 1):
            first = first.previous()
        return self.between(first, last, threshold)

    def between(self, first: Month, last: Month, threshold: float = 0.7) -> list[PaperlessReport]:
        groups = self._groups()
        return [
            paperless_report(str(m), self.meetings(m), groups, threshold)
            for m in month_range(first, last)
        ]
