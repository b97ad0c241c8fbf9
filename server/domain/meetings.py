"""Meeting rooms, pure: bookings, pairing codes, session end, no-shows, ghosts, PDFs.

Every function that depends on time takes `now`; a request that cannot be granted is a
`Refusal` value (a code and its facts), returned, not raised.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.domain.refusals import Refusal, RefusalCode


@dataclass(frozen=True, slots=True)
class PairingRules:
    """How pairing codes behave, and how guessing them is kept negligible.

    Six digits give a million codes. A code rotates every `rotate_s` (the screen always shows
    a fresh one) and the previous one stays valid for `overlap_s`, so a code that changes while
    being typed still works: a room has at most two live codes. A code pairs once, only for the
    room that showed it, and every code of a room dies when a session there ends.

    Wrong codes are limited per person, whichever room they name: `person_failures` per
    `person_window` (a host who mistypes twice is not held up) and `day_failures` per
    `day_window`. A code typed without its room is tried against every room's live codes, so
    it is allowed only while the person has no wrong code in the day window; after one, they
    name the room. Others' guesses never refuse a person's right code. Over a working day one
    account can therefore try at most one code against every room and nine against a room it
    names: for the 49 rooms of the model city hall, at most (2 x 49 + 9 x 2) / 1,000,000, about
    1 in 8,600 per account per day, and 1 in 50,000 when every guess names its room.
    """

    digits: int = 6
    rotate_s: float = 60.0
    overlap_s: float = 15.0
    person_failures: int = 5
    person_window: timedelta = timedelta(minutes=10)
    day_failures: int = 10
    day_window: timedelta = timedelta(days=1)

    def lifetime(self) -> timedelta:
        return timedelta(seconds=self.rotate_s + self.overlap_s)


@dataclass(frozen=True, slots=True)
class SessionRules:
    """When a session ends without the host ending it, and when a booking is released."""

    # Casting stopped and the room sensor has said "empty" for this long: everyone left.
    empty_after_cast: timedelta = timedelta(minutes=10)
    # No heartbeat, or an offline will, for longer than this: the room computer is gone.
    monitor_ttl: timedelta = timedelta(minutes=3)
    # A session outlives its booking's end by at most this much ...
    overrun: timedelta = timedelta(minutes=30)
    # ... and one without a booking lasts at most this long: nothing stays open overnight.
    max_unbooked: timedelta = timedelta(hours=4)
    # A booking with no session and an empty room this long after its start is released.
    booking_grace: timedelta = timedelta(minutes=15)


MAX_BOOKING = timedelta(hours=12)
MAX_REPEATS = 52


@dataclass(frozen=True, slots=True)
class Booking:
    id: int
    uid: str
    room: str
    title: str
    host: str
    host_name: str
    department: str | None
    starts_at: datetime
    ends_at: datetime
    series: str | None
    active: bool
    status: str  # booked | cancelled | released
    status_reason: str | None
    status_at: datetime | None
    created_at: datetime
    sequence: int
    # The host's name in Japanese when the directory has one: pages in Japanese show it.
    host_name_ja: str = ""


@dataclass(frozen=True, slots=True)
class MeetingSession:
    """A meeting running in a room: paired by its host, materials shown, ended once."""

    id: int
    room: str
    booking_id: int | None
    host: str
    host_name: str
    department: str | None
    title: str
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    token: str
    current_material: int | None
    current_page: int | None
    host_name_ja: str = ""

    @property
    def open(self) -> bool:
        return self.ended_at is None

    def link_refusal(self, now: datetime) -> Refusal | None:
        """Why the attendees' link (view and materials) no longer works at `now`, or None:
        it lasts until LINK_GRACE after the session's end, so the room's QR code taken home
        does not keep opening the materials."""
        if self.ended_at is not None and now >= self.ended_at + LINK_GRACE:
            return Refusal(RefusalCode.MEETING_LINK_EXPIRED, ended_at=self.ended_at)
        return None


# How long after a session ends its attendees may still open the view and the materials.
LINK_GRACE = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class RoomStatus:
    """What the room monitor last reported."""

    room: str
    display_connected: bool | None = None
    casting: bool = False
    cast_changed_at: datetime | None = None
    occupied: bool | None = None
    occupancy_changed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MonitorLiveness:
    """The room computer as the device table sees it."""

    status: str  # online | offline | unknown
    last_seen: datetime | None


def check_booking_times(starts_at: datetime, ends_at: datetime, now: datetime) -> Refusal | None:
    """Why these times cannot be booked, or None."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        return Refusal(RefusalCode.TIME_WITHOUT_OFFSET)
    if ends_at <= starts_at:
        return Refusal(RefusalCode.BOOKING_ENDS_BEFORE_START, starts_at=starts_at, ends_at=ends_at)
    if ends_at - starts_at > MAX_BOOKING:
        return Refusal(RefusalCode.BOOKING_TOO_LONG, max_hours=MAX_BOOKING.seconds // 3600)
    if ends_at <= now:
        return Refusal(RefusalCode.BOOKING_IN_PAST, ends_at=ends_at)
    return None


def repeated(
    starts_at: datetime, ends_at: datetime, weekly: int
) -> list[tuple[datetime, datetime]]:
    """The occurrences of a booking repeated every week `weekly` times (1 = just this one)."""
    return [(starts_at + timedelta(weeks=n), ends_at + timedelta(weeks=n)) for n in range(weekly)]


def now_and_next(
    bookings: Iterable[Booking], now: datetime
) -> tuple[Booking | None, Booking | None]:
    """The active booking running at `now`, and the next one to start after it."""
    active = sorted((b for b in bookings if b.active), key=lambda b: b.starts_at)
    current = next((b for b in active if b.starts_at <= now < b.ends_at), None)
    upcoming = next((b for b in active if b.starts_at > now), None)
    return current, upcoming


def no_show_reason(
    booking: Booking,
    now: datetime,
    *,
    has_session: bool,
    status: RoomStatus | None,
    rules: SessionRules,
) -> str | None:
    """Why an unstarted booking is released now, or None to keep it.

    Kept while a session runs (or ran) for it, or once the room was used after the booking
    began (`used_since`); a room without a sensor reading or a cast is judged by the session
    alone, and the reason says so.
    """
    if not booking.active or has_session or now < booking.starts_at + rules.booking_grace:
        return None
    grace = int(rules.booking_grace.total_seconds() // 60)
    if status is not None and used_since(status, booking.starts_at):
        return None
    sensed = (
        "room sensor empty"
        if status is not None and status.occupied is False
        else ("no room sensor reading")
    )
    return f"not started within {grace} min: no session, {sensed}"


def used_since(status: RoomStatus, since: datetime) -> bool:
    """Whether the room was in use at some point after `since`, as its monitor reported.

    Occupied now, or its occupancy changed after `since` (it was occupied until or from
    then); or a laptop cast to the display then (casting now, or the cast changed after
    `since`) while the room sensor did not say empty all along. Bookings are judged at every
    sweep until they end, so one whose meeting is over (the room empty again) stays held.
    """
    changed = status.occupancy_changed_at
    if status.occupied or (changed is not None and changed > since):
        return True
    cast_changed = status.cast_changed_at
    cast = status.casting or (cast_changed is not None and cast_changed > since)
    return cast and status.occupied is not False


def end_reason(
    session: MeetingSession,
    now: datetime,
    *,
    status: RoomStatus | None,
    monitor: MonitorLiveness | None,
    booking_ends_at: datetime | None,
    rules: SessionRules,
) -> str | None:
    """Why an open session ends now (host aside), or None while it should stay open."""
    if not session.open:
        return None
    if monitor is not None and monitor.last_seen is not None:
        silent = now - monitor.last_seen
        if silent > rules.monitor_ttl:
            how = "went offline" if monitor.status == "offline" else "stopped reporting"
            return f"room monitor {how} over {int(rules.monitor_ttl.total_seconds())} s ago"
    if (
        status is not None
        and not status.casting
        and status.occupied is False
        and status.occupancy_changed_at is not None
    ):
        quiet_since = max(status.occupancy_changed_at, status.cast_changed_at or session.started_at)
        quiet_since = max(quiet_since, session.started_at)
        if now - quiet_since >= rules.empty_after_cast:
            minutes = int(rules.empty_after_cast.total_seconds() // 60)
            return f"casting stopped and the room was empty for {minutes} min"
    if booking_ends_at is not None:
        if now >= booking_ends_at + rules.overrun:
            return f"booking ended over {int(rules.overrun.total_seconds() // 60)} min ago"
    elif now - session.started_at >= rules.max_unbooked:
        return f"unbooked session reached {int(rules.max_unbooked.total_seconds() // 3600)} h"
    return None


@dataclass(frozen=True, slots=True)
class GhostMeeting:
    """A recurring booking whose occurrences keep being released unused."""

    series: str
    room: str
    title: str
    host: str
    department: str | None
    occurrences: int
    released: int
    last_released_at: datetime | None


def ghost_meetings(
    bookings: Sequence[Booking], now: datetime, *, min_released: int = 2, share: float = 0.5
) -> list[GhostMeeting]:
    """Series with at least `min_released` past occurrences released, and half or more of them."""
    by_series: dict[str, list[Booking]] = defaultdict(list)
    for booking in bookings:
        if booking.series is not None and booking.starts_at <= now:
            by_series[booking.series].append(booking)
    ghosts = []
    for series, items in by_series.items():
        held = [b for b in items if b.status != "cancelled"]
        released = [b for b in held if b.status == "released"]
        if len(released) >= min_released and len(released) >= share * len(held):
            first = min(items, key=lambda b: b.starts_at)
            ghosts.append(
                GhostMeeting(
                    series=series,
                    room=first.room,
                    title=first.title,
                    host=first.host,
                    department=first.department,
                    occurrences=len(held),
                    released=len(released),
                    last_released_at=max(
                        (b.status_at for b in released if b.status_at), default=None
                    ),
                )
            )
    return sorted(ghosts, key=lambda g: (-g.released, g.series))


@dataclass(frozen=True, slots=True)
class PdfInfo:
    """An accepted PDF."""

    pages: int


@dataclass(frozen=True, slots=True)
class PdfReading:
    """What a PDF parser found in an upload: its pages and any active content it carries."""

    pages: int
    # Names of what would run or open something on a viewer's machine (JavaScript, Launch,
    # EmbeddedFiles, ...), as the parser found them; empty for a plain document.
    active_content: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PdfRules:
    """What a meeting material may be: a plain document of sensible size."""

    max_bytes: int = 20 * 1024 * 1024
    # Far beyond any agenda or slide deck; a larger count is a broken or hostile file.
    max_pages: int = 1000


def check_filename(name: str) -> Refusal | None:
    """Why `name` cannot name a material: a control or format character (a line break, NUL,
    a right-to-left override), or no .pdf ending; None when it can. Any script is fine."""
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        return Refusal(RefusalCode.FILENAME_INVALID)
    if not name.lower().endswith(".pdf"):
        return Refusal(RefusalCode.FILENAME_NOT_PDF, filename=name)
    return None


def check_pdf_size(size: int, rules: PdfRules) -> Refusal | None:
    """Why an upload of `size` bytes cannot be a material (empty, too large), or None."""
    if size == 0:
        return Refusal(RefusalCode.PDF_EMPTY)
    if size > rules.max_bytes:
        return Refusal(
            RefusalCode.PDF_TOO_LARGE,
            size_mb=round(size / 1e6, 1),
            max_mb=round(rules.max_bytes / 1e6),
        )
    return None


def judge_pdf(reading: PdfReading, rules: PdfRules) -> PdfInfo | Refusal:
    """Accept a parsed PDF as a material, or say why not (no pages, too many, active content)."""
    if reading.active_content:
        return Refusal(RefusalCode.PDF_ACTIVE_CONTENT, found=reading.active_content)
    if reading.pages == 0:
        return Refusal(RefusalCode.PDF_NO_PAGES)
    if reading.pages > rules.max_pages:
        return Refusal(
            RefusalCode.PDF_TOO_MANY_PAGES, pages=reading.pages, max_pages=rules.max_pages
        )
    return PdfInfo(pages=reading.pages)
