"""Ports of room-calendar sync: a calendar server (CalDAV today; Exchange/Graph or Google behind
the same seam) and where the sync keeps its links between bookings and events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class EventDraft:
    """What freeseat wants an event to say."""

    uid: str
    title: str
    starts_at: datetime
    ends_at: datetime
    # The RRULE value ("FREQ=WEEKLY;COUNT=4"), EXDATEs and RDATEs; None/empty for a one-off.
    rrule: str | None = None
    exdates: tuple[datetime, ...] = ()
    rdates: tuple[datetime, ...] = ()
    cancelled: bool = False
    organizer_email: str = ""
    organizer_name: str = ""
    # Set on events freeseat wrote: the booking (or series) they mirror.
    booking_key: str | None = None
    # Set on events freeseat declined: the refusal code.
    declined: str | None = None
    description: str = ""
    location: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarEvent(EventDraft):
    """One event resource of a room's calendar, as the sync reads it."""

    href: str
    etag: str
    all_day: bool = False
    # The calendar object as served, so a rewrite keeps what freeseat does not manage.
    raw: str = ""


class CalendarUnreachable(Exception):
    """The calendar server did not answer, or refused us; `room` names whose calendar."""

    def __init__(self, room: str, why: str) -> None:
        super().__init__(f"calendar of {room}: {why}")
        self.room = room
        self.why = why


class EventChanged(Exception):
    """The event changed on the server since we read it (If-Match failed): read it again."""


class RoomCalendars(Protocol):
    """One calendar per room on a calendar server (CalDAV, Exchange/Graph, Google)."""

    def has_calendar(self, room: str) -> bool: ...
    def events(self, room: str, start: datetime, end: datetime) -> list[CalendarEvent]:
        """Events overlapping [start, end), recurring ones included once (not expanded)."""
        ...

    def put(self, room: str, draft: EventDraft, existing: CalendarEvent | None) -> tuple[str, str]:
        """Create the event, or rewrite `existing` (only if unchanged); returns (href, etag).

        Raises EventChanged when `existing` changed meanwhile, CalendarUnreachable otherwise.
        """
        ...

    def delete(self, room: str, event: CalendarEvent) -> None:
        """Remove the event (only if unchanged: raises EventChanged otherwise)."""
        ...


@dataclass(frozen=True, slots=True)
class CalendarLink:
    """A booking (or series) and the event mirroring it, as of the last sync."""

    room: str
    booking_key: str | None
    event_uid: str
    href: str
    etag: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class CalendarConflict:
    """A calendar change freeseat did not take, for its host to see."""

    id: int
    room: str
    event_uid: str
    title: str
    host: str
    starts_at: datetime
    ends_at: datetime
    code: str
    kept_title: str
    kept_starts_at: datetime | None
    kept_ends_at: datetime | None
    seen_at: datetime


@dataclass
class SyncReport:
    """What one sync of one room did."""

    room: str
    created_events: int = 0
    updated_events: int = 0
    deleted_events: int = 0
    booked: int = 0
    moved: int = 0
    cancelled: int = 0
    declined: int = 0
    errors: list[str] = field(default_factory=list)


class CalendarLinkStore(Protocol):
    """Where the sync keeps its links and the conflicts it reported."""

    def links(self, room: str) -> list[CalendarLink]: ...
    def save(self, link: CalendarLink, at: datetime) -> None: ...
    def drop(self, room: str, event_uid: str) -> None: ...
    def add_conflict(self, conflict: CalendarConflict) -> None: ...
    def conflicts(self, host: str | None, since: datetime) -> list[CalendarConflict]:
        """Conflicts seen since `since`; of one host (staff id or e-mail) or, None, of all."""
        ...
