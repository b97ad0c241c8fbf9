"""Meeting sessions over HTTP: pairing by the room screen's code, the session record, ending,
materials (PDF uploads), the page on screen, and what attendees open from the room's QR code.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse

from server.api.auth import current_person, optional_person
from server.api.content_disposition import content_disposition
from server.api.deps import runtime
from server.api.inputs import PageNumber, RowId
from server.api.pages import dashboard_page
from server.api.room_changes import RoomChanges, room_changes
from server.api.room_schemas import (
    ERRORS,
    MaterialOut,
    MeetingSessionOut,
    PairIn,
    PairOut,
    SessionSummary,
    ShowIn,
    ViewerOut,
    actor_of,
    rooms_of,
)
from server.composition.runtime import Runtime
from server.domain.people import Person, Role
from server.domain.refusals import Refusal, RefusalCode
from server.services.room_ports import PdfInspector

router = APIRouter(tags=["meeting rooms"])
Rt = Annotated[Runtime, Depends(runtime)]
Signed = Annotated[Person, Depends(current_person)]
MaybeSigned = Annotated[Person | None, Depends(optional_person)]
Changes = Annotated[RoomChanges, Depends(room_changes)]
VIEWER_COOKIE = "freeseat_viewer"
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})


def pdf_inspector(rt: Rt) -> PdfInspector:
    """How uploads are read as PDFs (built by the composition root)."""
    return rt.pdf_inspector


Inspector = Annotated[PdfInspector, Depends(pdf_inspector)]


@router.post(
    "/api/pairing", status_code=201, responses={**ERRORS, 429: {"description": "Rate limited"}}
)
def pair(body: PairIn, rt: Rt, person: Signed, response: Response, changes: Changes) -> PairOut:
    """Pair with a room display by the code on its screen: starts the room's session.

    A code issued while a session runs joins that session instead (a second presenter).
    """
    service = rooms_of(rt)
    session, started = service.pairing.pair(actor_of(person), body.code, body.room, body.booking)
    changes.bump(session.room)
    detail = service.sessions.detail(session.id)
    if not started:
        response.status_code = 200
    return PairOut(started=started, session=MeetingSessionOut.detail(detail))


@router.get("/api/sessions/{session_id}", responses=ERRORS)
def get_session_record(session_id: RowId, rt: Rt, person: Signed) -> MeetingSessionOut:
    """The session record: room, host, department, start/end, materials, openers, pages."""
    detail = rooms_of(rt).sessions.record(actor_of(person), session_id)
    return MeetingSessionOut.detail(detail)


@router.get("/api/sessions", responses=ERRORS)
def my_sessions(rt: Rt, person: Signed) -> list[MeetingSessionOut]:
    """Open sessions this person hosts (facilities: every open session)."""
    service = rooms_of(rt)
    out = []
    for room in service.directory.overview():
        s = room.session
        if s is not None and (s.host == person.staff_id or person.role != Role.STAFF):
            out.append(MeetingSessionOut.detail(service.sessions.detail(s.id)))
    return out


@router.post("/api/sessions/{session_id}/end", responses=ERRORS)
def end_session(session_id: RowId, rt: Rt, person: Signed, changes: Changes) -> MeetingSessionOut:
    """End the session (its host or facilities); its pairing codes die with it."""
    service = rooms_of(rt)
    ended = service.sessions.end(actor_of(person), session_id)
    changes.bump(ended.room)
    return MeetingSessionOut.detail(service.sessions.detail(session_id))


@router.post(
    "/api/sessions/{session_id}/materials",
    status_code=201,
    responses={
        **ERRORS,
        413: {"description": "Too large"},
        415: {"description": "Not a PDF"},
        422: {"description": "A PDF with active content (JavaScript, embedded files...)"},
    },
    openapi_extra={
        "requestBody": {
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "required": True,
        }
    },
)
async def upload_material(
    session_id: RowId,
    request: Request,
    rt: Rt,
    person: Signed,
    inspector: Inspector,
    changes: Changes,
    filename: Annotated[str, Query(min_length=5, max_length=200, description="e.g. agenda.pdf")],
    kind: Literal["agenda", "material"] = "material",
) -> MaterialOut:
    """Attach a PDF (request body, Content-Type application/pdf, at most 20 MB)."""
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if declared not in PDF_TYPES:
        raise Refusal(RefusalCode.UPLOAD_NOT_PDF_TYPE, sent=declared or "nothing")
    service = rooms_of(rt)
    limit = service.materials.rules.max_bytes
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise _too_large(int(length), limit)
    content = bytearray()
    async for chunk in request.stream():
        content += chunk
        if len(content) > limit:
            raise _too_large(len(content), limit)
    material = await asyncio.to_thread(
        service.materials.attach,
        actor_of(person),
        session_id,
        filename,
        bytes(content),
        kind,
        inspector,
    )
    detail = await asyncio.to_thread(service.sessions.detail, session_id)
    changes.bump(detail.session.room)
    return MaterialOut.of(material)


def _too_large(size: int, limit: int) -> Refusal:
    return Refusal(
        RefusalCode.PDF_TOO_LARGE, size_mb=round(size / 1e6, 1), max_mb=round(limit / 1e6)
    )


@router.post("/api/sessions/{session_id}/show", responses=ERRORS)
def show_page(
    session_id: RowId, body: ShowIn, rt: Rt, person: Signed, changes: Changes
) -> MeetingSessionOut:
    """Put a page of a material on the room display and every attendee's viewer (pushed to
    both at once, server.api.room_push)."""
    service = rooms_of(rt)
    shown = service.sessions.show(actor_of(person), session_id, body.material_id, body.page)
    changes.bump(shown.room)
    return MeetingSessionOut.detail(service.sessions.detail(session_id))


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
    viewer, signed_in = _viewer(request, response, person)
    rooms_of(rt).materials.open(token, None, viewer, signed_in)
    return viewer_out(rt, token)


def viewer_out(rt: Runtime, token: str) -> ViewerOut:
    """What an attendee's phone shows of the session its link names (records nothing)."""
    service = rooms_of(rt)
    detail = service.sessions.by_token(token)
    room = service.directory.info(detail.session.room).room
    return ViewerOut(
        room=room.id,
        room_name=room.name,
        room_name_ja=room.name_ja,
        session=SessionSummary.of(detail.session),
        materials=[MaterialOut.of(m) for m in detail.materials],
    )


@router.get(
    "/api/view/{token}/materials/{material_id}/pages/{page}",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **ERRORS},
)
def viewer_page(token: str, material_id: RowId, page: PageNumber, rt: Rt) -> Response:
    """A page of the session's material as an image (the page the host shows, on a phone)."""
    png = rooms_of(rt).materials.page_for_viewer(token, material_id, page, rt.page_renderer)
    return Response(
        png, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"}
    )


@router.get(
    "/api/view/{token}/materials/{material_id}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **ERRORS},
)
def open_material(
    token: str,
    material_id: RowId,
    request: Request,
    response: Response,
    rt: Rt,
    person: MaybeSigned,
) -> Response:
    """The PDF itself; each open is recorded for the session."""
    viewer, signed_in = _viewer(request, response, person)
    found = rooms_of(rt).materials.open(token, material_id, viewer, signed_in)
    assert found is not None
    material, content = found
    headers = dict(response.headers)
    headers["Content-Disposition"] = content_disposition("inline", material.filename)
    headers["Cache-Control"] = "private, no-store"
    return Response(content, media_type="application/pdf", headers=headers)


@router.get("/rooms/view/{token}", response_class=FileResponse, include_in_schema=False)
def viewer(token: str) -> FileResponse:
    """The attendees' page (dashboard/room_viewer.html); it reads the session by its token."""
    return dashboard_page("room_viewer.html")
