"""`GET /api/labels`: what pages show instead of ids, for every desk, floor, zone, room and
department of the site (no sign-in: the same names are on the floor plan)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from firmware_config.labels import Names
from server.api.deps import runtime
from server.composition.runtime import Runtime

router = APIRouter(prefix="/api", tags=["floors"])
Rt = Annotated[Runtime, Depends(runtime)]


class Name(BaseModel):
    name: str
    name_ja: str


class ZoneName(Name):
    floor: str
    department: str | None


class DeviceServes(BaseModel):
    kind: str
    floor: str | None
    zone: str | None
    room: str | None


class LabelsOut(BaseModel):
    desks: dict[str, str]
    floors: dict[str, Name]
    zones: dict[str, ZoneName]
    rooms: dict[str, Name]
    departments: dict[str, Name]
    devices: dict[str, DeviceServes]


def _names(names: Names) -> dict[str, Name]:
    return {key: Name(name=en, name_ja=ja) for key, (en, ja) in names.items()}


@router.get("/labels")
def site_labels(rt: Rt, response: Response) -> LabelsOut:
    """Desk labels ("3F A-04-04") and English/Japanese names, keyed by id."""
    labels = rt.labels
    # The site file changes with a restart, not within minutes.
    response.headers["Cache-Control"] = "public, max-age=300"
    return LabelsOut(
        desks=dict(labels.desks),
        floors=_names(labels.floors),
        zones={
            zone: ZoneName(
                name=en,
                name_ja=ja,
                floor=labels.floor_of_zone[zone],
                department=labels.department_of_zone.get(zone),
            )
            for zone, (en, ja) in labels.zones.items()
        },
        rooms=_names(labels.rooms),
        departments=_names(labels.departments),
        devices={
            device: DeviceServes(kind=d.kind, floor=d.floor, zone=d.zone, room=d.room)
            for device, d in labels.devices.items()
        },
    )
