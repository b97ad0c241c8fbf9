"""HTTP schemas of the meeting-rooms API, and who a signed-in person is to the rooms services."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from server.api.inputs import BodyId, Moment
from server.composition.runtime import Runtime
from server.domain.meetings import Booking, GhostMeeting, MeetingSession
from server.domain.people import Person
from server.domain.refusals import Refusal, RefusalCode
from server.services.room_directory import Actor, RoomNow
from server.services.room_ports import Material
from server.services.room_sessions import SessionDetail
from server.services.rooms import RoomService

ERRORS: dict[int | str, dict[str, str]] = {
    400: {"description": "Bad input; `code` and `detail` say what to fix"},
    401: {"description": "Sign in first"},
    403: {"description": "Not allowed, wrong CSRF token, wrong link key or pairing code"},
    404: {"description": "No such room, booking, session or material"},
    409: {"description": "Conflicts with a booking or an open session"},
}


def rooms_of(rt: Runtime) -> RoomService:
    """The rooms services, or a refusal where this server does not run them."""
    if rt.rooms is None:
        raise Refusal(RefusalCode.ROOMS_NOT_SET_UP)
    return rt.rooms


def actor_of(person: Person) -> Actor:
    return Actor(person.staff_id, person.name, person.department, person.role.value, person.name_ja)


class BookingOut(BaseModel):
    id: int
    uid: str
    room: str
    title: str
    host: str
    host_name: str
    host_name_ja: str
    department: str | None
    starts_at: datetime
    ends_at: datetime
    series: str | None
    status: Literal["booked", "cancelled", "released"]
    status_reason: str | None
    status_at: datetime | None

    @classmethod
    def of(cls, b: Booking) -> BookingOut:
        return cls(
            id=b.id,
            uid=b.uid,
            room=b.room,
            title=b.title,
            host=b.host,
            host_name=b.host_name,
            host_name_ja=b.host_name_ja,
            department=b.department,
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            series=b.series,
            status=b.status,
            status_reason=b.status_reason,
            status_at=b.status_at,
        )


class MaterialOut(BaseModel):
    id: int
    kind: Literal["agenda", "material"]
    filename: str
    size: int
    pages: int
    sha256: str
    uploaded_at: datetime

    @classmethod
    def of(cls, m: Material) -> MaterialOut:
        return cls(
            id=m.id,
            kind=m.kind,
            filename=m.filename,
            size=m.size,
            pages=m.pages,
            sha256=m.sha256,
            uploaded_at=m.uploaded_at,
        )


class ShownPage(BaseModel):
    material_id: int
    page: int


class SessionSummary(BaseModel):
    """What anyone in the room may see of a session."""

    id: int
    room: str
    title: str
    host_name: str
    host_name_ja: str
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    showing: ShownPage | None

    @classmethod
    def of(cls, s: MeetingSession) -> SessionSummary:
        showing = None
        if s.current_material is not None and s.current_page is not None:
            showing = ShownPage(material_id=s.current_material, page=s.current_page)
        return cls(
            id=s.id,
            room=s.room,
            title=s.title,
            host_name=s.host_name,
            host_name_ja=s.host_name_ja,
            started_at=s.started_at,
            ended_at=s.ended_at,
            end_reason=s.end_reason,
            showing=showing,
        )


class MeetingSessionOut(SessionSummary):
    """The host's and facilities' view: the session record."""

    host: str
    department: str | None
    booking_id: int | None
    viewer_path: str = Field(description="the attendees' link (also in the room QR code)")
    materials: list[MaterialOut]
    opened_by: list[str] = Field(description="signed-in people who opened the materials")
    anonymous_viewers: int
    pages_shared: int = Field(description="distinct pages shown on the room display")

    @classmethod
    def detail(cls, d: SessionDetail) -> MeetingSessionOut:
        s = d.session
        return cls(
            **SessionSummary.of(s).model_dump(),
            host=s.host,
            department=s.department,
            booking_id=s.booking_id,
            viewer_path=f"/rooms/view/{s.token}",
            materials=[MaterialOut.of(m) for m in d.materials],
            opened_by=d.opened_by,
            anonymous_viewers=d.anonymous_opens,
            pages_shared=d.pages_shared,
        )


class RoomStatusOut(BaseModel):
    display_connected: bool | None
    casting: bool
    occupied: bool | None


class MeetingRoomOut(BaseModel):
    id: str
    name: str
    name_ja: str
    floor: str
    capacity: int
    monitor_size_in: int
    monitor_inputs: list[str]
    device: str | None
    now: BookingOut | None
    next: BookingOut | None
    session: SessionSummary | None
    status: RoomStatusOut | None

    @classmethod
    def of(cls, r: RoomNow) -> MeetingRoomOut:
        room = r.info.room
        return cls(
            id=room.id,
            name=room.name,
            name_ja=room.name_ja,
            floor=r.info.floor.id,
            capacity=room.capacity,
            monitor_size_in=room.monitor.size_in,
            monitor_inputs=list(room.monitor.inputs),
            device=r.info.device,
            now=BookingOut.of(r.current) if r.current else None,
            next=BookingOut.of(r.upcoming) if r.upcoming else None,
            session=SessionSummary.of(r.session) if r.session else None,
            status=RoomStatusOut(
                display_connected=r.status.display_connected,
                casting=r.status.casting,
                occupied=r.status.occupied,
            )
            if r.status
            else None,
        )


class BookingIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    starts_at: Moment
    ends_at: Moment
    weekly: int = Field(default=1, ge=1, le=52, description="occurrences, one week apart")


class PairIn(BaseModel):
    code: str = Field(description="the digits shown on the room screen", max_length=16)
    room: str | None = Field(
        default=None, description="the room id (from zeroconf or the room list); optional"
    )
    booking: Literal["join", "own"] | None = Field(
        default=None,
        description="when someone else booked the room now (409 booked_by_another): join "
        "runs that booking's meeting, own starts a meeting of your own",
    )


class PairOut(BaseModel):
    started: bool = Field(description="false when the code joined a running session")
    session: MeetingSessionOut


class ShowIn(BaseModel):
    material_id: BodyId
    page: int = Field(ge=1, le=100_000)


class LinksOut(BaseModel):
    screen_url: str
    calendar_url: str


class PairingCodeOut(BaseModel):
    code: str
    rotates_in_s: float
    expires_at: datetime


class ScreenOut(BaseModel):
    room: MeetingRoomOut
    code: PairingCodeOut | None
    viewer_url: str | None
    qr_svg: str | None = Field(description="inline SVG of the QR code for viewer_url")
    materials: list[MaterialOut]


class ViewerOut(BaseModel):
    room: str
    room_name: str
    room_name_ja: str
    session: SessionSummary
    materials: list[MaterialOut]


class GhostOut(BaseModel):
    series: str
    room: str
    title: str
    host: str
    department: str | None
    occurrences: int
    released: int
    last_released_at: datetime | None

    @classmethod
    def of(cls, g: GhostMeeting) -> GhostOut:
        return cls(**{f: getattr(g, f) for f in cls.model_fields})
