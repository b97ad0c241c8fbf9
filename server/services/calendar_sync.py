"""Two-way sync of each room's bookings with the room's calendar.

The one conflict rule: **freeseat's bookings decide; a calendar change is a request.** A new
event, a move or a longer series from a calendar client becomes a booking only if the room is
free then (and the times are bookable); otherwise the room keeps the booking it has, the event
is marked declined in the calendar (its title starts with "Declined:", its description says
why and what holds the room) and the host sees the conflict in freeseat. When a booking
changed on both sides between two syncs, freeseat's version is written back.

Everything else flows both ways: bookings made in freeseat appear as events (a weekly series as
one event with an RRULE); events made in a calendar client become bookings (RRULE occurrences
become a series); a cancellation or a move on either side is applied on the other.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from server.domain.meetings import MAX_BOOKING, Booking
from server.domain.people import Person
from server.services.calendar_ports import (
    CalendarConflict,
    CalendarEvent,
    CalendarLink,
    CalendarLinkStore,
    CalendarUnreachable,
    EventChanged,
    EventDraft,
    RoomCalendars,
    SyncReport,
)
from server.services.calendar_recurrence import MAX_OCCURRENCES, occurrences, recurrence
from server.services.ports import Clock
from server.services.room_ports import BookingOverlap, NewBooking, RoomStore

log = logging.getLogger(__name__)

DECLINED_PREFIX = "Declined: "
CANCELLED_IN_CALENDAR = "cancelled in the room calendar"
MAX_TITLE = 200


class PeopleByEmail(Protocol):
    def by_email(self, email: str) -> Person | None: ...


@dataclass(frozen=True, slots=True)
class Item:
    """A booking, or a series of them, as one calendar event mirrors it."""

    key: str
    bookings: tuple[Booking, ...]

    @property
    def active(self) -> list[Booking]:
        return sorted((b for b in self.bookings if b.active), key=lambda b: b.starts_at)

    @property
    def title(self) -> str:
        return self.bookings[0].title

    def fingerprint(self) -> str:
        text = "|".join(
            [self.title] + [f"{_utc(b.starts_at)}/{_utc(b.ends_at)}" for b in self.active]
        )
        return hashlib.sha256(text.encode()).hexdigest()


def key_of(booking: Booking) -> str:
    return booking.series or booking.uid


class CalendarSync:
    """Syncs every room that has a calendar."""

    def __init__(
        self,
        rooms: Sequence[str],
        store: RoomStore,
        calendars: RoomCalendars,
        links: CalendarLinkStore,
        people: PeopleByEmail,
        clock: Clock,
        *,
        horizon: timedelta = timedelta(days=366),
        local: Callable[[datetime], datetime] = lambda when: when,
    ) -> None:
        self._rooms = list(rooms)
        self._store = store
        self._calendars = calendars
        self.links = links
        self._people = people
        self._clock = clock
        self._horizon = horizon
        self._local = local

    def sync_all(self) -> list[SyncReport]:
        reports = []
        for room in self._rooms:
            try:
                if self._calendars.has_calendar(room):
                    reports.append(self.sync(room))
            except CalendarUnreachable as exc:
                log.warning("room calendar sync failed: %s", exc)
                reports.append(SyncReport(room, errors=[str(exc)]))
        return reports

    def sync(self, room: str) -> SyncReport:
        """One pass over one room: both sides compared, each difference carried over."""
        now = self._clock.now()
        start, end = now - timedelta(days=1), now + self._horizon
        report = SyncReport(room)
        with self._store.transaction() as tx:
            grouped: dict[str, list[Booking]] = defaultdict(list)
            for booking in tx.bookings(room, start, end):
                grouped[key_of(booking)].append(booking)
        items = {key: Item(key, tuple(found)) for key, found in grouped.items()}
        events = {e.uid: e for e in self._calendars.events(room, start, end)}
        links = {link.event_uid: link for link in self.links.links(room)}
        linked_keys = {link.booking_key for link in links.values() if link.booking_key}
        for link in links.values():
            # EventChanged: changed while we worked; the next sync sees the new version.
            with contextlib.suppress(EventChanged):
                self._linked(room, link, events.get(link.event_uid), items, report, now)
        for uid, event in events.items():
            if uid in links:
                continue
            if event.booking_key is not None:
                continue  # written by freeseat: linked again below while its booking lasts
            with contextlib.suppress(EventChanged):
                self._new_event(room, event, report, now)
        for key, item in items.items():
            if key in linked_keys or not item.active or item.active[-1].ends_at <= now:
                continue
            if any(e.booking_key == key for e in events.values()):
                existing = next(e for e in events.values() if e.booking_key == key)
                self._write(room, item, existing, report)
                continue
            self._write(room, item, None, report)
        return report

    # -- one linked pair ---------------------------------------------------------------------

    def _linked(
        self,
        room: str,
        link: CalendarLink,
        event: CalendarEvent | None,
        items: dict[str, Item],
        report: SyncReport,
        now: datetime,
    ) -> None:
        if link.booking_key is None:  # an event freeseat declined
            if event is None:
                self.links.drop(room, link.event_uid)
            elif event.etag != link.etag:
                self.links.drop(room, link.event_uid)  # the host changed it: ask again
                self._new_event(room, event, report, now)
            return
        item = items.get(link.booking_key)
        if item is None:
            if event is None:
                self.links.drop(room, link.event_uid)
            return  # the booking is out of the window (past): leave both as they are
        if event is None or (event.cancelled and not event.declined):
            cancelled = self._cancel(item, now)
            report.cancelled += cancelled
            self.links.drop(room, link.event_uid)
            return
        if not item.active:
            self._calendars.delete(room, event)
            report.deleted_events += 1
            self.links.drop(room, link.event_uid)
            return
        calendar_changed = event.etag != link.etag
        freeseat_changed = item.fingerprint() != link.fingerprint
        if not calendar_changed and not freeseat_changed:
            return
        if freeseat_changed:  # freeseat's version stands, changed on the other side or not
            if calendar_changed and self._wanted(event) != self._held(item):
                self._conflict(room, event, "changed_on_both_sides", item.active[0], now)
            self._write(room, item, event, report)
            return
        self._take_change(room, item, event, report, now)

    def _take_change(
        self, room: str, item: Item, event: CalendarEvent, report: SyncReport, now: datetime
    ) -> None:
        """A calendar client moved, retitled, shortened or lengthened the event."""
        wanted = self._wanted(event)
        held = self._held(item)
        title = _title(event.title)
        if wanted == held and title == item.title:
            self.links.save(self._link(room, item, event.uid, event.href, event.etag), now)
            return
        refusal = self._refusal(wanted, now)
        if refusal is None:
            try:
                report.moved += self._reshape(item, wanted, title, now)
            except BookingOverlap:
                refusal = "booking_overlap"
        if refusal is not None:
            self._conflict(room, event, refusal, self._clash(room, wanted, item), now)
            self._write(room, self._reread(room, item), event, report)
            return
        fresh = self._reread(room, item)
        self.links.save(self._link(room, fresh, event.uid, event.href, event.etag), now)

    def _reshape(
        self, item: Item, wanted: list[tuple[datetime, datetime]], title: str, now: datetime
    ) -> int:
        """Make the item's active bookings `wanted`, in one transaction; returns changes."""
        active = item.active
        changed = 0
        with self._store.transaction() as tx:
            series = item.key if (len(wanted) > 1 or active[0].series) else None
            for booking, (start, end) in zip(active, wanted, strict=False):
                if (booking.starts_at, booking.ends_at, booking.title) != (start, end, title):
                    tx.change_booking(booking.id, title, start, end)
                    changed += 1
            for booking in active[len(wanted) :]:
                tx.set_booking_status(booking.id, "cancelled", CANCELLED_IN_CALENDAR, now)
                changed += 1
            first = active[0]
            for start, end in wanted[len(active) :]:
                tx.add_booking(
                    NewBooking(
                        uid=uuid.uuid4().hex,
                        room=first.room,
                        title=title,
                        host=first.host,
                        host_name=first.host_name,
                        host_name_ja=first.host_name_ja,
                        department=first.department,
                        starts_at=start,
                        ends_at=end,
                        series=series,
                        created_at=now,
                    )
                )
                changed += 1
        return changed

    # -- events made in a calendar client ----------------------------------------------------

    def _new_event(
        self, room: str, event: CalendarEvent, report: SyncReport, now: datetime
    ) -> None:
        if event.all_day or (event.ends_at <= now and not event.rrule):
            return  # a day note or a past meeting: nothing to book
        if event.cancelled and not event.declined:
            return
        wanted = [(s, e) for s, e in self._wanted(event) if e > now]
        if not wanted:
            return
        host = self._people.by_email(event.organizer_email) if event.organizer_email else None
        refusal = self._refusal(wanted, now)
        made: list[Booking] = []
        if refusal is None:
            series = uuid.uuid4().hex if len(wanted) > 1 else None
            try:
                with self._store.transaction() as tx:
                    for start, end in wanted:
                        made.append(
                            tx.add_booking(
                                NewBooking(
                                    uid=uuid.uuid4().hex,
                                    room=room,
                                    title=_title(event.title),
                                    host=host.staff_id if host else _host_text(event),
                                    host_name=host.name
                                    if host
                                    else event.organizer_name or event.organizer_email,
                                    host_name_ja=host.name_ja if host else "",
                                    department=host.department if host else None,
                                    starts_at=start,
                                    ends_at=end,
                                    series=series,
                                    created_at=now,
                                )
                            )
                        )
            except BookingOverlap:
                refusal = "booking_overlap"
        if refusal is not None:
            self._conflict(room, event, refusal, self._clash(room, wanted, None), now)
            self._decline(room, event, refusal, wanted, report, now)
            return
        item = Item(key_of(made[0]), tuple(made))
        report.booked += 1
        if event.declined:  # booked on a second try: the event is no longer declined
            self._write(room, item, event, report)
        else:
            self.links.save(self._link(room, item, event.uid, event.href, event.etag), now)

    def _decline(
        self,
        room: str,
        event: CalendarEvent,
        code: str,
        wanted: list[tuple[datetime, datetime]],
        report: SyncReport,
        now: datetime,
    ) -> None:
        clash = self._clash(room, wanted, None)
        why = {
            "booking_overlap": "the room is already booked then",
            "booking_in_past": "that time has passed",
            "booking_too_long": f"a booking may last at most {MAX_BOOKING.seconds // 3600} hours",
            "booking_repeats_out_of_range": f"at most {MAX_OCCURRENCES} occurrences are booked",
        }.get(code, code)
        held = (
            f" ({clash.title}, {self._local(clash.starts_at):%Y-%m-%d %H:%M}–"
            f"{self._local(clash.ends_at):%H:%M})"
            if clash
            else ""
        )
        draft = EventDraft(
            uid=event.uid,
            title=DECLINED_PREFIX + _title(event.title),
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            rrule=event.rrule,
            exdates=event.exdates,
            rdates=event.rdates,
            cancelled=True,
            description=f"freeseat did not book {room}: {why}{held}. "
            "Move the event to a free time and it is booked at the next sync.",
            organizer_email=event.organizer_email,
            organizer_name=event.organizer_name,
            declined=code,
        )
        _, etag = self._calendars.put(room, draft, event)
        report.declined += 1
        self.links.save(CalendarLink(room, None, event.uid, event.href, etag, ""), now)

    # -- writing freeseat's side -------------------------------------------------------------

    def _write(
        self, room: str, item: Item, existing: CalendarEvent | None, report: SyncReport
    ) -> None:
        active = item.active
        if not active:
            return
        first = active[0]
        rule, exdates, rdates = recurrence([b.starts_at for b in active], existing)
        draft = EventDraft(
            uid=existing.uid if existing else f"{item.key}@freeseat",
            title=first.title,
            starts_at=first.starts_at,
            ends_at=first.ends_at,
            rrule=rule,
            exdates=exdates,
            rdates=rdates,
            organizer_email=existing.organizer_email if existing else "",
            organizer_name=first.host_name or first.host,
            booking_key=item.key,
            location=room,
        )
        href, etag = self._calendars.put(room, draft, existing)
        if existing is None:
            report.created_events += 1
        else:
            report.updated_events += 1
        self.links.save(self._link(room, item, draft.uid, href, etag), self._clock.now())

    # -- helpers -----------------------------------------------------------------------------

    def _wanted(self, event: CalendarEvent) -> list[tuple[datetime, datetime]]:
        length = event.ends_at - event.starts_at
        return [(start, start + length) for start in occurrences(event)]

    @staticmethod
    def _held(item: Item) -> list[tuple[datetime, datetime]]:
        return [(b.starts_at, b.ends_at) for b in item.active]

    @staticmethod
    def _refusal(wanted: list[tuple[datetime, datetime]], now: datetime) -> str | None:
        if len(wanted) > MAX_OCCURRENCES:
            return "booking_repeats_out_of_range"
        for start, end in wanted:
            if end <= start or end - start > MAX_BOOKING:
                return "booking_too_long"
            if end <= now:
                return "booking_in_past"
        return None

    def _cancel(self, item: Item, now: datetime) -> int:
        count = 0
        with self._store.transaction() as tx:
            for booking in item.active:
                if booking.ends_at > now:
                    tx.set_booking_status(booking.id, "cancelled", CANCELLED_IN_CALENDAR, now)
                    count += 1
        return count

    def _clash(
        self, room: str, wanted: list[tuple[datetime, datetime]], own: Item | None
    ) -> Booking | None:
        mine = {b.id for b in own.bookings} if own else set()
        with self._store.transaction() as tx:
            for start, end in wanted:
                for booking in tx.bookings(room, start, end):
                    if booking.active and booking.id not in mine:
                        return booking
        return None

    def _reread(self, room: str, item: Item) -> Item:
        ids = {b.id for b in item.bookings}
        with self._store.transaction() as tx:
            fresh = [found for b in item.bookings if (found := tx.booking(b.id)) is not None]
            if item.bookings[0].series:  # occurrences added to the series meanwhile
                start = min(b.starts_at for b in item.bookings) - timedelta(days=1)
                fresh += [
                    b
                    for b in tx.bookings(room, start, start + self._horizon)
                    if b.series == item.key and b.id not in ids
                ]
        return Item(item.key, tuple(fresh))

    @staticmethod
    def _link(room: str, item: Item, uid: str, href: str, etag: str) -> CalendarLink:
        return CalendarLink(room, item.key, uid, href, etag, item.fingerprint())

    def _conflict(
        self, room: str, event: CalendarEvent, code: str, kept: Booking | None, now: datetime
    ) -> None:
        host = self._people.by_email(event.organizer_email) if event.organizer_email else None
        self.links.add_conflict(
            CalendarConflict(
                id=0,
                room=room,
                event_uid=event.uid,
                title=_title(event.title),
                host=host.staff_id if host else _host_text(event),
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                code=code,
                kept_title=kept.title if kept else "",
                kept_starts_at=kept.starts_at if kept else None,
                kept_ends_at=kept.ends_at if kept else None,
                seen_at=now,
            )
        )
        log.info("room %s: calendar event %r not taken (%s)", room, event.title, code)


def _title(text: str) -> str:
    cleaned = text.removeprefix(DECLINED_PREFIX).strip() or "Meeting"
    return cleaned[:MAX_TITLE]


def _host_text(event: CalendarEvent) -> str:
    return (event.organizer_email or "calendar")[:64]


def _utc(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()
