"""Pairing a laptop with a room display: the rotating code on the room screen, and the
session a right code starts (or joins)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from server.domain.meetings import MeetingSession, PairingRules
from server.domain.refusals import Refusal, RefusalCode
from server.services.room_directory import Actor, RoomDirectory, RoomNow
from server.services.room_ports import Material, PairingCode, RoomBusy, RoomTransaction

# Hosts start a few minutes early; a session started this close to a booking is that booking's.
EARLY_START = timedelta(minutes=15)
# Pairing in a room someone else booked: it is that meeting, or a meeting of the host's own.
BookingChoice = Literal["join", "own"]


@dataclass(frozen=True, slots=True)
class ScreenState:
    now: RoomNow
    code: PairingCode | None
    code_rotates_in_s: float
    materials: list[Material]


class RoomPairing:
    """The room screen's code, and pairing by it (wrong codes limited per person)."""

    def __init__(
        self,
        directory: RoomDirectory,
        rules: PairingRules,
        new_code: Callable[[int], str] | None = None,
    ) -> None:
        self._rooms = directory
        self._store = directory.store
        self._clock = directory.clock
        self.rules = rules
        self._new_code = new_code or (lambda digits: f"{secrets.randbelow(10**digits):0{digits}d}")

    def screen(self, room_id: str, key: str) -> ScreenState:
        """What the room screen shows now; issues a fresh pairing code when the last one aged."""
        self._rooms.check_link("screen", room_id, key)
        now = self._clock.now()
        with self._store.transaction() as tx:
            state = self._rooms.room_now(tx, room_id, now)
            code = self._current_code(tx, room_id, state.session, now)
            materials = tx.materials(state.session.id) if state.session else []
        rotates = (code.issued_at + timedelta(seconds=self.rules.rotate_s) - now) if code else None
        return ScreenState(
            state, code, max(0.0, rotates.total_seconds()) if rotates else 0.0, materials
        )

    def _current_code(
        self, tx: RoomTransaction, room_id: str, session: MeetingSession | None, now: datetime
    ) -> PairingCode:
        latest = tx.latest_code(room_id)
        fresh = latest is not None and now < latest.issued_at + timedelta(
            seconds=self.rules.rotate_s
        )
        if latest is not None and fresh and latest.session_id == (session.id if session else None):
            return latest
        for _ in range(20):
            code = self._new_code(self.rules.digits)
            # Unique among live codes, so a code typed without its room still names one room.
            if not tx.live_codes(code, now):
                break
        return tx.add_code(
            room_id, code, now, now + self.rules.lifetime(), session.id if session else None
        )

    def pair(
        self,
        actor: Actor,
        code: str,
        room_id: str | None = None,
        booking_choice: BookingChoice | None = None,
    ) -> tuple[MeetingSession, bool]:
        """Start (or join) the session of the room whose screen shows `code`.

        When the room is booked now by someone else, the host says whether this is that
        meeting ("join": the session is the booking's) or a meeting of their own ("own");
        without an answer the pairing is refused with the booking's facts and the code stays
        valid. Returns the session and whether it was started by this call.
        """
        now = self._clock.now()
        code = code.strip().replace(" ", "")
        if room_id is not None:
            self._rooms.info(room_id)
        if not (code.isdigit() and len(code) == self.rules.digits):
            raise Refusal(RefusalCode.CODE_MALFORMED, digits=self.rules.digits)
        self._check_attempts(actor, room_id, now)
        with self._store.transaction() as tx:
            matches = [c for c in tx.live_codes(code, now) if room_id is None or c.room == room_id]
            if not matches:
                tx.add_attempt(room_id, actor.id, now, False)
                failed = True
            else:
                failed = False
                found = matches[0]
                tx.add_attempt(found.room, actor.id, now, True)
                session, started = self._start_or_join(tx, actor, found, now, booking_choice)
        if failed:
            raise Refusal(RefusalCode.CODE_WRONG, entered=code, room=room_id)
        return session, started

    def _check_attempts(self, actor: Actor, room_id: str | None, now: datetime) -> None:
        """Refuse a person who guessed too often; others' wrong codes never count here."""
        rules = self.rules
        with self._store.transaction() as tx:
            recent = tx.failures(since=now - rules.person_window, person=actor.id)
            today = tx.failures(since=now - rules.day_window, person=actor.id)
            first_today = tx.first_failure(since=now - rules.day_window, person=actor.id)
        if recent >= rules.person_failures:
            raise Refusal(
                RefusalCode.TOO_MANY_ATTEMPTS,
                retry_after_s=int(rules.person_window.total_seconds()),
                wait_min=int(rules.person_window.total_seconds() // 60),
            )
        if today >= rules.day_failures and first_today is not None:
            wait = first_today + rules.day_window - now
            raise Refusal(
                RefusalCode.TOO_MANY_ATTEMPTS,
                retry_after_s=max(60, int(wait.total_seconds())),
                wait_min=max(1, int(wait.total_seconds() // 60)),
            )
        if room_id is None and today:
            # Without a room a code is tried against every room's: one such try a day.
            raise Refusal(RefusalCode.ROOM_REQUIRED)

    def _start_or_join(
        self,
        tx: RoomTransaction,
        actor: Actor,
        code: PairingCode,
        now: datetime,
        booking_choice: BookingChoice | None,
    ) -> tuple[MeetingSession, bool]:
        open_session = tx.open_session(code.room)
        if open_session is not None:
            if code.session_id == open_session.id:
                return open_session, False  # a presenter joins the running session
            raise Refusal(
                RefusalCode.ROOM_IN_SESSION,
                room=code.room,
                host_name=open_session.host_name,
                host_name_ja=open_session.host_name_ja,
            )
        if code.session_id is not None:
            raise Refusal(RefusalCode.SESSION_ENDED, session=code.session_id)
        state = self._rooms.room_now(tx, code.room, now)
        booking = state.current
        upcoming = state.upcoming
        if booking is None and upcoming and upcoming.starts_at - now <= EARLY_START:
            booking = upcoming
        if booking is not None and booking.host != actor.id:
            if booking_choice is None:
                # Raised inside the transaction: the attempt is not recorded, the code lives on.
                raise Refusal(
                    RefusalCode.BOOKED_BY_ANOTHER,
                    room=code.room,
                    title=booking.title,
                    host_name=booking.host_name,
                    host_name_ja=booking.host_name_ja,
                    starts_at=booking.starts_at,
                    ends_at=booking.ends_at,
                )
            if booking_choice == "own":
                booking = None
        try:
            session = tx.add_session(
                MeetingSession(
                    id=0,
                    room=code.room,
                    booking_id=booking.id if booking else None,
                    host=actor.id,
                    host_name=actor.name,
                    host_name_ja=actor.name_ja,
                    department=actor.department,
                    # No title of its own: pages word it ("Meeting in <room>") in their language.
                    title=booking.title if booking else "",
                    started_at=now,
                    ended_at=None,
                    end_reason=None,
                    token=secrets.token_urlsafe(24),
                    current_material=None,
                    current_page=None,
                )
            )
        except RoomBusy:
            raise Refusal(RefusalCode.ROOM_JUST_STARTED, room=code.room) from None
        # The code is spent: the screen shows a new one, bound to this session.
        tx.revoke_codes(code.room)
        return session, True
