"""`GET /api/devices` (facilities) and `POST /api/devices/{id}/revoke` (admin)."""

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from server.api.auth import current_person
from server.api.deps import runtime
from server.composition.runtime import Runtime
from server.domain.people import Person
from server.domain.refusals import Refusal, RefusalCode
from server.services.device_registry import BrokerReloadFailed, DeviceView

router = APIRouter(prefix="/api", tags=["devices"])


class DeviceOut(BaseModel):
    id: str
    kind: str = Field(description="desk, ap or room")
    firmware: str = Field(description="freeseat-agent, esphome or zigbee2mqtt")
    sensor: str | None
    desks: list[str] = Field(description="desks it reports (desk devices)")
    room: str | None
    access_point: str | None
    status: str = Field(description="what the device last said: online, offline or unknown")
    online: bool = Field(description="online, heard from within its TTL, and not revoked")
    last_seen: datetime | None
    version: str | None = Field(description="agent or firmware version, when reported")
    battery: float | None = Field(description="percent, when reported")
    rssi: float | None = Field(description="dBm, when reported")
    clock_skewed: int = Field(
        description="readings dated too far from their arrival (FREESEAT_MAX_CLOCK_SKEW_S): "
        "the server's time was used instead"
    )
    clock_skew_s: float | None = Field(
        description="seconds the last such reading was off (positive: the device is ahead)"
    )
    revoked_at: datetime | None
    revoked_by: str | None


def _out(view: DeviceView) -> DeviceOut:
    return DeviceOut(
        id=view.id,
        kind=view.kind,
        firmware=view.firmware,
        sensor=view.sensor,
        desks=list(view.desks),
        room=view.room,
        access_point=view.access_point,
        status=view.status,
        online=view.online,
        last_seen=view.last_seen,
        version=view.version,
        battery=view.battery,
        rssi=view.rssi,
        clock_skewed=view.clock_skewed,
        clock_skew_s=view.clock_skew_s,
        revoked_at=view.revoked_at,
        revoked_by=view.revoked_by,
    )


@router.get("/devices")
async def list_devices(
    rt: Annotated[Runtime, Depends(runtime)],
) -> list[DeviceOut]:
    """Every device of the site file: liveness, version, battery, RSSI, what it serves."""
    views = await asyncio.to_thread(rt.devices.devices)
    return [_out(view) for view in views]


@router.post("/devices/{device_id}/revoke")
async def revoke(
    device_id: str,
    rt: Annotated[Runtime, Depends(runtime)],
    person: Annotated[Person, Depends(current_person)],
) -> DeviceOut:
    """Remove the device's broker credentials; the broker reloads them, it is not restarted."""
    try:
        view = await asyncio.to_thread(rt.devices.revoke, device_id, person.staff_id)
    except BrokerReloadFailed as exc:
        # Not a refusal but a failure of ours: the operator reads what to check on the broker.
        raise HTTPException(503, str(exc)) from None
    if view is None:
        raise Refusal(RefusalCode.DEVICE_UNKNOWN, device=device_id)
    return _out(view)
