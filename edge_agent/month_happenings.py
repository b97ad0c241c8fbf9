"""What happens in a simulated office month: the happenings a replay turns into sensor
readings, app requests and room-screen actions, and their order within one tick."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Presence:
    at: datetime
    desk: str
    present: bool


@dataclass(frozen=True, slots=True)
class Claim:
    at: datetime
    staff_id: str
    desk: str


@dataclass(frozen=True, slots=True)
class ScanQr:
    at: datetime
    staff_id: str
    desk: str


@dataclass(frozen=True, slots=True)
class MarkRemote:
    at: datetime
    staff_id: str


@dataclass(frozen=True, slots=True)
class RoomSensed:
    at: datetime
    room: str
    occupied: bool


@dataclass(frozen=True, slots=True)
class RoomCast:
    at: datetime
    room: str
    casting: bool


@dataclass(frozen=True, slots=True)
class RoomHeartbeat:
    at: datetime
    room: str


@dataclass(frozen=True, slots=True)
class Book:
    at: datetime
    staff_id: str
    room: str
    starts_at: datetime
    ends_at: datetime
    weekly: int = 1


@dataclass(frozen=True, slots=True)
class Pair:
    """The host types the room screen's code: starts the session `session`."""

    at: datetime
    staff_id: str
    room: str
    session: str


@dataclass(frozen=True, slots=True)
class Attach:
    at: datetime
    staff_id: str
    session: str
    pages: int


@dataclass(frozen=True, slots=True)
class OpenMaterials:
    at: datetime
    session: str
    viewer: str
    signed_in: bool


@dataclass(frozen=True, slots=True)
class EndSession:
    at: datetime
    staff_id: str
    session: str


Happening = (
    Presence
    | Claim
    | ScanQr
    | MarkRemote
    | RoomSensed
    | RoomCast
    | RoomHeartbeat
    | Book
    | Pair
    | Attach
    | OpenMaterials
    | EndSession
)
# Within one tick: bookings and claims before people sit down (a claim of a desk someone sits
# at is refused), sensors before sessions, hosts ending sessions before the sweep.
ORDER = {
    Book: 0,
    MarkRemote: 1,
    Claim: 2,
    Presence: 3,
    ScanQr: 4,
    RoomSensed: 5,
    RoomCast: 6,
    RoomHeartbeat: 7,
    Pair: 8,
    Attach: 9,
    OpenMaterials: 10,
    EndSession: 11,
}
