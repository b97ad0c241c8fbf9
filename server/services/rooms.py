"""The meeting-rooms application layer: bookings, pairing, sessions, materials, timed jobs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from contracts import RoomCastChanged, RoomDisplayChanged, RoomEvent, RoomOccupancyChanged
from firmware_config.site import Floor, Room, Site
from server.domain.meetings import (
    Booking,
    GhostMeeting,
    MeetingRecord,
    PairingRules,
    PaperlessReport,
    Rejected,
    RoomStatus,
    Session,
    SessionRules,
    check_booking_times,
    end_reason,
    ghost_meetings,
    inspect_pdf,
    no_show_reason,
    now_and_next,
    paperless_report,
    repeated,
)
from server.domain.room_calendar import render_calendar
from server.services.ports import Clock, Transaction
from server.services.room_ports import (
    BookingOverlap,
    Material,
    NewBooking,
    PairingCode,
    RoomBusy,
    RoomStore,
    RoomTransaction,
)

# Facilities and admins may act on any booking or session; hosts on their own.
STAFF_ROLES_WITH_OVERSIGHT = frozenset({"facilities", "admin"})


class RoomError(Exception):
    """A request the caller must fix; `status` is the HTTP status that fits."""

    def __init__(self, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status

    @classmethod
    def of(cls, rejected: Rejected) -> RoomError:
        return cls(rejected.reason, rejected.status)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: a signed-in person."""

    id: str
    name: str
    department: str | None
    role: str

    @property
    def oversees(self) -> bool:
        return self.role in STAFF_ROLES_WITH_OVERSIGHT


@dataclass(frozen=True, slots=True)
class RoomInfo:
    room: Room
    floor: Floor
    device: str | None


@dataclass(frozen=True, slots=True)
class RoomNow:
    info: RoomInfo
    current: Booking | None
    upcoming: Booking | None
    session: Session | None
    status: RoomStatus | None


@dataclass(frozen=True, slots=True)
class ScreenState:
    now: RoomNow
    code: PairingCode | None
    code_rotates_in_s: float
    materials: list[Material]


@dataclass(frozen=True, slots=True)
class SessionDetail:
    session: Session
    materials: list[Material]
    opened_by: list[str]
    anonymous_opens: int
    pages_shared: int


@dataclass(frozen=True, slots=True)
class TickOutcome:
    ended: list[tuple[int, str]]
    released: list[tuple[int, str]]


class RoomService:
    """Everything a host, an attendee, a room screen and the timed jobs do with rooms."""

    def __init__(
        self,
        site: Site,
        store: RoomStore,
        clock: Clock,
        *,
        pairing: PairingRules | None = None,
        sessions: SessionRules | None = None,
        new_code: Callable[[int], str] | None = None,
    ) -> None:
        self.site = site
        self.store = store
        self.clock = clock
        self.pairing = pairing or PairingRules()
        self.rules = sessions or SessionRules()
        self._new_code = new_code or (lambda digits: f"{secrets.randbelow(10**digits):0{digits}d}")
        self.zone = ZoneInfo(site.site.timezone)
        self.rooms: dict[str, RoomInfo] = {}
        device_of = {d.room: d.id for d in site.devices if d.kind == "room" and d.room}
        for floor in site.floors():
            for room in floor.rooms:
                self.rooms[room.id] = RoomInfo(room, floor, device_of.get(room.id))
        self.room_of_device = {device: room for room, device in device_of.items()}

    # -- rooms -------------------------------------------------------------------------------

    def info(self, room_id: str) -> RoomInfo:
        info = self.rooms.get(room_id)
        if info is None:
            raise RoomError(f"no room {room_id!r} in this site; GET /api/rooms lists them", 404)
        return info

    def overview(self, floor: str | None = None) -> list[RoomNow]:
        """Every room (of one floor) with its booking now and next and its open session."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            bookings = tx.bookings(None, now - timedelta(hours=12), now + timedelta(days=2))
            statuses = tx.statuses()
            sessions = {s.room: s for s in tx.open_sessions()}
        out = []
        for room_id, info in self.rooms.items():
            if floor is not None and info.floor.id != floor:
                continue
            current, upcoming = now_and_next((b for b in bookings if b.room == room_id), now)
            out.append(
                RoomNow(info, current, upcoming, sessions.get(room_id), statuses.get(room_id))
            )
        return out

    def room_now(self, tx: RoomTransaction, room_id: str, now: datetime) -> RoomNow:
        info = self.info(room_id)
        bookings = tx.bookings(room_id, now - timedelta(hours=12), now + timedelta(days=7))
        current, upcoming = now_and_next(bookings, now)
        return RoomNow(info, current, upcoming, tx.open_session(room_id), tx.status(room_id))

    # -- links -------------------------------------------------------------------------------

    def link_key(self, purpose: str, room_id: str) -> str:
        """The secret part of a room's screen or calendar link."""
        self.info(room_id)
        with self.store.transaction() as tx:
            secret = tx.link_secret()
        return _sign(secret, purpose, room_id)

    def check_link(self, purpose: str, room_id: str, key: str) -> None:
        if not hmac.compare_digest(self.link_key(purpose, room_id), key or ""):
            raise RoomError(
                f"this {purpose} link is not valid for room {room_id}; ask facilities for the "
                "current link (GET /api/rooms/{id}/links)",
                403,
            )

    # -- bookings ----------------------------------------------------------------------------

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
        self.info(room_id)
        now = self.clock.now()
        rejected = check_booking_times(starts_at, ends_at, now)
        if rejected:
            raise RoomError.of(rejected)
        if not 1 <= weekly <= 52:
            raise RoomError("weekly must be between 1 (no repeat) and 52")
        title = title.strip()
        if not title or len(title) > 200:
            raise RoomError("give a title of 1 to 200 characters")
        series = uuid.uuid4().hex if weekly > 1 else None
        made = []
        try:
            with self.store.transaction() as tx:
                for start, end in repeated(starts_at, ends_at, weekly):
                    made.append(
                        tx.add_booking(
                            NewBooking(
                                uid=uuid.uuid4().hex,
                                room=room_id,
                                title=title,
                                host=actor.id,
                                host_name=actor.name,
                                department=actor.department,
                                starts_at=start,
                                ends_at=end,
                                series=series,
                                created_at=now,
                            )
                        )
                    )
        except BookingOverlap:
            with self.store.transaction() as tx:
                clash = [
                    b
                    for start, end in repeated(starts_at, ends_at, weekly)
                    for b in tx.bookings(room_id, start, end)
                    if b.active
                ]
            which = (
                f" ({clash[0].title!r}, {self._local(clash[0].starts_at)}–"
                f"{self._local(clash[0].ends_at)})"
                if clash
                else ""
            )
            raise RoomError(
                f"room {room_id} is already booked then{which}; choose another time or room",
                409,
            ) from None
        return made

    def bookings(self, room_id: str, start: datetime, end: datetime) -> list[Booking]:
        self.info(room_id)
        with self.store.transaction() as tx:
            return tx.bookings(room_id, start, end)

    def cancel(self, actor: Actor, booking_id: int) -> Booking:
        now = self.clock.now()
        with self.store.transaction() as tx:
            booking = tx.booking(booking_id)
            if booking is None:
                raise RoomError(f"no booking {booking_id}", 404)
            if booking.host != actor.id and not actor.oversees:
                raise RoomError("only the host or facilities can cancel this booking", 403)
            if not booking.active:
                raise RoomError(f"booking {booking_id} is already {booking.status}", 409)
            tx.set_booking_status(booking_id, "cancelled", f"cancelled by {actor.id}", now)
            done = tx.booking(booking_id)
        assert done is not None
        return done

    def calendar(self, room_id: str, key: str, domain: str) -> str:
        self.check_link("calendar", room_id, key)
        info = self.info(room_id)
        now = self.clock.now()
        with self.store.transaction() as tx:
            bookings = tx.bookings(room_id, now - timedelta(days=31), now + timedelta(days=366))
        name = f"{info.room.name} / {info.room.name_ja}" if info.room.name_ja else info.room.name
        return render_calendar(room_id, name, bookings, now, domain)

    def ghosts(self) -> list[GhostMeeting]:
        with self.store.transaction() as tx:
            return ghost_meetings(tx.series_bookings(), self.clock.now())

    # -- the room screen and pairing ---------------------------------------------------------

    def screen(self, room_id: str, key: str) -> ScreenState:
        """What the room screen shows now; issues a fresh pairing code when the last one aged."""
        self.check_link("screen", room_id, key)
        now = self.clock.now()
        with self.store.transaction() as tx:
            state = self.room_now(tx, room_id, now)
            code = self._current_code(tx, room_id, state.session, now)
            materials = tx.materials(state.session.id) if state.session else []
        rotates = (
            (code.issued_at + timedelta(seconds=self.pairing.rotate_s) - now) if code else None
        )
        return ScreenState(
            state, code, max(0.0, rotates.total_seconds()) if rotates else 0.0, materials
        )

    def _current_code(
        self, tx: RoomTransaction, room_id: str, session: Session | None, now: datetime
    ) -> PairingCode:
        latest = tx.latest_code(room_id)
        fresh = latest is not None and now < latest.issued_at + timedelta(
            seconds=self.pairing.rotate_s
        )
        if latest is not None and fresh and latest.session_id == (session.id if session else None):
            return latest
        for _ in range(20):
            code = self._new_code(self.pairing.digits)
            # Unique among live codes, so a code typed without its room still names one room.
            if not tx.live_codes(code, now):
                break
        return tx.add_code(
            room_id, code, now, now + self.pairing.lifetime(), session.id if session else None
        )

    def pair(self, actor: Actor, code: str, room_id: str | None = None) -> tuple[Session, bool]:
        """Start (or join) the session of the room whose screen shows `code`.

        Returns the session and whether it was started by this call.
        """
        now = self.clock.now()
        code = code.strip().replace(" ", "")
        if room_id is not None:
            self.info(room_id)
        if not (code.isdigit() and len(code) == self.pairing.digits):
            raise RoomError(
                f"a pairing code is {self.pairing.digits} digits, as on the room screen"
            )
        with self.store.transaction() as tx:
            mine = tx.failures(since=now - self.pairing.person_window, person=actor.id)
            if mine >= self.pairing.person_failures:
                raise RoomError(
                    "too many wrong codes; wait "
                    f"{int(self.pairing.person_window.total_seconds() // 60)} min and try again",
                    429,
                )
            if room_id is not None:
                theirs = tx.failures(since=now - self.pairing.room_window, room=room_id)
                if theirs >= self.pairing.room_failures:
                    raise RoomError(
                        f"too many wrong codes for room {room_id} just now; wait a minute", 429
                    )
        with self.store.transaction() as tx:
            matches = [c for c in tx.live_codes(code, now) if room_id is None or c.room == room_id]
            if not matches:
                tx.add_attempt(room_id, actor.id, now, False)
                failed = True
            else:
                failed = False
                found = matches[0]
                tx.add_attempt(found.room, actor.id, now, True)
                session, started = self._start_or_join(tx, actor, found, now)
        if failed:
            where = f" for room {room_id}" if room_id else ""
            raise RoomError(
                f"code {code} is not valid{where}; codes change every minute, type the one the "
                "room screen shows now",
                403,
            )
        return session, started

    def _start_or_join(
        self, tx: RoomTransaction, actor: Actor, code: PairingCode, now: datetime
    ) -> tuple[Session, bool]:
        open_session = tx.open_session(code.room)
        if open_session is not None:
            if code.session_id == open_session.id:
                return open_session, False  # a presenter joins the running session
            raise RoomError(
                f"room {code.room} already has a session by {open_session.host_name}; "
                "they can end it, or it ends by itself when the room empties",
                409,
            )
        if code.session_id is not None:
            raise RoomError("that session has ended; type the code the screen shows now", 410)
        state = self.room_now(tx, code.room, now)
        booking = state.current
        upcoming = state.upcoming
        # Hosts start a few minutes early; that is their booking, not a walk-in.
        if booking is None and upcoming and upcoming.starts_at - now <= timedelta(minutes=15):
            booking = upcoming
        try:
            session = tx.add_session(
                Session(
                    id=0,
                    room=code.room,
                    booking_id=booking.id if booking else None,
                    host=actor.id,
                    host_name=actor.name,
                    department=actor.department,
                    title=booking.title if booking else f"Meeting in {code.room}",
                    started_at=now,
                    ended_at=None,
                    end_reason=None,
                    token=secrets.token_urlsafe(24),
                    current_material=None,
                    current_page=None,
                )
            )
        except RoomBusy:
            raise RoomError(
                f"room {code.room} has just started a session; try again", 409
            ) from None
        # The code is spent: the screen shows a new one, bound to this session.
        tx.revoke_codes(code.room)
        return session, True

    # -- sessions ----------------------------------------------------------------------------

    def session_detail(self, session_id: int) -> SessionDetail:
        with self.store.transaction() as tx:
            session = tx.session(session_id)
            if session is None:
                raise RoomError(f"no session {session_id}", 404)
            return self._detail(tx, session)

    def session_by_token(self, token: str) -> SessionDetail:
        with self.store.transaction() as tx:
            session = tx.session_by_token(token)
            if session is None:
                raise RoomError(
                    "this meeting link is not valid; scan the room's QR code again", 404
                )
            return self._detail(tx, session)

    def _detail(self, tx: RoomTransaction, session: Session) -> SessionDetail:
        opens = tx.opens(session.id)
        return SessionDetail(
            session=session,
            materials=tx.materials(session.id),
            opened_by=sorted({o.viewer for o in opens if o.signed_in}),
            anonymous_opens=len({o.viewer for o in opens if not o.signed_in}),
            pages_shared=tx.shared_pages(session.id),
        )

    def _own_session(self, tx: RoomTransaction, actor: Actor, session_id: int) -> Session:
        session = tx.session(session_id)
        if session is None:
            raise RoomError(f"no session {session_id}", 404)
        if session.host != actor.id and not actor.oversees:
            raise RoomError("only the session's host or facilities can do that", 403)
        return session

    def end(self, actor: Actor, session_id: int) -> Session:
        now = self.clock.now()
        with self.store.transaction() as tx:
            session = self._own_session(tx, actor, session_id)
            if not session.open:
                raise RoomError(f"session {session_id} ended already ({session.end_reason})", 409)
            reason = "ended by the host" if session.host == actor.id else f"ended by {actor.id}"
            self._end(tx, session, now, reason)
            ended = tx.session(session_id)
        assert ended is not None
        return ended

    def _end(self, tx: RoomTransaction, session: Session, now: datetime, reason: str) -> bool:
        if not tx.end_session(session.id, now, reason):
            return False
        tx.revoke_codes(session.room)  # codes of a session die with it
        return True

    def attach(
        self, actor: Actor, session_id: int, filename: str, content: bytes, kind: str
    ) -> Material:
        if kind not in ("agenda", "material"):
            raise RoomError("kind must be agenda or material")
        name = filename.strip().replace("/", "_").replace("\\", "_")[:200]
        if not name.lower().endswith(".pdf"):
            raise RoomError("give the file name ending in .pdf (e.g. agenda.pdf)")
        info = inspect_pdf(content)
        if isinstance(info, Rejected):
            raise RoomError.of(info)
        now = self.clock.now()
        with self.store.transaction() as tx:
            session = self._own_session(tx, actor, session_id)
            if not session.open:
                raise RoomError(f"session {session_id} has ended; materials can't be added", 409)
            digest = hashlib.sha256(content).hexdigest()
            return tx.add_material(session_id, kind, name, content, info.pages, digest, now)

    def show(self, actor: Actor, session_id: int, material_id: int, page: int) -> Session:
        """Put a material's page on the room screen (and every attendee's viewer)."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            session = self._own_session(tx, actor, session_id)
            if not session.open:
                raise RoomError(f"session {session_id} has ended", 409)
            material = next((m for m in tx.materials(session_id) if m.id == material_id), None)
            if material is None:
                raise RoomError(f"material {material_id} is not part of session {session_id}", 404)
            if not 1 <= page <= material.pages:
                raise RoomError(f"page must be between 1 and {material.pages}")
            tx.show_page(session_id, material_id, page, now)
            shown = tx.session(session_id)
        assert shown is not None
        return shown

    def open_material(
        self, token: str, material_id: int | None, viewer: str, signed_in: bool
    ) -> tuple[Material, bytes] | None:
        """Record that `viewer` opened the session's materials; returns the file if one asked."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            session = tx.session_by_token(token)
            if session is None:
                raise RoomError(
                    "this meeting link is not valid; scan the room's QR code again", 404
                )
            found = None
            if material_id is not None:
                found = tx.material_content(material_id)
                if found is None or found[0].session_id != session.id:
                    raise RoomError(f"material {material_id} is not part of this meeting", 404)
            tx.add_open(session.id, material_id, viewer, signed_in, now)
            return found

    # -- room monitor events (inside the ingest transaction) ---------------------------------

    def rejects(self, device: str, event: RoomEvent) -> str | None:
        """Why a room event must not be applied (it names a room its device does not serve)."""
        if self.room_of_device.get(device) != event.room:
            return f"device {device!r} does not serve room {event.room!r}"
        return None

    def apply_event(self, tx: Transaction, event: RoomEvent, received_at: datetime) -> None:
        """Fold a room event into the room's status; server receive time drives the timers."""
        rooms = self.store.joined(tx)
        status = rooms.status(event.room) or RoomStatus(room=event.room)
        if isinstance(event, RoomDisplayChanged):
            status = replace(status, display_connected=event.connected)
        elif isinstance(event, RoomCastChanged):
            if event.casting != status.casting or status.cast_changed_at is None:
                status = replace(status, casting=event.casting, cast_changed_at=received_at)
        elif isinstance(event, RoomOccupancyChanged) and (
            event.occupied != status.occupied or status.occupancy_changed_at is None
        ):
            status = replace(status, occupied=event.occupied, occupancy_changed_at=received_at)
        rooms.save_status(status, event.device)

    # -- timed jobs --------------------------------------------------------------------------

    def tick(self) -> TickOutcome:
        """End sessions that must end, release no-show bookings, forget old pairing attempts."""
        now = self.clock.now()
        ended: list[tuple[int, str]] = []
        released: list[tuple[int, str]] = []
        with self.store.transaction() as tx:
            for session in tx.open_sessions():
                info = self.rooms.get(session.room)
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
                if reason and self._end(tx, session, now, reason):
                    ended.append((session.id, reason))
            for booking in tx.due_unstarted(now):
                has_session = tx.has_session_between(
                    booking.room, booking.starts_at - timedelta(minutes=15), booking.ends_at
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
                    released.append((booking.id, reason))
            tx.forget_attempts(now - timedelta(days=1))
        return TickOutcome(ended, released)

    # -- the paperless figure ----------------------------------------------------------------

    def paperless(self, month: str, threshold: float = 0.7) -> PaperlessReport:
        try:
            year, mon = (int(part) for part in month.split("-"))
            start = datetime(year, mon, 1, tzinfo=self.zone)
        except ValueError:
            raise RoomError(f"month {month!r} must look like 2026-11 (YYYY-MM)") from None
        end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=self.zone)
        now = self.clock.now()
        records = []
        with self.store.transaction() as tx:
            sessions = tx.sessions_started(start, end)
            with_session = {s.booking_id for s in sessions if s.booking_id is not None}
            for session in sessions:
                materials = tx.materials(session.id)
                viewers = {o.viewer for o in tx.opens(session.id)}
                records.append(
                    MeetingRecord(
                        department=session.department,
                        paperless=bool(materials),
                        pages=sum(m.pages for m in materials),
                        copies=len(viewers),
                    )
                )
            for booking in tx.bookings(None, start, end):
                judged = booking.starts_at + self.rules.booking_grace <= min(end, now)
                held = booking.status == "booked" and judged
                if held and booking.starts_at >= start and booking.id not in with_session:
                    # Past its grace, not released (the room was in use), but no session: a
                    # meeting on paper. Within the grace it may still become either.
                    records.append(MeetingRecord(department=booking.department, paperless=False))
        return paperless_report(month, records, threshold)

    def _local(self, when: datetime) -> str:
        return when.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")


def _sign(secret: str, purpose: str, room_id: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{room_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
