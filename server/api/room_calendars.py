"""Room calendars and moving bookings.

- `PATCH /api/bookings/{id}` `{starts_at, ends_at}` -> the booking at its new times (its host or
  facilities; 409 `booking_overlap` when the room is taken then). The room's calendar follows.
- `POST /api/rooms/{id}/calendar/sync` (facilities) -> sync that room with its calendar now and
  say what changed (the server also syncs every FREESEAT_CALDAV_SYNC_INTERVAL_S).
- `GET /api/calendar/conflicts[?everyone=true]` -> calendar events freeseat did not book in the
  last 30 days: mine (as their organiser), or everyone's for facilities. The same reason is
  written into the event in the room calendar.
"""

import asyncio
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from server.api.auth import current_person
from server.api.deps import runtime
from server.api.inputs import Moment, RowId
from server.api.room_schemas import ERRORS, BookingOut, actor_of, rooms_of
from server.composition.runtime import Runtime
from server.domain.people import Person, Role
from server.domain.refusals import Refusal, RefusalCode
from server.services.calendar_ports import CalendarConflict, CalendarUnreachable
from server.services.calendar_sync import CalendarSync

router = APIRouter(tags=["rooms"])
Rt = Annotated[Runtime, Depends(runtime)]
Signed = Annotated[Person, Depends(current_person)]
CONFLICTS_SHOWN = timedelta(days=30)


class BookingMove(BaseModel):
    starts_at: Moment
    ends_at: Moment


class SyncOut(BaseModel):
    room: str
    created_events: int
    updated_events: int
    deleted_events: int
    booked: int
    moved: int
    cancelled: int
    declined: int


class ConflictOut(BaseModel):
    room: str
    title: str
    starts_at: datetime
    ends_at: datetime
    code: str
    kept_title: str
    kept_starts_at: datetime | None
    kept_ends_at: datetime | None
    seen_at: datetime

    @classmethod
    def of(cls, c: CalendarConflict) -> "ConflictOut":
        return cls(
            room=c.room,
            title=c.title,
            starts_at=c.starts_at,
            ends_at=c.ends_at,
            code=c.code,
            kept_title=c.kept_title,
            kept_starts_at=c.kept_starts_at,
            kept_ends_at=c.kept_ends_at,
            seen_at=c.seen_at,
        )


def _sync(rt: Runtime) -> CalendarSync:
    if rt.calendar_sync is None:
        raise Refusal(RefusalCode.CALENDARS_NOT_SET_UP)
    return rt.calendar_sync


@router.patch("/api/bookings/{booking_id}", responses=ERRORS)
def move_booking(booking_id: RowId, body: BookingMove, rt: Rt, person: Signed) -> BookingOut:
    """Move a booking (one occurrence of a series) to new times, if the room is free then."""
    moved = rooms_of(rt).bookings.move(actor_of(person), booking_id, body.starts_at, body.ends_at)
    return BookingOut.of(moved)


@router.post("/api/rooms/{room_id}/calendar/sync", responses=ERRORS)
async def sync_room(room_id: str, rt: Rt) -> SyncOut:
    """Sync the room with its calendar now."""
    rooms_of(rt).directory.info(room_id)
    sync = _sync(rt)
    try:
        report = await asyncio.to_thread(sync.sync, room_id)
    except CalendarUnreachable:
        raise Refusal(RefusalCode.CALENDAR_UNREACHABLE, room=room_id) from None
    return SyncOut(
        room=report.room,
        created_events=report.created_events,
        updated_events=report.updated_events,
        deleted_events=report.deleted_events,
        booked=report.booked,
        moved=report.moved,
        cancelled=report.cancelled,
        declined=report.declined,
    )


@router.get("/api/calendar/conflicts", responses=ERRORS)
def calendar_conflicts(
    rt: Rt, person: Signed, everyone: Annotated[bool, Query()] = False
) -> list[ConflictOut]:
    """Calendar events freeseat did not book (the room was taken): mine, or all for facilities."""
    links = _sync(rt).links
    since = rt.clock.now() - CONFLICTS_SHOWN
    if everyone:
        if person.role not in (Role.FACILITIES, Role.ADMIN):
            raise Refusal(
                RefusalCode.ROLE_REQUIRED, roles=("admin", "facilities"), role=person.role.value
            )
        return [ConflictOut.of(c) for c in links.conflicts(None, since)]
    mine = links.conflicts(person.staff_id, since)
    if person.email:
        mine += links.conflicts(person.email.lower(), since)
    return [ConflictOut.of(c) for c in sorted(mine, key=lambda c: c.seen_at, reverse=True)]
