"""Floors: geometry from the site file, desk states from the live projection."""

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from firmware_config.site import Floor, Rect, Site
from server.api.deps import runtime
from server.composition.runtime import Runtime
from server.domain.occupancy import DeskReason
from server.domain.refusals import Refusal, RefusalCode

router = APIRouter(prefix="/api", tags=["floors"])


class RectOut(BaseModel):
    x: float
    y: float
    w: float
    h: float


class FloorSummary(BaseModel):
    id: str
    name: str
    name_ja: str
    level: int
    building: str
    desks: int
    counts: dict[str, int]


class ZoneOut(BaseModel):
    id: str
    name: str
    name_ja: str
    department: str | None
    department_name: str | None
    department_name_ja: str | None
    rect: RectOut


class DeskOut(BaseModel):
    id: str
    label: str
    zone: str
    x: float
    y: float
    equipment: list[str]
    state: str
    since: str | None
    reason: DeskReason | None = Field(description="why, as a kind; never who")


class RoomOut(BaseModel):
    id: str
    name: str
    name_ja: str
    capacity: int
    rect: RectOut


class AccessPointOut(BaseModel):
    id: str
    x: float
    y: float


class FloorDetail(BaseModel):
    id: str
    name: str
    name_ja: str
    level: int
    width: float
    height: float
    version: int
    zones: list[ZoneOut]
    desks: list[DeskOut]
    rooms: list[RoomOut]
    access_points: list[AccessPointOut]


Rt = Annotated[Runtime, Depends(runtime)]


@router.get("/floors")
def list_floors(rt: Rt) -> list[FloorSummary]:
    """Every floor with its desk count and how many desks are in each state now."""
    out = []
    for building in rt.site.buildings:
        for floor in building.floors:
            states = rt.hub.states(floor.id)
            counts = Counter(view["state"] for view in states.values())
            out.append(
                FloorSummary(
                    id=floor.id,
                    name=floor.name,
                    name_ja=floor.name_ja,
                    level=floor.level,
                    building=building.id,
                    desks=len(floor.desks),
                    counts=dict(counts),
                )
            )
    return out


@router.get("/floors/{floor_id}", responses={404: {"description": "No such floor"}})
def floor_detail(floor_id: str, rt: Rt) -> FloorDetail:
    """A floor's plan (metres), its desks with live state, rooms and access points."""
    return _detail(rt, known_floor(rt.site, floor_id))


def known_floor(site: Site, floor_id: str) -> Floor:
    """The site's floor of that id; refused (`floor_unknown`, naming the floors) otherwise."""
    floor = site.floor(floor_id)
    if floor is None:
        floors = tuple(f.id for f in site.floors())
        raise Refusal(RefusalCode.FLOOR_UNKNOWN, floor=floor_id, floors=floors)
    return floor


def _detail(rt: Runtime, floor: Floor) -> FloorDetail:
    departments = {d.id: d for d in rt.site.departments}
    states: dict[str, dict[str, Any]] = rt.hub.states(floor.id)
    version = rt.hub.version(floor.id)
    desks = []
    for desk in floor.desks:
        view = states.get(desk.id, {})
        desks.append(
            DeskOut(
                id=desk.id,
                label=rt.labels.desk(desk.id),
                zone=desk.zone,
                x=desk.x,
                y=desk.y,
                equipment=list(desk.equipment),
                state=view.get("state", "unknown"),
                since=view.get("since"),
                reason=view.get("reason"),
            )
        )
    return FloorDetail(
        id=floor.id,
        name=floor.name,
        name_ja=floor.name_ja,
        level=floor.level,
        width=floor.width,
        height=floor.height,
        version=version,
        zones=[
            ZoneOut(
                id=z.id,
                name=z.name,
                name_ja=z.name_ja,
                department=z.department,
                department_name=departments[z.department].name if z.department else None,
                department_name_ja=departments[z.department].name_ja or None
                if z.department
                else None,
                rect=_rect(z.rect),
            )
            for z in floor.zones
        ],
        desks=desks,
        rooms=[
            RoomOut(
                id=r.id, name=r.name, name_ja=r.name_ja, capacity=r.capacity, rect=_rect(r.rect)
            )
            for r in floor.rooms
        ],
        access_points=[AccessPointOut(id=a.id, x=a.x, y=a.y) for a in floor.access_points],
    )


def _rect(rect: Rect) -> RectOut:
    return RectOut(x=rect.x, y=rect.y, w=rect.w, h=rect.h)
