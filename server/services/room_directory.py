"""The site's meeting rooms: who may act on them, what each is doing now, its secret links."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from firmware_config.site import Floor, Room, Site
from server.domain.meetings import Booking, MeetingSession, RoomStatus, now_and_next
from server.domain.refusals import Refusal, RefusalCode
from server.services.ports import Clock
from server.services.room_ports import RoomStore, RoomTransaction

# Facilities and admins may act on any booking or session; hosts on their own.
STAFF_ROLES_WITH_OVERSIGHT = frozenset({"facilities", "admin"})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: a signed-in person."""

    id: str
    name: str
    department: str | None
    role: str
    name_ja: str = ""

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
    session: MeetingSession | None
    status: RoomStatus | None


class RoomDirectory:
    """The site's rooms, their monitors, what each is doing now, and their secret links."""

    def __init__(self, site: Site, store: RoomStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.zone = ZoneInfo(site.site.timezone)
        self.rooms: dict[str, RoomInfo] = {}
        device_of = {d.room: d.id for d in site.devices if d.kind == "room" and d.room}
        for floor in site.floors():
            for room in floor.rooms:
                self.rooms[room.id] = RoomInfo(room, floor, device_of.get(room.id))
        self.room_of_device = {device: room for room, device in device_of.items()}

    def info(self, room_id: str) -> RoomInfo:
        info = self.rooms.get(room_id)
        if info is None:
            raise Refusal(RefusalCode.ROOM_UNKNOWN, room=room_id)
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

    def link_key(self, purpose: str, room_id: str) -> str:
        """The secret part of a room's screen or calendar link."""
        self.info(room_id)
        with self.store.transaction() as tx:
            secret = tx.link_secret()
        digest = hmac.new(secret.encode(), f"{purpose}:{room_id}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    def check_link(self, purpose: str, room_id: str, key: str) -> None:
        # As bytes: compare_digest refuses str with characters beyond ASCII (a 500, not a 403).
        if not hmac.compare_digest(self.link_key(purpose, room_id).encode(), key.encode()):
            raise Refusal(RefusalCode.LINK_INVALID, purpose=purpose, room=room_id)

    def local(self, when: datetime) -> datetime:
        """`when` in the site's time zone, as people there read it."""
        return when.astimezone(self.zone)
