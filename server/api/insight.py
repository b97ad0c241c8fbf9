"""Facilities insight over HTTP: the city's paperless KPI by month and as a trend, seat planning,
dark zones, utilisation by zone, per-department no-show and away rates, office against remote,
desks away too long; CSV exports and the printable report page. Facilities and admins only
(their rows in server.api.access).

- `GET /api/analytics/paperless?month=YYYY-MM` — one month, per department and the headline.
- `GET /api/analytics/paperless/trend?months=12` — the same for the last months, oldest first.
- `GET /api/analytics/paperless.csv?from=YYYY-MM&to=YYYY-MM` — any month range as CSV.
- `GET /api/analytics/planning?weeks=8&percentile=95&target_fill=0.85&telework_share=&staff=`
  (and `planning.csv`) — desks needed per department, floor, zone and the site.
- `GET /api/analytics/dark-zones?days=28` — working hours with nobody present, per zone.
- `GET /api/analytics/zones?days=28` — utilisation per zone and working day.
- `GET /api/analytics/departments?days=28` — no-show and away rates per department.
- `GET /api/analytics/office?days=28` — people in the office against people working remotely.
- `GET /api/analytics/away-too-long` — checked-in desks with nobody present past the limit, now.
- `GET /facilities/report?month=YYYY-MM` — the printable monthly report (A4, ja/en).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, Response

from server.api.deps import runtime
from server.api.pages import dashboard_page
from server.composition.runtime import Runtime
from server.domain.paperless import PaperlessReport
from server.domain.planning import WhatIf
from server.services.insight_reports import (
    DarkZoneReport,
    DepartmentRatesReport,
    OfficeReport,
    PlanningReport,
    ZoneUseReport,
)
from server.services.meeting_figures import Month

router = APIRouter(tags=["facilities insight"])
Rt = Annotated[Runtime, Depends(runtime)]

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A month that is not YYYY-MM, or a reversed or too long range"},
    401: {"description": "Not signed in"},
    403: {"description": "Facilities and admins only"},
}
MonthText = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]
Threshold = Annotated[float, Query(gt=0, le=1, description="the target share, 0.7 = 70 %")]


def period(
    days: Annotated[int, Query(ge=1, le=366, description="whole days before today")] = 28,
    month: Annotated[
        str | None,
        Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM: that month's days instead"),
    ] = None,
) -> int | Month:
    """The days a figure covers: the last `days` before today, or a month's (up to today)."""
    return Month.parse(month) if month is not None else days


Period = Annotated[int | Month, Depends(period)]


# -- the paperless KPI -----------------------------------------------------------------------


@router.get("/api/analytics/paperless", responses=ERRORS)
def paperless(rt: Rt, month: MonthText, threshold: Threshold = 0.7) -> PaperlessReport:
    """Per department: meetings, how many ran without paper, the share and pages not printed;
    and the headline: the share of departments at least `threshold` paperless that month.
    Departments of fewer than 5 people are listed without figures and left out of totals."""
    return rt.insight.meetings.paperless(month, threshold)


@router.get("/api/analytics/paperless/trend", responses=ERRORS)
def paperless_trend(
    rt: Rt,
    months: Annotated[int, Query(ge=1, le=36)] = 12,
    threshold: Threshold = 0.7,
) -> list[PaperlessReport]:
    """The monthly KPI for the last `months` months (this one included), oldest first."""
    return rt.insight.meetings.trend(months, threshold)


@router.get(
    "/api/analytics/paperless.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **ERRORS},
)
def paperless_csv(
    rt: Rt,
    first: Annotated[str, Query(alias="from", pattern=r"^\d{4}-\d{2}$")],
    last: Annotated[str, Query(alias="to", pattern=r"^\d{4}-\d{2}$")],
    threshold: Threshold = 0.7,
) -> Response:
    """The KPI of every month from `from` to `to` (at most 36) as CSV, a row per department."""
    reports = rt.insight.meetings.between(Month.parse(first), Month.parse(last), threshold)
    names = _department_names(rt)
    header = [
        "month",
        "department",
        "department_name",
        "department_name_ja",
        "meetings",
        "paperless_meetings",
        "paperless_share",
        "pages_not_printed",
        "at_target",
        "headline_share",
    ]
    rows = [
        [
            r.month,
            d.department,
            *names.get(d.department, (d.department, "")),
            d.meetings,
            d.paperless_meetings,
            d.share,
            d.pages_not_printed,
            "" if d.share is None else int(d.share >= r.threshold),
            r.headline_share,
        ]
        for r in reports
        for d in r.departments
    ]
    return _csv(f"paperless-{first}-{last}.csv", header, rows)


# -- seat planning ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanningQuery:
    weeks: int | Month
    percentile: float
    target_fill: float
    what_if: WhatIf


def planning_query(
    weeks: Annotated[int, Query(ge=1, le=52, description="weeks of history")] = 8,
    percentile: Annotated[
        float, Query(ge=50, le=100, description="which day's peak to plan for")
    ] = 95,
    target_fill: Annotated[
        float, Query(ge=0.3, le=1, description="share of desks in use at that peak")
    ] = 0.85,
    telework_share: Annotated[
        float | None, Query(ge=0, le=0.95, description="what-if: share of staff remote a day")
    ] = None,
    staff: Annotated[int | None, Query(ge=1, le=1_000_000, description="what-if: staff")] = None,
    month: Annotated[
        str | None,
        Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM: that month's days instead"),
    ] = None,
) -> PlanningQuery:
    span = Month.parse(month) if month is not None else weeks
    return PlanningQuery(span, percentile, target_fill, WhatIf(staff, telework_share))


Planning = Annotated[PlanningQuery, Depends(planning_query)]


@router.get("/api/analytics/planning", responses=ERRORS)
def planning(rt: Rt, q: Planning) -> PlanningReport:
    """Per department, floor, zone and the site: the measured peak of desks in use (the
    `percentile`-th of the working days' peaks), the desks needed for that peak to fill
    `target_fill` of them, desks to add (+) or release (-), and the same under the what-if."""
    return rt.insight.desks.planning(q.weeks, q.percentile, q.target_fill, q.what_if)


@router.get(
    "/api/analytics/planning.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **ERRORS},
)
def planning_csv(rt: Rt, q: Planning) -> Response:
    """The planning figures as CSV, a row per department, floor, zone and the site."""
    report = rt.insight.desks.planning(q.weeks, q.percentile, q.target_fill, q.what_if)
    names = {**_department_names(rt), **_place_names(rt)}
    header = [
        "kind",
        "id",
        "name",
        "name_ja",
        "floor",
        "desks",
        "staff",
        "remote_share",
        "peak_in_use",
        "desks_needed",
        "change",
        "what_if_peak",
        "what_if_needed",
        "what_if_change",
    ]
    rows = [
        [
            row.kind,
            row.id,
            *names.get(row.id, (row.id, "")),
            row.floor,
            row.need.desks,
            row.staff,
            row.remote_share,
            row.need.peak,
            row.need.needed,
            row.need.change,
            row.need.what_if_peak,
            row.need.what_if_needed,
            row.need.what_if_change,
        ]
        for row in report.rows
    ]
    return _csv(f"planning-{report.window.first}-{report.window.last}.csv", header, rows)


# -- desks over time -------------------------------------------------------------------------


@router.get("/api/analytics/dark-zones", responses=ERRORS)
def dark_zones(rt: Rt, days: Period) -> DarkZoneReport:
    """Per zone: working hours (site policy `working_hours`, weekdays) with nobody present,
    and the energy a zone switched off while dark would save (its lighting and HVAC watts)."""
    return rt.insight.desks.dark_zones(days)


@router.get("/api/analytics/zones", responses=ERRORS)
def zone_use(rt: Rt, days: Period) -> ZoneUseReport:
    """Per zone and working day: the share of desk-time in use in working hours, and the peak."""
    return rt.insight.desks.zone_use(days)


@router.get("/api/analytics/departments", responses=ERRORS)
def department_rates(rt: Rt, days: Period) -> DepartmentRatesReport:
    """Per department of the holder: claims, no-shows and their rate; checked-in desk time and
    the share of it the desk showed `away`; holds released as away too long."""
    return rt.insight.desks.department_rates(days)


@router.get("/api/analytics/office", responses=ERRORS)
def office(rt: Rt, days: Period) -> OfficeReport:
    """Per working day: the peak of people present in the office and the people who marked the
    day as working remotely; per department, the daily means."""
    return rt.insight.desks.office(days)


@dataclass(frozen=True)
class AwayDesk:
    desk: str
    floor: str
    away_since: datetime
    minutes: int
    released_at_limit: bool  # the site releases such desks; False: they are only flagged


@router.get("/api/analytics/away-too-long", responses=ERRORS)
def away_too_long(rt: Rt) -> list[AwayDesk]:
    """Checked-in desks with nobody present for longer than the site's `away_limit_min`, now
    (with `away_action: flag` they stay held; with `release` the next sweep releases them)."""
    now = rt.clock.now()
    seating = rt.seating
    return [
        AwayDesk(
            desk=hold.desk,
            floor=rt.index.desk_floor.get(hold.desk, ""),
            away_since=since,
            minutes=int((now - since).total_seconds() // 60),
            released_at_limit=seating.site.away_release,
        )
        for hold, since in seating.away_too_long()
    ]


# -- the printable report --------------------------------------------------------------------


@router.get("/facilities/report", response_class=FileResponse, include_in_schema=False)
def report_page() -> FileResponse:
    """The monthly report (dashboard/report.html); its figures come from the routes above."""
    return dashboard_page("report.html")


# -- helpers ---------------------------------------------------------------------------------


def _department_names(rt: Runtime) -> dict[str, tuple[str, str]]:
    return {d.id: (d.name, d.name_ja) for d in rt.site.departments}


def _place_names(rt: Runtime) -> dict[str, tuple[str, str]]:
    names: dict[str, tuple[str, str]] = {}
    for floor in rt.site.floors():
        names[floor.id] = (floor.name, "")
        for zone in floor.zones:
            names[zone.id] = (zone.name, "")
    return names


def _csv(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    # A byte order mark, so spreadsheet programs read the Japanese names as UTF-8.
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
