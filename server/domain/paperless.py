"""The city's paperless KPI, pure: which meetings took place, which ran without paper, and the
share of departments at the target.

A meeting is a booking that was held (not cancelled, not released as a no-show, past its
grace), with every session paired inside it; or, without a booking, a session together with the
re-pairings that followed it in the same room after it ended by itself (a break), not by a
person. A meeting is paperless when material was shared on the screens or a cast was detected
in its room while the room was not reported empty. Pages not printed are the meeting's material
pages times its distinct attendees (at least one: the host), capped at the room's capacity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from server.domain.small_groups import Groups, group_of

# A session that ended by itself (everyone left on a break) and a new pairing in the same room
# by the same department within this long: one meeting, not two.
REPAIR_GAP = timedelta(minutes=30)
# The end reason of sessions a person ended ("ended by the host", "ended by s00012").
ENDED_BY_PERSON = "ended by"


@dataclass(frozen=True, slots=True)
class HeldBooking:
    """A booking as the KPI sees it."""

    id: int
    room: str
    department: str | None
    starts_at: datetime
    ends_at: datetime
    status: str  # booked | cancelled | released


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """A session with what its materials and their openers add up to."""

    id: int
    room: str
    booking_id: int | None
    department: str | None
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    pages: int  # pages of every material attached
    viewers: frozenset[str]  # distinct people (or anonymous viewers) who opened them

    @property
    def ended_by_person(self) -> bool:
        return (self.end_reason or "").startswith(ENDED_BY_PERSON)


@dataclass(frozen=True, slots=True)
class CastSpan:
    """A laptop cast to a room's display while the room was not reported empty."""

    room: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class RoomSignal:
    """One room-monitor fact from the event log: `kind` cast or occupancy, and its value."""

    room: str
    at: datetime
    kind: str  # "cast" | "occupancy"
    value: bool


def cast_spans(signals: Iterable[RoomSignal], until: datetime) -> list[CastSpan]:
    """Fold room signals (any order) into spans of casting while the room was not said empty."""
    per_room: dict[str, list[RoomSignal]] = defaultdict(list)
    for signal in signals:
        per_room[signal.room].append(signal)
    spans = []
    for room, items in per_room.items():
        casting, empty = False, False
        started: datetime | None = None
        for signal in sorted(items, key=lambda s: s.at):
            if signal.kind == "cast":
                casting = signal.value
            else:
                empty = signal.value is False
            counting = casting and not empty
            if counting and started is None:
                started = signal.at
            elif not counting and started is not None:
                spans.append(CastSpan(room, started, signal.at))
                started = None
        if started is not None:
            spans.append(CastSpan(room, started, max(started, until)))
    return spans


@dataclass(frozen=True, slots=True)
class Meeting:
    """One meeting for the KPI."""

    room: str
    department: str | None
    starts_at: datetime
    ends_at: datetime
    sessions: int
    pages: int
    attendees: int  # distinct openers, at least 1, at most the room's capacity
    cast: bool
    booking_id: int | None = None

    @property
    def paperless(self) -> bool:
        return self.pages > 0 or self.cast

    @property
    def pages_not_printed(self) -> int:
        return self.pages * self.attendees


def meetings_of(
    bookings: Iterable[HeldBooking],
    sessions: Iterable[SessionFacts],
    casts: Iterable[CastSpan],
    capacity: Mapping[str, int],
    *,
    judged_before: datetime,
    grace: timedelta,
) -> list[Meeting]:
    """The meetings that took place, from bookings, sessions and casts.

    A booking counts once a session ran in it, or once its grace has passed before
    `judged_before` (until then it may still be released as a no-show); cancelled and released
    ones never took place, and sessions of a booking that did not count are not counted on
    their own either.
    """
    by_booking: dict[int, list[SessionFacts]] = defaultdict(list)
    unbooked: list[SessionFacts] = []
    for session in sessions:
        if session.booking_id is None:
            unbooked.append(session)
        else:
            by_booking[session.booking_id].append(session)
    cast_by_room: dict[str, list[CastSpan]] = defaultdict(list)
    for span in casts:
        cast_by_room[span.room].append(span)

    def casted(room: str, start: datetime, end: datetime) -> bool:
        return any(s.start < end and start < s.end for s in cast_by_room.get(room, ()))

    out = []
    for booking in bookings:
        parts = by_booking.get(booking.id, [])
        if booking.status != "booked" or (booking.starts_at + grace > judged_before and not parts):
            continue
        end = max([booking.ends_at, *(s.ended_at or booking.ends_at for s in parts)])
        out.append(
            _meeting(
                booking.room,
                booking.department,
                booking.starts_at,
                end,
                parts,
                casted(booking.room, booking.starts_at, end),
                capacity,
                booking.id,
            )
        )
    for group in _repairings(unbooked):
        first = group[0]
        end = max(s.ended_at or judged_before for s in group)
        out.append(
            _meeting(
                first.room,
                first.department,
                first.started_at,
                end,
                group,
                casted(first.room, first.started_at, end),
                capacity,
                None,
            )
        )
    return sorted(out, key=lambda m: (m.starts_at, m.room))


def _repairings(sessions: Iterable[SessionFacts]) -> list[list[SessionFacts]]:
    """Unbooked sessions grouped: a re-pairing after a session that ended by itself joins it."""
    per_room: dict[str, list[SessionFacts]] = defaultdict(list)
    for session in sessions:
        per_room[session.room].append(session)
    groups: list[list[SessionFacts]] = []
    for items in per_room.values():
        current: list[SessionFacts] = []
        for session in sorted(items, key=lambda s: (s.started_at, s.id)):
            last = current[-1] if current else None
            if (
                last is not None
                and last.ended_at is not None
                and not last.ended_by_person
                and last.department == session.department
                and session.started_at - last.ended_at <= REPAIR_GAP
            ):
                current.append(session)
                continue
            if current:
                groups.append(current)
            current = [session]
        if current:
            groups.append(current)
    return groups


def _meeting(
    room: str,
    department: str | None,
    start: datetime,
    end: datetime,
    parts: Sequence[SessionFacts],
    cast: bool,
    capacity: Mapping[str, int],
    booking_id: int | None,
) -> Meeting:
    viewers = frozenset().union(*(s.viewers for s in parts)) if parts else frozenset()
    seats = capacity.get(room, 1)
    return Meeting(
        room=room,
        department=department,
        starts_at=start,
        ends_at=end,
        sessions=len(parts),
        pages=sum(s.pages for s in parts),
        attendees=max(1, min(len(viewers), seats)),
        cast=cast,
        booking_id=booking_id,
    )


@dataclass(frozen=True, slots=True)
class DepartmentPaperless:
    """One department's month; figures are None when the department is too small to show."""

    department: str
    suppressed: bool
    meetings: int | None
    paperless_meetings: int | None
    share: float | None
    pages_not_printed: int | None


@dataclass(frozen=True, slots=True)
class PaperlessReport:
    month: str
    departments: list[DepartmentPaperless] = field(default_factory=list)
    threshold: float = 0.7
    departments_at_threshold: int = 0
    departments_with_meetings: int = 0
    headline_share: float | None = None
    meetings: int = 0
    paperless_meetings: int = 0
    pages_not_printed: int = 0


def paperless_report(
    month: str, meetings: Iterable[Meeting], groups: Groups, threshold: float = 0.7
) -> PaperlessReport:
    """Per department: share of meetings run without paper, and pages not printed.

    The headline is the share of departments with meetings that were at least `threshold`
    paperless. Departments too small to show are listed without figures and left out of the
    headline and of every total.
    """
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for meeting in meetings:
        row = totals[group_of(meeting.department)]
        row[0] += 1
        if meeting.paperless:
            row[1] += 1
            row[2] += meeting.pages_not_printed
    departments = []
    for dept, (count, paperless, pages) in sorted(totals.items()):
        if groups.hidden(dept):
            departments.append(DepartmentPaperless(dept, True, None, None, None, None))
            continue
        departments.append(
            DepartmentPaperless(dept, False, count, paperless, round(paperless / count, 4), pages)
        )
    shown = [d for d in departments if not d.suppressed]
    at = sum(1 for d in shown if d.share is not None and d.share >= threshold)
    return PaperlessReport(
        month=month,
        departments=departments,
        threshold=threshold,
        departments_at_threshold=at,
        departments_with_meetings=len(shown),
        headline_share=round(at / len(shown), 4) if shown else None,
        meetings=sum(d.meetings or 0 for d in shown),
        paperless_meetings=sum(d.paperless_meetings or 0 for d in shown),
        pages_not_printed=sum(d.pages_not_printed or 0 for d in shown),
    )
