"""Meeting rooms over HTTP: rooms now/next, bookings, ICS, pairing, sessions, materials, figures.

Hosts sign in (`current_person`; unsafe methods need the `X-CSRF-Token` header); room screens
and calendar subscribers use secret links (`GET /api/rooms/{id}/links`, facilities); attendees
open a session's materials through the link in the room's QR code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Annotated, Literal

import segno
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import AwareDatetime, BaseModel, Field

from server.api.auth import current_person, optional_person, require_role
from server.api.deps import runtime
from server.api.room_pages import screen_page, viewer_page
from server.composition.runtime import Runtime
from server.domain.meetings import Booking, GhostMeeting, Session
from server.domain.people import Person, Role
from server.services.room_ports import Material
from server.services.rooms import Actor, RoomError, RoomNow, RoomService, SessionDetail

log = logging.getLogger(__name__)

router = APIRouter(tags=["meeting rooms"])
Rt = Annotated[Runtime, Depends(runtime)]
Signed = Annotated[Person, Depends(current_person)]
Facilities = Annotated[Person, Depends(require_role(Role.FACILITIES, Role.ADMIN))]
MaybeSigned = Annotated[Person | None, Depends(optional_person)]
VIEWER_COOKIE = "freeseat_viewer"
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})

ERRORS: dict[int | str, dict[str, str]] = {
    400: {"description": "Bad input; `detail` says what to fix"},
    401: {"description": "Sign in first"},
    403: {"description": "Not allowed, wrong CSRF token, wrong link key or pairing code"},
    404: {"description": "No such room, booking, session or material"},
    409: {"description": "Conflicts with a booking or an open session"},
}


def _rooms(rt: Runtime) -> RoomService:
    if rt.rooms is None:
        raise HTTPException(503, "meeting rooms are not set up on this server")
    return rt.rooms


def _actor(person: Person) -> Actor:
    return Actor(person.staff_id, person.name, person.department, person.role.value)


@contextlib.contextmanager
def _answers() -> Iterator[None]:
    """RoomError -> HTTP error with its detail."""
    try:
        yield
    except RoomError as exc:
        raise HTTPException(exc.status, exc.detail) from None


# -- schemas ---------------------------------------------------------------------------------


class BookingOut(BaseModel):
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
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    showing: ShownPage | None

    @classmethod
    def of(cls, s: Session) -> SessionSummary:
        showing = None
        if s.current_material is not None and s.current_page is not None:
            showing = ShownPage(material_id=s.current_material, page=s.current_page)
        return cls(
            id=s.id,
            room=s.room,
            title=s.title,
            host_name=s.host_name,
            started_at=s.started_at,
            ended_at=s.ended_at,
            end_reason=s.end_reason,
            showing=showing,
        )


class SessionOut(SessionSummary):
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
    def detail(cls, d: SessionDetail) -> SessionOut:
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


class RoomOut(BaseModel):
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
    def of(cls, r: RoomNow) -> RoomOut:
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
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    weekly: int = Field(default=1, ge=1, le=52, description="occurrences, one week apart")


class PairIn(BaseModel):
    code: str = Field(description="the digits shown on the room screen", max_length=16)
    room: str | None = Field(
        default=None, description="the room id (from zeroconf or the room list); optional"
    )


class PairOut(BaseModel):
    started: bool = Field(description="false when the code joined a running session")
    session: SessionOut


class ShowIn(BaseModel):
    material_id: int
    page: int = Field(ge=1)


class LinksOut(BaseModel):
    screen_url: str
    calendar_url: str


class PairingCodeOut(BaseModel):
    code: str
    rotates_in_s: float
    expires_at: datetime


class ScreenOut(BaseModel):
    room: RoomOut
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


class DepartmentPaperlessOut(BaseModel):
    department: str
    meetings: int
    paperless_meetings: int
    share: float
    pages_not_printed: int


class PaperlessOut(BaseModel):
    month: str
    by: Literal["department"]
    departments: list[DepartmentPaperlessOut]
    threshold: float
    departments_at_threshold: int
    departments_with_meetings: int
    headline_share: float | None = Field(
        description="share of departments (with meetings) at least `threshold` paperless"
    )


# -- rooms and bookings ----------------------------------------------------------------------


@router.get("/api/rooms", responses=ERRORS)
def list_rooms(rt: Rt, _person: Signed, floor: str | None = None) -> list[RoomOut]:
    """Every meeting room with its booking now and next, open session and monitor status."""
    return [RoomOut.of(r) for r in _rooms(rt).overview(floor)]


@router.get("/api/rooms/{room_id}", responses=ERRORS)
def get_room(room_id: str, rt: Rt, _person: Signed) -> RoomOut:
    """One room now."""
    service = _rooms(rt)
    with _answers():
        service.info(room_id)
    return next(RoomOut.of(r) for r in service.overview() if r.info.room.id == room_id)


@router.get("/api/rooms/{room_id}/bookings", responses=ERRORS)
def list_bookings(
    room_id: str,
    rt: Rt,
    _person: Signed,
    start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
) -> list[BookingOut]:
    """Bookings of any status overlapping [from, to) (default: today and the next 7 days)."""
    now = rt.clock.now()
    start = start or now - timedelta(hours=12)
    end = end or now + timedelta(days=7)
    with _answers():
        return [BookingOut.of(b) for b in _rooms(rt).bookings(room_id, start, end)]


@router.post("/api/rooms/{room_id}/bookings", status_code=201, responses=ERRORS)
def create_booking(room_id: str, body: BookingIn, rt: Rt, person: Signed) -> list[BookingOut]:
    """Book a room (with `weekly` > 1, a recurring series: all occurrences or none)."""
    with _answers():
        made = _rooms(rt).book(
            _actor(person), room_id, body.title, body.starts_at, body.ends_at, body.weekly
        )
    return [BookingOut.of(b) for b in made]


@router.delete("/api/bookings/{booking_id}", responses=ERRORS)
def cancel_booking(booking_id: int, rt: Rt, person: Signed) -> BookingOut:
    """Cancel a booking (its host, or facilities); the room is free again at once."""
    with _answers():
        return BookingOut.of(_rooms(rt).cancel(_actor(person), booking_id))


@router.get("/api/bookings/ghosts", responses=ERRORS)
def ghost_bookings(rt: Rt, _person: Facilities) -> list[GhostOut]:
    """Recurring bookings whose occurrences keep being released unused ("ghost meetings")."""
    return [GhostOut.of(g) for g in _rooms(rt).ghosts()]


@router.get("/api/rooms/{room_id}/links", responses=ERRORS)
def room_links(room_id: str, request: Request, rt: Rt, _person: Facilities) -> LinksOut:
    """The room screen's link (for its room computer) and the room's secret ICS feed."""
    service = _rooms(rt)
    base = str(request.base_url).rstrip("/")
    with _answers():
        screen = service.link_key("screen", room_id)
        calendar = service.link_key("calendar", room_id)
    return LinksOut(
        screen_url=f"{base}/rooms/{room_id}/screen?key={screen}",
        calendar_url=f"{base}/api/rooms/{room_id}/calendar.ics?key={calendar}",
    )


@router.get(
    "/api/rooms/{room_id}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, **ERRORS},
)
def room_calendar(room_id: str, request: Request, rt: Rt, key: str = "") -> Response:
    """The room's bookings as iCalendar (RFC 5545); the secret `key` comes from /links."""
    with _answers():
        text = _rooms(rt).calendar(room_id, key, request.url.hostname or "freeseat")
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{room_id}.ics"'},
    )


# -- the room screen -------------------------------------------------------------------------


@router.get("/api/rooms/{room_id}/screen-state", responses=ERRORS)
def screen_state(room_id: str, request: Request, rt: Rt, key: str = "") -> ScreenOut:
    """What the room screen shows: now/next, the current pairing code, the session and its QR."""
    with _answers():
        state = _rooms(rt).screen(room_id, key)
    viewer = qr = None
    if state.now.session is not None:
        viewer = f"{str(request.base_url).rstrip('/')}/rooms/view/{state.now.session.token}"
        qr = segno.make(viewer, error="m").svg_inline(scale=6, border=2)
    code = None
    if state.code is not None:
        code = PairingCodeOut(
            code=state.code.code,
            rotates_in_s=round(state.code_rotates_in_s, 1),
            expires_at=state.code.expires_at,
        )
    return ScreenOut(
        room=RoomOut.of(state.now),
        code=code,
        viewer_url=viewer,
        qr_svg=qr,
        materials=[MaterialOut.of(m) for m in state.materials],
    )


@router.get("/rooms/{room_id}/screen", response_class=HTMLResponse, include_in_schema=False)
def screen(room_id: str, rt: Rt, key: str = "") -> HTMLResponse:
    with _answers():
        _rooms(rt).check_link("screen", room_id, key)
    return HTMLResponse(screen_page(room_id, key))


# -- pairing and sessions --------------------------------------------------------------------


@router.post(
    "/api/pairing", status_code=201, responses={**ERRORS, 429: {"description": "Rate limited"}}
)
def pair(body: PairIn, rt: Rt, person: Signed, response: Response) -> PairOut:
    """Pair with a room display by the code on its screen: starts the room's session.

    A code issued while a session runs joins that session instead (a second presenter).
    """
    service = _rooms(rt)
    with _answers():
        session, started = service.pair(_actor(person), body.code, body.room)
        detail = service.session_detail(session.id)
    if not started:
        response.status_code = 200
    return PairOut(started=started, session=SessionOut.detail(detail))


def _own_detail(service: RoomService, person: Person, session_id: int) -> SessionDetail:
    detail = service.session_detail(session_id)
    if detail.session.host != person.staff_id and person.role not in (Role.FACILITIES, Role.ADMIN):
        raise RoomError("only the session's host or facilities can see its record", 403)
    return detail


@router.get("/api/sessions/{session_id}", responses=ERRORS)
def get_session_record(session_id: int, rt: Rt, person: Signed) -> SessionOut:
    """The session record: room, host, department, start/end, materials, openers, pages."""
    with _answers():
        return SessionOut.detail(_own_detail(_rooms(rt), person, session_id))


@router.get("/api/sessions", responses=ERRORS)
def my_sessions(rt: Rt, person: Signed) -> list[SessionOut]:
    """Open sessions this person hosts (facilities: every open session)."""
    service = _rooms(rt)
    out = []
    for room in service.overview():
        s = room.session
        if s is not None and (s.host == person.staff_id or person.role != Role.STAFF):
            out.append(SessionOut.detail(service.session_detail(s.id)))
    return out


@router.post("/api/sessions/{session_id}/end", responses=ERRORS)
def end_session(session_id: int, rt: Rt, person: Signed) -> SessionOut:
    """End the session (its host or facilities); its pairing codes die with it."""
    service = _rooms(rt)
    with _answers():
        service.end(_actor(person), session_id)
        return SessionOut.detail(service.session_detail(session_id))


@router.post(
    "/api/sessions/{session_id}/materials",
    status_code=201,
    responses={**ERRORS, 413: {"description": "Too large"}, 415: {"description": "Not a PDF"}},
    openapi_extra={
        "requestBody": {
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "required": True,
        }
    },
)
async def upload_material(
    session_id: int,
    request: Request,
    rt: Rt,
    person: Signed,
    filename: Annotated[str, Query(min_length=5, max_length=200, description="e.g. agenda.pdf")],
    kind: Literal["agenda", "material"] = "material",
) -> MaterialOut:
    """Attach a PDF (request body, Content-Type application/pdf, at most 20 MB)."""
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if declared not in PDF_TYPES:
        raise HTTPException(
            415,
            "send the PDF as the request body with Content-Type application/pdf, "
            f"not {declared or 'nothing'}",
        )
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > 20 * 1024 * 1024:
        raise HTTPException(413, "the file is over 20 MB; compress it or split it")
    content = bytearray()
    async for chunk in request.stream():
        content += chunk
        if len(content) > 20 * 1024 * 1024 + 1:
            raise HTTPException(413, "the file is over 20 MB; compress it or split it")
    service = _rooms(rt)
    with _answers():
        material = await asyncio.to_thread(
            service.attach, _actor(person), session_id, filename, bytes(content), kind
        )
    return MaterialOut.of(material)


@router.post("/api/sessions/{session_id}/show", responses=ERRORS)
def show_page(session_id: int, body: ShowIn, rt: Rt, person: Signed) -> SessionOut:
    """Put a page of a material on the room display and every attendee's viewer."""
    service = _rooms(rt)
    with _answers():
        service.show(_actor(person), session_id, body.material_id, body.page)
        return SessionOut.detail(service.session_detail(session_id))


# -- attendees -------------------------------------------------------------------------------


def _viewer(request: Request, response: Response, person: Person | None) -> tuple[str, bool]:
    if person is not None:
        return person.staff_id, True
    viewer = request.cookies.get(VIEWER_COOKIE, "")
    if not (8 <= len(viewer) <= 64 and viewer.replace("-", "").replace("_", "").isalnum()):
        viewer = "anon-" + secrets.token_urlsafe(12)
        response.set_cookie(VIEWER_COOKIE, viewer, samesite="lax", httponly=True, path="/")
    return viewer, False


@router.get("/api/view/{token}", responses=ERRORS)
def view_session(
    token: str, request: Request, response: Response, rt: Rt, person: MaybeSigned
) -> ViewerOut:
    """An attendee's view of the session (from the room QR); records that they opened it."""
    service = _rooms(rt)
    viewer, signed_in = _viewer(request, response, person)
    with _answers():
        service.open_material(token, None, viewer, signed_in)
        detail = service.session_by_token(token)
    room = service.info(detail.session.room).room
    return ViewerOut(
        room=room.id,
        room_name=room.name,
        room_name_ja=room.name_ja,
        session=SessionSummary.of(detail.session),
        materials=[MaterialOut.of(m) for m in detail.materials],
    )


@router.get(
    "/api/view/{token}/materials/{material_id}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **ERRORS},
)
def open_material(
    token: str,
    material_id: int,
    request: Request,
    response: Response,
    rt: Rt,
    person: MaybeSigned,
) -> Response:
    """The PDF itself; each open is recorded for the session."""
    viewer, signed_in = _viewer(request, response, person)
    with _answers():
        found = _rooms(rt).open_material(token, material_id, viewer, signed_in)
    assert found is not None
    material, content = found
    headers = dict(response.headers)
    headers["Content-Disposition"] = f'inline; filename="{material.filename}"'
    headers["Cache-Control"] = "private, no-store"
    return Response(content, media_type="application/pdf", headers=headers)


@router.get("/rooms/view/{token}", response_class=HTMLResponse, include_in_schema=False)
def viewer(token: str) -> HTMLResponse:
    return HTMLResponse(viewer_page(token))


# -- the paperless figure --------------------------------------------------------------------


@router.get("/api/analytics/paperless", responses=ERRORS)
def paperless(
    rt: Rt,
    _person: Facilities,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")],
    by: Literal["department"] = "department",
    threshold: Annotated[float, Query(gt=0, le=1)] = 0.7,
) -> PaperlessOut:
    """Per department: share of meetings run as paperless sessions and pages not printed,
    plus the headline: share of departments at least 70 % paperless that month."""
    with _answers():
        report = _rooms(rt).paperless(month, threshold)
    return PaperlessOut(
        month=report.month,
        by=by,
        departments=[
            DepartmentPaperlessOut(
                department=d.department,
                meetings=d.meetings,
                paperless_meetings=d.paperless_meetings,
                share=d.share,
                pages_not_printed=d.pages_not_printed,
            )
            for d in report.departments
        ],
        threshold=report.threshold,
        departments_at_threshold=report.departments_at_threshold,
        departments_with_meetings=report.departments_with_meetings,
        headline_share=report.headline_share,
    )


# -- timed jobs ------------------------------------------------------------------------------


async def run_jobs_forever(rt: Runtime) -> None:
    """End sessions that must end and release no-show bookings, every sweep interval."""
    if rt.rooms is None:
        return
    while True:
        await asyncio.sleep(rt.settings.sweep_interval_s)
        if not rt.runs_ticker:
            continue  # another replica holds the ticker lease
        try:
            outcome = await asyncio.to_thread(rt.ticker_rooms.tick)
        except Exception:
            log.exception("room jobs failed; retrying next interval")
            continue
        for session_id, reason in outcome.ended:
            log.info("session %d ended: %s", session_id, reason)
        for booking_id, reason in outcome.released:
            log.info("booking %d released: %s", booking_id, reason)
