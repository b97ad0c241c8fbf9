"""Facilities analytics: occupancy now and over time, seat ratio, sensor health."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from server.api.deps import runtime
from server.api.floors import known_floor
from server.composition.runtime import Runtime
from server.services.occupancy_analytics import (
    FloorNow,
    NoShowReport,
    OccupancyReport,
    SensorHealthReport,
)

router = APIRouter(prefix="/api/analytics", tags=["analytics"])

Rt = Annotated[Runtime, Depends(runtime)]


def _check_floor(rt: Runtime, floor: str | None) -> None:
    if floor is not None:
        known_floor(rt.site, floor)


@router.get("/occupancy", responses={404: {"description": "No such floor"}})
def occupancy(
    rt: Rt,
    floor: Annotated[
        str | None, Query(description="a floor id; the whole site if left out")
    ] = None,
    days: Annotated[int, Query(ge=1, le=90, description="days back from now, 1 to 90")] = 7,
) -> OccupancyReport:
    """Utilisation by hour of day and weekday × hour, daily and overall peak, seat ratio.

    Utilisation is the share of desk-time a desk was occupied or its user briefly away, in the
    site's time zone; the seat ratio is desks per person at the busiest moment of the window.
    """
    _check_floor(rt, floor)
    return rt.analytics.occupancy(days, floor)


@router.get("/no-shows", responses={404: {"description": "No such floor"}})
def no_shows(
    rt: Rt,
    floor: Annotated[
        str | None, Query(description="a floor id; the whole site if left out")
    ] = None,
    days: Annotated[int, Query(ge=1, le=90, description="days back from today, 1 to 90")] = 7,
) -> NoShowReport:
    """Per day: desk claims, how many were released because nobody checked in, and the rate."""
    _check_floor(rt, floor)
    return rt.analytics.no_shows(days, floor)


@router.get("/sensors")
def sensors(rt: Rt) -> SensorHealthReport:
    """Every configured device counted as online, offline, stale or never seen; and batteries."""
    return rt.analytics.sensor_health()


@router.get("/now")
def now(rt: Rt) -> list[FloorNow]:
    """Desks per state on every floor and in every zone, live."""
    floors = [(f.id, [z.id for z in f.zones]) for f in rt.site.floors()]
    states: dict[str, str] = {}
    for floor_id, _ in floors:
        states.update({d: v["state"] for d, v in rt.hub.states(floor_id).items()})
    return rt.analytics.now_by_floor(floors, states)
