"""Room bookings (one-off and weekly, all occurrences or none) and their ICS feed."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from server.domain.meetings import MAX_REPEATS, Booking, check_booking_times, repeated
from server.domain.refusals import Refusal, RefusalCode
from server.domain.room_calendar import render_calendar
from server.services.room_directory import Actor, RoomDirectory
from server.services.room_ports import BookingOverlap, NewBooking

MAX_TITLE = 200


class RoomBookings:
    """Book, list and cancel; the room's calendar feed."""

    def __init__(self, directory: RoomDirectory) -> None:
        self._rooms = directory
        self._store = directory.store
        self._clock = directory.clock

    def book(
        self,
        actor: Actor,
        room_id: str,
        title: str,
        starts_at: datetime,
        ends_at: datetime,
        weekly: int = 1,
    ) -> list[Booking]:
        """Book the room (every week `weekly` times); all occurrences or none."""
        self._rooms.info(room_id)
        now = self._clock.now()
        refused = check_booking_times(starts_at, ends_at, now)
        if refused:
            raise refused
        if not 1 <= weekly <= MAX_REPEATS:
            raise Refusal(RefusalCode.BOOKING_REPEATS_OUT_OF_RANGE, max_repeats=MAX_REPEATS)
        title = title.strip()
        if not title or len(title) > MAX_TITLE:
            raise Refusal(RefusalCode.BOOKING_TITLE_INVALID, max_length=MAX_TITLE)
        series = uuid.uuid4().hex if weekly > 1 else None
        made = []
        try:
            with self._store.transaction() as tx:
                for start, end in repeated(starts_at, ends_at, weekly):
                    made.append(
                        tx.add_booking(
                            NewBooking(
                                uid=uuid.uuid4().hex,
                                room=room_id,
                                title=title,
                                host=actor.id,
                                host_name=actor.name,
                                host_name_ja=actor.name_ja,
                                department=actor.department,
                                starts_at=start,
                                ends_at=end,
                                series=series,
                                created_at=now,
                            )
                        )
                    )
        except BookingOverlap:
            raise self._overlap(room_id, starts_at, ends_at, weekly) from None
        return made

    def _overlap(
        self, room_id: str, starts_at: datetime, ends_at: datetime, weekly: int
    ) -> Refusal:
        with self._store.transaction() as tx:
            clash = [
                b
                for start, end in repeated(starts_at, ends_at, weekly)
                for b in tx.bookings(room_id, start, end)
                if b.active
            ]
        if not clash:
            return Refusal(RefusalCode.BOOKING_OVERLAP, room=room_id)
        first = clash[0]
        return Refusal(
            RefusalCode.BOOKING_OVERLAP,
            room=room_id,
            title=first.title,
            starts_at=self._rooms.local(first.starts_at),
            ends_at=self._rooms.local(first.ends_at),
        )

    def between(self, room_id: str, start: datetime, end: datetime) -> list[Booking]:
        """The room's bookings of any status that overlap [start, end)."""
        self._rooms.info(room_id)
        with self._store.transaction() as tx:
            return tx.bookings(room_id, start, end)

    def cancel(self, actor: Actor, booking_id: int) -> Booking:
        now = self._clock.now()
        with self._store.transaction() as tx:
            booking = tx.booking(booking_id)
            if booking is None:
                raise Refusal(RefusalCode.BOOKING_UNKNOWN, booking=booking_id)
            if booking.host != actor.id and not actor.oversees:
                raise Refusal(RefusalCode.HOST_ONLY, booking=booking_id)
            if not booking.active:
                raise Refusal(
                    RefusalCode.BOOKING_NOT_ACTIVE, booking=booking_id, status=booking.status
                )
            tx.set_booking_status(booking_id, "cancelled", f"cancelled by {actor.id}", now)
            done = tx.booking(booking_id)
        assert done is not None
        return done

    def move(
        self, actor: Actor, booking_id: int, starts_at: datetime, ends_at: datetime
    ) -> Booking:
        """Give one booking (one occurrence of a series) new times, if the room is free then."""
        now = self._clock.now()
        refused = check_booking_times(starts_at, ends_at, now)
        if refused:
            raise refused
        room = ""
        try:
            with self._store.transaction() as tx:
                booking = tx.booking(booking_id)
                if booking is None:
                    raise Refusal(RefusalCode.BOOKING_UNKNOWN, booking=booking_id)
                room = booking.room
                if booking.host != actor.id and not actor.oversees:
                    raise Refusal(RefusalCode.HOST_ONLY, booking=booking_id)
                if not booking.active:
                    raise Refusal(
                        RefusalCode.BOOKING_NOT_ACTIVE, booking=booking_id, status=booking.status
                    )
                return tx.change_booking(booking_id, booking.title, starts_at, ends_at)
        except BookingOverlap:
            raise self._overlap(room, starts_at, ends_at, 1) from None

    def calendar(self, room_id: str, key: str, domain: str) -> str:
        """The room's bookings as iCalendar text; `key` is the calendar link's secret."""
        self._rooms.check_link("calendar", room_id, key)
        info = self._rooms.info(room_id)
        now = self._clock.now()
        with self._store.transaction() as tx:
            bookings = tx.bookings(room_id, now - timedelta(days=31), now + timedelta(days=366))
        name = f"{info.room.name} / {info.room.name_ja}" if info.room.name_ja else info.room.name
        return render_calendar(room_id, name, bookings, now, domain)
