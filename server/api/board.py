"""The lobby board's public view of meeting rooms: busy or free, until when, next start.

The board runs on a lobby screen nobody signs in to, so it gets no titles, hosts or
departments: only what a passer-by may see on the door of the room.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from server.api.deps import runtime
from server.api.floors import known_floor
from server.api.room_schemas import rooms_of
from server.composition.runtime import Runtime

router = APIRouter(prefix="/api/board", tags=["lobby board"])
Rt = Annotated[Runtime, Depends(runtime)]


class BoardRoom(BaseModel):
    id: str
    name: str
    name_ja: str
    capacity: int
    busy: bool = Field(description="a booking is running, a session is open, or people are in")
    until: datetime | None = Field(description="when the running booking ends")
    next_start: datetime | None = Field(description="when the next booking starts")


@router.get("/rooms", responses={404: {"description": "No such floor"}})
def board_rooms(rt: Rt, floor: str) -> list[BoardRoom]:
    """Each meeting room of the floor, busy or free now; no sign-in, nothing personal."""
    known_floor(rt.site, floor)
    out = []
    for r in rooms_of(rt).directory.overview(floor):
        room = r.info.room
        occupied = bool(r.status and r.status.occupied)
        out.append(
            BoardRoom(
                id=room.id,
                name=room.name,
                name_ja=room.name_ja,
                capacity=room.capacity,
                busy=r.current is not None or r.session is not None or occupied,
                until=r.current.ends_at if r.current else None,
                next_start=r.upcoming.starts_at if r.upcoming else None,
            )
        )
    return out
