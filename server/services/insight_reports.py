"""The shapes of the facilities insight reports: seat planning, dark zones, utilisation by
zone, department rates and office against remote days, each over a window of whole days."""

from dataclasses import dataclass
from datetime import date

from server.domain.planning import DeskNeed


@dataclass(frozen=True, slots=True)
class Window:
    """Whole local days first..last; `workdays` of them counted (working weekdays)."""

    first: date
    last: date
    workdays: int
    timezone: str
    working_hours: str


@dataclass(frozen=True, slots=True)
class PlanRow:
    kind: str  # department | floor | zone | site
    id: str
    department: str | None
    floor: str | None
    staff: int | None  # departments only
    remote_share: float | None  # measured share of staff marked remote per working day
    need: DeskNeed


@dataclass(frozen=True, slots=True)
class PlanningReport:
    window: Window
    percentile: float
    target_fill: float
    what_if_staff: int | None
    what_if_telework_share: float | None
    rows: list[PlanRow]
    suppressed_departments: list[str]


@dataclass(frozen=True, slots=True)
class DarkZone:
    zone: str
    floor: str
    department: str | None
    desks: int
    working_hours: float
    dark_hours: float
    dark_share: float | None
    lighting_w: float | None
    hvac_w: float | None
    kwh: float | None  # energy a zone switched off while dark would not use


@dataclass(frozen=True, slots=True)
class DarkZoneReport:
    window: Window
    zones: list[DarkZone]
    dark_zone_hours: float
    dark_zone_hours_per_day: float | None
    kwh: float
    kwh_per_day: float | None
    suppressed_departments: list[str]


@dataclass(frozen=True, slots=True)
class ZoneDayUse:
    date: date
    utilisation: float | None
    peak_in_use: int


@dataclass(frozen=True, slots=True)
class ZoneUse:
    zone: str
    floor: str
    department: str | None
    desks: int
    utilisation: float | None
    days: list[ZoneDayUse]


@dataclass(frozen=True, slots=True)
class ZoneUseReport:
    window: Window
    zones: list[ZoneUse]
    suppressed_departments: list[str]


@dataclass(frozen=True, slots=True)
class DepartmentRates:
    department: str
    suppressed: bool
    claims: int | None
    no_shows: int | None
    no_show_rate: float | None
    checked_in_hours: float | None
    away_hours: float | None
    away_rate: float | None
    away_too_long: int | None  # holds released as away too long


@dataclass(frozen=True, slots=True)
class DepartmentRatesReport:
    window: Window
    departments: list[DepartmentRates]


@dataclass(frozen=True, slots=True)
class OfficeDay:
    date: date
    in_office: int  # peak of people present
    remote: int  # people marked as working remotely


@dataclass(frozen=True, slots=True)
class DepartmentOffice:
    department: str
    suppressed: bool
    staff: int | None
    in_office: float | None  # mean daily peak of desks in use in its zones
    remote: float | None  # mean people marked remote per working day
    remote_share: float | None


@dataclass(frozen=True, slots=True)
class OfficeReport:
    window: Window
    days: list[OfficeDay]
    departments: list[DepartmentOffice]
    in_office: float | None
    remote: float | None
