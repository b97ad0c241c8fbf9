"""Facilities insight from the recorded history: seat planning from measured peaks, dark zones
and the energy they save, utilisation by zone, no-show and away rates per department, and
people in the office against people working remotely.

Every figure covers whole local days before today, so it does not move while today runs and a
replay of the same history gives the same figure. Departments under the small-group limit and
their zones are left out of every figure and every total (server.domain.small_groups).
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from firmware_config.site import Site
from server.domain.hold_time import CheckedIn, time_at_desks
from server.domain.occupancy import DeskReason
from server.domain.planning import WhatIf, demand_factor, percentile, plan
from server.domain.small_groups import Groups, group_of
from server.domain.zone_use import SITE, DeskFact, GroupKey, WorkingHours, ZoneFold, fold_zones
from server.services.insight_reports import (
    DarkZone,
    DarkZoneReport,
    DepartmentOffice,
    DepartmentRates,
    DepartmentRatesReport,
    OfficeDay,
    OfficeReport,
    PlanningReport,
    PlanRow,
    Window,
    ZoneDayUse,
    ZoneUse,
    ZoneUseReport,
)
from server.services.meeting_figures import Month
from server.services.occupancy_analytics import OccupancyHistory, states_at
from server.services.ports import Clock
from server.services.remote_work import RemoteStore

HOUR_S = 3600.0


@dataclass(frozen=True, slots=True)
class HeldDay:
    """One claim of a desk, with the holder's department."""

    staff_id: str
    department: str | None
    desk: str
    day: date
    claimed_at: datetime
    checked_in_at: datetime | None
    released_at: datetime | None
    release_reason: DeskReason | None


class HoldHistory(Protocol):
    """Reads holds with their holders' departments, and department sizes."""

    def held_days(self, first: date, last: date) -> list[HeldDay]:
        """Claims of days first..last (inclusive), released or not."""
        ...

    def groups(self) -> Groups:
        """Department sizes from the staff directory."""
        ...


@dataclass(frozen=True, slots=True)
class SiteShape:
    """What the figures need from the site file."""

    desk_zone: Mapping[str, str]
    zone_floor: Mapping[str, str]
    zone_department: Mapping[str, str | None]
    zone_watts: Mapping[str, tuple[float | None, float | None]]  # lighting, HVAC
    hours: WorkingHours
    tz: ZoneInfo

    @classmethod
    def of(cls, site: Site) -> "SiteShape":
        desk_zone, zone_floor, zone_department, zone_watts = {}, {}, {}, {}
        for floor in site.floors():
            for zone in floor.zones:
                zone_floor[zone.id] = floor.id
                zone_department[zone.id] = zone.department
                zone_watts[zone.id] = (zone.lighting_w, zone.hvac_w)
            for desk in floor.desks:
                desk_zone[desk.id] = desk.zone
        return cls(
            desk_zone=desk_zone,
            zone_floor=zone_floor,
            zone_department=zone_department,
            zone_watts=zone_watts,
            hours=WorkingHours.parse(site.policy.working_hours),
            tz=ZoneInfo(site.site.timezone),
        )

    def desks_per(self) -> dict[GroupKey, int]:
        counts: dict[GroupKey, int] = defaultdict(int)
        for zone in self.desk_zone.values():
            for key in self.keys(zone):
                counts[key] += 1
        return counts

    def keys(self, zone: str) -> list[GroupKey]:
        """The groups a zone counts towards: itself, its department, its floor, the site."""
        keys: list[GroupKey] = [("zone", zone), ("floor", self.zone_floor[zone]), SITE]
        department = self.zone_department.get(zone)
        if department is not None:
            keys.append(("department", department))
        return keys


# -- the service -----------------------------------------------------------------------------


@dataclass
class _Folded:
    window: Window
    fold: ZoneFold
    workdays: list[date]
    hidden: frozenset[str]
    groups: Groups
    start: datetime
    end: datetime


class FacilitiesInsight:
    """Folds the desk history, holds and remote marks into the facilities figures."""

    def __init__(
        self,
        history: OccupancyHistory,
        holds: HoldHistory,
        remote: RemoteStore,
        shape: SiteShape,
        clock: Clock,
    ) -> None:
        self._history = history
        self._holds = holds
        self._remote = remote
        self._shape = shape
        self._clock = clock
        self._desks = shape.desks_per()

    # -- the fold ----------------------------------------------------------------------------

    def _fold(self, days: int | Month) -> _Folded:
        """The whole days before today: the last `days` of them, or those of a month."""
        shape = self._shape
        today = self._clock.now().astimezone(shape.tz).date()
        if isinstance(days, Month):
            begins, ends = days.bounds(shape.tz)
            first = begins.date()
            last = min(ends.date(), today) - timedelta(days=1)
            if last < first:
                last = first - timedelta(days=1)  # a month that has not begun: no days
        else:
            first, last = today - timedelta(days=days), today - timedelta(days=1)
        start = datetime.combine(first, datetime.min.time(), shape.tz)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), shape.tz)
        groups = self._holds.groups()
        hidden = groups.hidden_zones(shape.zone_department)
        desk_zone = {d: z for d, z in shape.desk_zone.items() if z not in hidden}
        zone_groups = {
            z: [k for k in shape.keys(z) if k[0] != "zone"] for z in set(desk_zone.values())
        }
        facts = self._history.transitions(start, end, None)
        initial = states_at(self._history, start, desk_zone, None, facts)
        fold = fold_zones(
            desk_zone,
            zone_groups,
            initial,
            (DeskFact(f.desk, f.after, f.at) for f in facts),
            start,
            end,
            shape.tz,
            shape.hours,
        )
        workdays = [d for d in fold.days if shape.hours.works(d) and first <= d <= last]
        window = Window(
            first=first,
            last=last,
            workdays=len(workdays),
            timezone=str(shape.tz),
            working_hours=f"{shape.hours.start:%H:%M}-{shape.hours.end:%H:%M}",
        )
        return _Folded(window, fold, workdays, hidden, groups, start, end)

    def _suppressed(self, groups: Groups) -> list[str]:
        return sorted(d for d in groups.sizes if groups.hidden(d))

    # -- seat planning -----------------------------------------------------------------------

    def planning(
        self, weeks: int | Month, pct: float, target_fill: float, what_if: WhatIf
    ) -> PlanningReport:
        """Per department, floor, zone and the site: the measured peak of desks in use (the
        `pct`-th percentile of working days' peaks), desks needed at `target_fill`, the change,
        and the same under `what_if`."""
        folded = self._fold(weeks if isinstance(weeks, Month) else weeks * 7)
        groups, workdays = folded.groups, folded.workdays
        wanted = set(workdays)
        remote_days: dict[str, int] = defaultdict(int)
        for mark in self._remote.marks(folded.window.first, folded.window.last):
            if mark.day in wanted:
                remote_days[group_of(mark.department)] += 1
        departments = sorted(
            {d for z, d in self._shape.zone_department.items() if z not in folded.hidden and d}
        )
        shown_staff = sum(n for d, n in groups.sizes.items() if groups.shown(d))

        def peak(key: GroupKey) -> float:
            return percentile([folded.fold.peak_in_use.get((key, d), 0) for d in workdays], pct)

        factors: dict[str, float] = {}
        remote_share: dict[str, float] = {}
        for dept in departments:
            staff = groups.sizes.get(dept, 0)
            share = remote_days[dept] / (staff * len(workdays)) if staff and workdays else 0.0
            remote_share[dept] = round(share, 4)
            factors[dept] = demand_factor(what_if, shown_staff, share)
        rows: list[PlanRow] = []
        zones = sorted(z for z in self._shape.zone_floor if z not in folded.hidden)
        zone_peak = {z: peak(("zone", z)) for z in zones}

        def zone_factor(zone: str) -> float:
            dept = self._shape.zone_department.get(zone)
            if dept is not None:
                return factors.get(dept, 1.0)
            return demand_factor(WhatIf(staff=what_if.staff), shown_staff, 0.0)

        def mixed(members: Sequence[str]) -> float:
            weight = sum(zone_peak[z] for z in members)
            if weight <= 0:
                return zone_factor(members[0]) if members else 1.0
            return sum(zone_factor(z) * zone_peak[z] for z in members) / weight

        for dept in departments:
            key: GroupKey = ("department", dept)
            rows.append(
                PlanRow(
                    kind="department",
                    id=dept,
                    department=dept,
                    floor=None,
                    staff=groups.sizes.get(dept, 0),
                    remote_share=remote_share[dept],
                    need=plan(self._desks[key], peak(key), target_fill, factors[dept]),
                )
            )
        floors = sorted({self._shape.zone_floor[z] for z in zones})
        for floor in floors:
            members = [z for z in zones if self._shape.zone_floor[z] == floor]
            key = ("floor", floor)
            desks = sum(self._desks[("zone", z)] for z in members)
            rows.append(
                PlanRow(
                    "floor",
                    floor,
                    None,
                    floor,
                    None,
                    None,
                    plan(desks, peak(key), target_fill, mixed(members)),
                )
            )
        for zone in zones:
            rows.append(
                PlanRow(
                    "zone",
                    zone,
                    self._shape.zone_department.get(zone),
                    self._shape.zone_floor[zone],
                    None,
                    None,
                    plan(
                        self._desks[("zone", zone)], zone_peak[zone], target_fill, zone_factor(zone)
                    ),
                )
            )
        site_desks = sum(self._desks[("zone", z)] for z in zones)
        rows.append(
            PlanRow(
                "site",
                "",
                None,
                None,
                shown_staff,
                None,
                plan(site_desks, peak(SITE), target_fill, mixed(zones)),
            )
        )
        return PlanningReport(
            window=folded.window,
            percentile=pct,
            target_fill=target_fill,
            what_if_staff=what_if.staff,
            what_if_telework_share=what_if.telework_share,
            rows=rows,
            suppressed_departments=self._suppressed(groups),
        )

    # -- dark zones --------------------------------------------------------------------------

    def dark_zones(self, days: int | Month) -> DarkZoneReport:
        """Per zone: working hours with nobody present, and the energy those hours would save."""
        folded = self._fold(days)
        workdays = set(folded.workdays)
        out = []
        for zone in sorted(z for z in self._shape.zone_floor if z not in folded.hidden):
            seconds = dark = 0.0
            for day in workdays:
                cell = folded.fold.zones.get((zone, day))
                if cell is not None:
                    seconds += cell.seconds
                    dark += cell.dark
            lighting, hvac = self._shape.zone_watts.get(zone, (None, None))
            watts = None if lighting is None and hvac is None else (lighting or 0) + (hvac or 0)
            dark_h = dark / HOUR_S
            out.append(
                DarkZone(
                    zone=zone,
                    floor=self._shape.zone_floor[zone],
                    department=self._shape.zone_department.get(zone),
                    desks=self._desks[("zone", zone)],
                    working_hours=round(seconds / HOUR_S, 2),
                    dark_hours=round(dark_h, 2),
                    dark_share=round(dark / seconds, 4) if seconds else None,
                    lighting_w=lighting,
                    hvac_w=hvac,
                    kwh=round(dark_h * watts / 1000, 2) if watts is not None else None,
                )
            )
        hours = round(sum(z.dark_hours for z in out), 2)
        kwh = round(sum(z.kwh or 0 for z in out), 2)
        n = len(workdays)
        return DarkZoneReport(
            window=folded.window,
            zones=out,
            dark_zone_hours=hours,
            dark_zone_hours_per_day=round(hours / n, 2) if n else None,
            kwh=kwh,
            kwh_per_day=round(kwh / n, 2) if n else None,
            suppressed_departments=self._suppressed(folded.groups),
        )

    # -- utilisation by zone -----------------------------------------------------------------

    def zone_use(self, days: int | Month) -> ZoneUseReport:
        """Per zone and working day: the share of desk-time in use in working hours, and the
        day's peak of desks in use."""
        folded = self._fold(days)
        out = []
        for zone in sorted(z for z in self._shape.zone_floor if z not in folded.hidden):
            desks = self._desks[("zone", zone)]
            series = []
            total_in_use = total_seconds = 0.0
            for day in folded.workdays:
                cell = folded.fold.zones.get((zone, day))
                seconds = cell.seconds if cell else 0.0
                in_use = cell.in_use if cell else 0.0
                total_in_use += in_use
                total_seconds += seconds
                series.append(
                    ZoneDayUse(
                        date=day,
                        utilisation=_share(in_use, seconds * desks),
                        peak_in_use=folded.fold.peak_in_use.get((("zone", zone), day), 0),
                    )
                )
            out.append(
                ZoneUse(
                    zone=zone,
                    floor=self._shape.zone_floor[zone],
                    department=self._shape.zone_department.get(zone),
                    desks=desks,
                    utilisation=_share(total_in_use, total_seconds * desks),
                    days=series,
                )
            )
        return ZoneUseReport(folded.window, out, self._suppressed(folded.groups))

    # -- departments: no-shows and time away -------------------------------------------------

    def department_rates(self, days: int | Month) -> DepartmentRatesReport:
        """Per department of the holder: claims released as no-shows, and the share of
        checked-in desk time the desk showed `away`."""
        folded = self._fold(days)
        held = self._holds.held_days(folded.window.first, folded.window.last)
        claims: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        spans = []
        for hold in held:
            group = group_of(hold.department)
            row = claims[group]
            row[0] += 1
            row[1] += hold.release_reason is DeskReason.NO_SHOW
            row[2] += hold.release_reason is DeskReason.AWAY_TOO_LONG
            if hold.checked_in_at is not None:
                end = min(hold.released_at or folded.end, folded.end)
                spans.append(CheckedIn(group, hold.desk, hold.checked_in_at, end))
        desks = {h.desk for h in held}
        facts = [
            DeskFact(f.desk, f.after, f.at)
            for f in self._history.transitions(folded.start, folded.end, desks or None)
            if f.desk in desks
        ]
        initial = self._history.latest_before(folded.start, desks) if desks else {}
        times = time_at_desks(spans, initial, facts)
        out = []
        for group in sorted(claims.keys() | times.keys()):
            if folded.groups.hidden(group):
                out.append(DepartmentRates(group, True, *([None] * 7)))
                continue
            count, no_shows, too_long = claims.get(group, [0, 0, 0])
            spent = times.get(group)
            occupied = spent.occupied_s if spent else 0.0
            away = spent.away_s if spent else 0.0
            out.append(
                DepartmentRates(
                    department=group,
                    suppressed=False,
                    claims=count,
                    no_shows=no_shows,
                    no_show_rate=_share(no_shows, count),
                    checked_in_hours=round((occupied + away) / HOUR_S, 2),
                    away_hours=round(away / HOUR_S, 2),
                    away_rate=_share(away, occupied + away),
                    away_too_long=too_long,
                )
            )
        return DepartmentRatesReport(folded.window, out)

    # -- office and remote -------------------------------------------------------------------

    def office(self, days: int | Month) -> OfficeReport:
        """Per working day: the peak of people in the office, and people working remotely."""
        folded = self._fold(days)
        groups = folded.groups
        workdays = folded.workdays
        marks = self._remote.marks(folded.window.first, folded.window.last)
        per_day: dict[date, int] = defaultdict(int)
        per_dept: dict[str, int] = defaultdict(int)
        wanted = set(workdays)
        for mark in marks:
            group = group_of(mark.department)
            if mark.day in wanted and groups.shown(group):
                per_day[mark.day] += 1
                per_dept[group] += 1
        days_out = [
            OfficeDay(d, folded.fold.peak_present.get((SITE, d), 0), per_day.get(d, 0))
            for d in workdays
        ]
        n = len(workdays)
        departments = []
        for dept in sorted(groups.sizes):
            if groups.hidden(dept):
                departments.append(DepartmentOffice(dept, True, None, None, None, None))
                continue
            staff = groups.sizes[dept]
            peaks = [folded.fold.peak_in_use.get((("department", dept), d), 0) for d in workdays]
            remote = per_dept.get(dept, 0) / n if n else None
            departments.append(
                DepartmentOffice(
                    department=dept,
                    suppressed=False,
                    staff=staff,
                    in_office=round(sum(peaks) / n, 2) if n else None,
                    remote=round(remote, 2) if remote is not None else None,
                    remote_share=_share(remote or 0.0, staff) if n else None,
                )
            )
        return OfficeReport(
            window=folded.window,
            days=days_out,
            departments=departments,
            in_office=round(sum(d.in_office for d in days_out) / n, 2) if n else None,
            remote=round(sum(d.remote for d in days_out) / n, 2) if n else None,
        )


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole > 0 else None
