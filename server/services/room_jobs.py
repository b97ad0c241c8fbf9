"""The rooms' timed jobs: sessions that must end, bookings nobody started, old attempts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from server.domain.meetings import SessionRules, end_reason, no_show_reason
from server.services.room_directory import RoomDirectory
from server.services.room_pairing import EARLY_START
from server.services.room_sessions import end_session

# Failed pairing attempts count against limits that look back at most a day (PairingRules).
ATTEMPTS_KEPT = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class RoomJobsDone:
    """What one run changed: sessions ended and bookings released, each with its reason."""

    ended: list[tuple[int, str]] = field(default_factory=list)
    released: list[tuple[int, str]] = field(default_factory=list)


class RoomJobs:
    """Runs whatever is due; the caller decides when (every sweep interval, on one replica)."""

    def __init__(self, directory: RoomDirectory, rules: SessionRules) -> None:
        self._rooms = directory
        self._store = directory.store
        self.rules = rules

    def run_due(self, now: datetime) -> RoomJobsDone:
        """End sessions that must end, release no-show bookings, forget old pairing attempts."""
        done = RoomJobsDone()
        with self._store.transaction() as tx:
            for session in tx.open_sessions():
                info = self._rooms.rooms.get(session.room)
                monitor = tx.monitor(info.device) if info and info.device else None
                booking = tx.booking(session.booking_id) if session.booking_id else None
                reason = end_reason(
                    session,
                    now,
                    status=tx.status(session.room),
                    monitor=monitor,
                    booking_ends_at=booking.ends_at if booking else None,
                    rules=self.rules,
                )
                if reason and end_session(tx, session, now, reason):
                    done.ended.append((session.id, reason))
            # A booking shorter than the grace is still judged once its grace has passed.
            for booking in tx.due_unstarted(now, now - self.rules.booking_grace):
                has_session = tx.has_session_between(
                    booking.room, booking.starts_at - EARLY_START, booking.ends_at
                )
                reason = no_show_reason(
                    booking,
                    now,
                    has_session=has_session,
                    status=tx.status(booking.room),
                    rules=self.rules,
                )
                if reason:
                    tx.set_booking_status(booking.id, "released", reason, now)
                    done.released.append((booking.id, reason))
            tx.forget_attempts(now - ATTEMPTS_KEPT)
        return done
