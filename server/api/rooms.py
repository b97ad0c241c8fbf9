"""Meeting rooms over HTTP: rooms now/next, bookings, ICS, the room screen, ghost series.

Hosts sign in (`current_person`; unsafe methods need the `X-CSRF-Token` header); room screens
and calendar subscribers use secret links (`GET /api/rooms/{id}/links`, facilities); attendees
open a session's materials through the link in the room's QR code (server.api.room_sessions).
Refusals are answered by server.api.refusals.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse

from server.api import room_sessions
from server.api.auth import current_person
from server.api.content_disposition import content_disposition
from server.api.deps import runtime
from server.api.inputs import Moment, PageNumber, RowId
from server.api.pages import dashboard_page
from server.api.room_schemas import (
    ERRORS,
    BookingIn,
    BookingOut,
    GhostOut,
    LinksOut,
    MaterialOut,
    MeetingRoomOut,
    PairingCodeOut,
    ScreenOut,
    actor_of,
    rooms_of,
)
from server.composition.runtime import Runtime
from server.domain.people import Person

log = logging.getLogger(__name__)

router = APIRouter(tags=["meeting rooms"])
Rt = Annotated[Runtime, Depends(runtime)]
Signed = Annotated[Person, Depends(current_person)]


# -- rooms and bookings ----------------------------------------------------------------------


@router.get("/api/rooms", responses=ERRORS)
def list_rooms(rt: Rt, _person: Signed, floor: str | None = None) -> list[MeetingRoomOut]:
    """Every meeting room with its booking now and next, open session and monitor status."""
    return [MeetingRoomOut.of(r) for r in rooms_of(rt).directory.overview(floor)]


@router.get("/api/rooms/{room_id}", responses=ERRORS)
def get_room(room_id: str, rt: Rt, _person: Signed) -> MeetingRoomOut:
    """One room now."""
    directory = rooms_of(rt).directory
    directory.info(room_id)
    return next(MeetingRoomOut.of(r) for r in directory.overview() if r.info.room.id == room_id)


@router.get("/api/rooms/{room_id}/bookings", responses=ERRORS)
def list_bookings(
    room_id: str,
    rt: Rt,
    _person: Signed,
    start: Annotated[Moment | None, Query(alias="from")] = None,
    end: Annotated[Moment | None, Query(alias="to")] = None,
) -> list[BookingOut]:
    """Bookings of any status overlapping [from, to) (default: today and the next 7 days)."""
    now = rt.clock.now()
    start = start or now - timedelta(hours=12)
    end = end or now + timedelta(days=7)
    return [BookingOut.of(b) for b in rooms_of(rt).bookings.between(room_id, start, end)]


@router.post("/api/rooms/{room_id}/bookings", status_code=201, responses=ERRORS)
def create_booking(room_id: str, body: BookingIn, rt: Rt, person: Signed) -> list[BookingOut]:
    """Book a room (with `weekly` > 1, a recurring series: all occurrences or none)."""
    made = rooms_of(rt).bookings.book(
        actor_of(person), room_id, body.title, body.starts_at, body.ends_at, body.weekly
    )
    return [BookingOut.of(b) for b in made]


@router.delete("/api/bookings/{booking_id}", responses=ERRORS)
def cancel_booking(booking_id: RowId, rt: Rt, person: Signed) -> BookingOut:
    """Cancel a booking (its host, or facilities); the room is free again at once."""
    return BookingOut.of(rooms_of(rt).bookings.cancel(actor_of(person), booking_id))


@router.get("/api/bookings/ghosts", responses=ERRORS)
def ghost_bookings(rt: Rt) -> list[GhostOut]:
    """Recurring bookings whose occurrences keep being released unused ("ghost meetings")."""
    return [GhostOut.of(g) for g in rt.insight.meetings.ghosts()]


@router.get("/api/rooms/{room_id}/links", responses=ERRORS)
def room_links(room_id: str, request: Request, rt: Rt) -> LinksOut:
    """The room screen's link (for its room computer) and the room's secret ICS feed."""
    directory = rooms_of(rt).directory
    base = str(request.base_url).rstrip("/")
    screen = directory.link_key("screen", room_id)
    calendar = directory.link_key("calendar", room_id)
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
    text = rooms_of(rt).bookings.calendar(room_id, key, request.url.hostname or "freeseat")
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": content_disposition("inline", f"{room_id}.ics")},
    )


# -- the room screen -------------------------------------------------------------------------


@router.get("/api/rooms/{room_id}/screen-state", responses=ERRORS)
def screen_state(room_id: str, request: Request, rt: Rt, key: str = "") -> ScreenOut:
    """What the room screen shows: now/next, the current pairing code, the session and its QR.

    The screen itself follows `WS /ws/rooms/{room_id}/screen?key=` (server.api.room_push)."""
    return screen_out(rt, room_id, key, str(request.base_url))


def screen_out(rt: Runtime, room_id: str, key: str, base_url: str) -> ScreenOut:
    """The room screen's state; the attendees' link is made on `base_url`."""
    state = rooms_of(rt).pairing.screen(room_id, key)
    viewer = qr = None
    if state.now.session is not None:
        viewer = f"{base_url.rstrip('/')}/rooms/view/{state.now.session.token}"
        qr = segno.make(viewer, error="m").svg_inline(scale=6, border=2)
    code = None
    if state.code is not None:
        code = PairingCodeOut(
            code=state.code.code,
            rotates_in_s=round(state.code_rotates_in_s, 1),
            expires_at=state.code.expires_at,
        )
    return ScreenOut(
        room=MeetingRoomOut.of(state.now),
        code=code,
        viewer_url=viewer,
        qr_svg=qr,
        materials=[MaterialOut.of(m) for m in state.materials],
    )


@router.get(
    "/api/rooms/{room_id}/screen/materials/{material_id}/pages/{page}",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **ERRORS},
)
def screen_page(
    room_id: str, material_id: RowId, page: PageNumber, rt: Rt, key: str = ""
) -> Response:
    """A page of the running meeting's material as an image, for the room screen."""
    png = rooms_of(rt).materials.page_for_screen(room_id, key, material_id, page, rt.page_renderer)
    return Response(png, media_type="image/png", headers=PAGE_CACHE)


# A page's image never changes (materials are keyed by their bytes); it is no one else's.
PAGE_CACHE = {"Cache-Control": "private, max-age=86400"}


@router.get("/rooms/{room_id}/screen", response_class=FileResponse, include_in_schema=False)
def screen(room_id: str, rt: Rt, key: str = "") -> FileResponse:
    """The room screen (dashboard/room_screen.html), only for the room's secret key."""
    rooms_of(rt).directory.check_link("screen", room_id, key)
    return dashboard_page("room_screen.html")


# -- timed jobs ------------------------------------------------------------------------------


async def run_jobs_forever(rt: Runtime) -> None:
    """Run the rooms' due jobs (server.services.room_jobs) every sweep interval, on the ticker."""
    if rt.rooms is None:
        return
    while True:
        await asyncio.sleep(rt.settings.sweep_interval_s)
        if not rt.runs_ticker:
            continue  # another replica holds the ticker lease
        try:
            done = await asyncio.to_thread(rt.ticker_rooms.jobs.run_due, rt.clock.now())
        except Exception:
            log.exception("room jobs failed; retrying next interval")
            continue
        for session_id, reason in done.ended:
            log.info("session %d ended: %s", session_id, reason)
        for booking_id, reason in done.released:
            log.info("booking %d released: %s", booking_id, reason)


# The sessions' routes answer under this router too: the app includes one router for rooms.
router.include_router(room_sessions.router)
