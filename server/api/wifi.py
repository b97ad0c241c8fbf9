"""Busy-ness from the Wi-Fi APs: estimated people per floor and zone, live and over time.

Every figure under 5 people is `null` with `suppressed: true` (see server.domain.busyness).
"""

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from server.api.deps import runtime
from server.api.inputs import Moment
from server.composition.runtime import Runtime
from server.domain.busyness import MIN_GROUP, Busyness, shown, suppress_zones
from server.domain.refusals import Refusal, RefusalCode
from server.services.wifi_presence import WifiJobs, WifiPresence

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["busy-ness"])
Rt = Annotated[Runtime, Depends(runtime)]

JOBS_WAKE_S = 15.0
MAX_HISTORY = timedelta(days=31)


class ZoneBusyness(BaseModel):
    zone: str
    people: int | None = Field(description="Estimated people; null when suppressed or unknown")
    suppressed: bool


class FloorBusyness(BaseModel):
    floor: str
    people: int | None = Field(description="Estimated people; null when suppressed or unknown")
    suppressed: bool
    reporting: bool = Field(description="False when an AP of the floor has not reported lately")
    zones: list[ZoneBusyness]


class BusynessOut(BaseModel):
    at: datetime
    min_group: int = Field(description="Figures under this many people are suppressed")
    floors: list[FloorBusyness]


class HistoryPoint(BaseModel):
    at: datetime
    people: int | None
    suppressed: bool


class FloorHistoryOut(BaseModel):
    floor: str
    since: datetime
    until: datetime
    bucket_min: int
    min_group: int
    points: list[HistoryPoint]
    zones: dict[str, list[HistoryPoint]]


def wifi_of(rt: Runtime) -> WifiPresence:
    if rt.wifi is None:
        raise Refusal(RefusalCode.WIFI_NOT_SET_UP)
    return rt.wifi


@router.get("/busyness")
def busyness(rt: Rt) -> BusynessOut:
    """Estimated people per floor and zone now, from the Wi-Fi APs (small groups suppressed)."""
    wifi = wifi_of(rt)
    live = wifi.live()
    return BusynessOut(
        at=live.at,
        min_group=MIN_GROUP,
        floors=[_floor(wifi, live, floor) for floor in wifi.model.floors],
    )


@router.get("/floors/{floor_id}/busyness", responses={404: {"description": "No such floor"}})
def floor_busyness(floor_id: str, rt: Rt) -> FloorBusyness:
    """One floor's estimated people now, per zone (small groups suppressed)."""
    wifi = wifi_of(rt)
    _known_floor(wifi, floor_id)
    return _floor(wifi, wifi.live(), floor_id)


@router.get(
    "/floors/{floor_id}/busyness/history",
    responses={404: {"description": "No such floor"}, 422: {"description": "Bad range"}},
)
def floor_busyness_history(
    floor_id: str,
    rt: Rt,
    since: Annotated[Moment | None, Query(description="Default: 24 hours ago")] = None,
    until: Annotated[Moment | None, Query(description="Default: now")] = None,
    bucket_min: Annotated[int, Query(ge=5, le=1440, description="Bucket length")] = 60,
) -> FloorHistoryOut:
    """Mean estimated people on a floor and its zones per time bucket (small groups hidden)."""
    wifi = wifi_of(rt)
    _known_floor(wifi, floor_id)
    end = until or wifi.clock.now()
    start = since or end - timedelta(hours=24)
    if start >= end:
        raise HTTPException(422, "since must be before until")
    if end - start > MAX_HISTORY:
        raise HTTPException(422, f"ask for at most {MAX_HISTORY.days} days at a time")
    bucket = timedelta(minutes=bucket_min)
    floor_points = wifi.floor_history(floor_id, start, end, bucket)
    zone_points = wifi.zone_history(floor_id, start, end, bucket)
    points = []
    zones: dict[str, list[HistoryPoint]] = {z: [] for z in zone_points}
    for index, (at, people) in enumerate(floor_points):
        total = shown(people) if people is not None else None
        points.append(HistoryPoint(at=at, people=total, suppressed=_hidden(people, total)))
        raw = {z: series[index][1] for z, series in zone_points.items()}
        known = {z: v for z, v in raw.items() if v is not None}
        visible = suppress_zones(known, total)
        for zone, value in raw.items():
            figure = visible.get(zone)
            zones[zone].append(
                HistoryPoint(at=at, people=figure, suppressed=value is not None and figure is None)
            )
    return FloorHistoryOut(
        floor=floor_id,
        since=start,
        until=end,
        bucket_min=bucket_min,
        min_group=MIN_GROUP,
        points=points,
        zones=zones,
    )


def _hidden(people: float | None, figure: int | None) -> bool:
    return people is not None and figure is None


def _known_floor(wifi: WifiPresence, floor_id: str) -> None:
    if floor_id not in wifi.model.floors:
        raise Refusal(RefusalCode.FLOOR_UNKNOWN, floor=floor_id, floors=wifi.model.floors)


def _floor(wifi: WifiPresence, live: Busyness, floor_id: str) -> FloorBusyness:
    reporting = floor_id in live.reporting
    zone_ids = [z.id for z in wifi.model.zones.values() if z.floor == floor_id]
    total, visible = live.shown_floor(floor_id, zone_ids)
    return FloorBusyness(
        floor=floor_id,
        people=total,
        suppressed=reporting and total is None,
        reporting=reporting,
        zones=[
            ZoneBusyness(zone=z, people=visible[z], suppressed=reporting and visible[z] is None)
            for z in zone_ids
        ],
    )


async def run_jobs_forever(rt: Runtime) -> None:
    """History samples and retention, on the runtime's clock; failures are retried."""
    if rt.wifi is None:
        return
    jobs = WifiJobs(rt.ticker_wifi)
    while True:
        if not rt.runs_ticker:  # another replica holds the ticker lease
            await asyncio.sleep(JOBS_WAKE_S)
            continue
        try:
            deleted = await asyncio.to_thread(jobs.run_due)
            if any(deleted.values()):
                log.info("Wi-Fi retention deleted %s", {t: n for t, n in deleted.items() if n})
        except Exception:
            log.exception("Wi-Fi presence jobs failed; retrying")
        await asyncio.sleep(JOBS_WAKE_S)
