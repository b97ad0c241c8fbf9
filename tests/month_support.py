"""A simulated month of the demo city hall, replayed once per test session, and the figures
computed directly from the plan: the truth every facilities figure is checked against.

The direct computations below read only the plan (who sat where, when; which meetings were
held and how) and the rules as the README states them; they share no code with the server's
folds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import yaml

from edge_agent.month_truth import MonthSettings, OfficeMonth, PersonDay
from edge_agent.office_month import plan_month, read_staff, subset
from firmware_config.loader import load_site
from firmware_config.paths import demo_site_path, demo_staff_path
from firmware_config.site import Site
from server.cli.month_replay import ReplayReport, replay_month
from server.settings import Settings

# One floor of the demo city hall keeps the replay within the test budget; the full hall is
# `freeseat simulate-month` (README, docs/facilities.md).
FLOORS = frozenset({"f3"})
DAYS = 28
Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class SimulatedMonth:
    month: OfficeMonth
    database_url: str
    site_file: Path
    now: datetime  # the morning after the last simulated day
    report: ReplayReport

    def reported_month(self) -> str:
        """The month the pages open on: the latest one that has ended and had meetings."""
        held = sorted(paperless_by_month(self.month))
        ended = [m for m in held if m < f"{self.now:%Y-%m}"]
        return (ended or held)[-1]

    def settings(self) -> Settings:
        """A demo-mode server on the month's database and site, without a broker."""
        return Settings(
            database_url=self.database_url,
            site_file=self.site_file,
            demo_mode=True,
            enable_mqtt=False,
        )


def simulate(folder: Path, today: date, days: int = DAYS) -> SimulatedMonth:
    """Plan the `days` days before `today` on FLOORS of the demo city hall and replay them."""
    site = subset(load_site(demo_site_path()), FLOORS)
    site_file = folder / "site.yaml"
    site_file.write_text(
        yaml.safe_dump(site.model_dump(mode="json"), allow_unicode=True), encoding="utf-8"
    )
    settings = MonthSettings(first=today - timedelta(days=days), days=days, seed=19)
    month = plan_month(load_site(site_file), read_staff(demo_staff_path()), settings)
    url = f"sqlite:///{folder / 'month.db'}"
    report = replay_month(month, url)
    now = datetime.combine(today, time(9, 0), month.tz)
    return SimulatedMonth(month, url, site_file, now, report)


# -- desks -----------------------------------------------------------------------------------


def released(person: PersonDay, site: Site) -> tuple[datetime, bool] | None:
    """When a checked-in claimer's hold ended, and whether as away too long; None otherwise."""
    if person.kind != "office" or person.claimed_at is None or person.arrival is None:
        return None
    assert person.departure is not None
    limit = timedelta(minutes=site.policy.away_limit_min)
    end_of_day = datetime.combine(
        person.day, time.fromisoformat(site.policy.end_of_day), person.arrival.tzinfo
    )
    gaps = [(start, end) for start, end in person.absences] + [(person.departure, None)]
    for start, back in gaps:
        # Released at start + limit when still away then (a return at that tick comes first);
        # the end-of-day release wins a tie.
        if (back is None or back > start + limit) and start + limit < end_of_day:
            return start + limit, True
    return end_of_day, False


def in_use_spans(month: OfficeMonth) -> dict[str, list[Span]]:
    """Per desk: when it was occupied or held by a checked-in person who stepped away."""
    spans: dict[str, list[Span]] = defaultdict(list)
    for person in month.days:
        if person.desk is None or person.kind != "office":
            continue
        spans[person.desk] += person.present
        ended = released(person, month.site)
        if ended is not None:
            assert person.arrival is not None
            spans[person.desk].append((person.arrival, ended[0]))
    return spans


def present_spans(month: OfficeMonth) -> dict[str, list[Span]]:
    spans: dict[str, list[Span]] = defaultdict(list)
    for person in month.days:
        if person.desk is not None and person.kind == "office":
            spans[person.desk] += person.present
    return spans


def union(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def daily_peaks(
    month: OfficeMonth, desks: set[str], spans: dict[str, list[Span]]
) -> dict[date, int]:
    """Per day: the most of `desks` covered by their spans at any one instant."""
    changes: dict[datetime, int] = defaultdict(int)
    for desk in desks:
        for start, end in union(spans.get(desk, [])):
            changes[start] += 1
            changes[end] -= 1
    peaks: dict[date, int] = defaultdict(int)
    count = 0
    for at in sorted(changes):
        count += changes[at]
        day = at.astimezone(month.tz).date()
        peaks[day] = max(peaks[day], count)
    return peaks


def zone_desks(site: Site) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for _, desk in site.desks():
        out[desk.zone].add(desk.id)
    return out


def working_window(month: OfficeMonth, day: date) -> Span:
    first, last = month.site.policy.working_hours.split("-")
    return (
        datetime.combine(day, time.fromisoformat(first), month.tz),
        datetime.combine(day, time.fromisoformat(last), month.tz),
    )


def dark_hours(month: OfficeMonth) -> dict[str, float]:
    """Per zone: working hours of working days with nobody present at any of its desks."""
    present = present_spans(month)
    out = {}
    for zone, desks in zone_desks(month.site).items():
        lit = union(span for desk in desks for span in present.get(desk, []))
        dark = 0.0
        for day in month.workdays:
            open_, close = working_window(month, day)
            covered = sum(
                max(0.0, (min(end, close) - max(start, open_)).total_seconds())
                for start, end in lit
            )
            dark += (close - open_).total_seconds() - covered
        out[zone] = dark / 3600
    return out


def nearest_rank(values: list[int], pct: float) -> int:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


# -- departments -----------------------------------------------------------------------------


def department_rates(month: OfficeMonth) -> dict[str, tuple[int, int, float | None, int]]:
    """Per department: claims, no-shows, the away share of checked-in time, away-too-long."""
    claims: dict[str, int] = defaultdict(int)
    no_shows: dict[str, int] = defaultdict(int)
    too_long: dict[str, int] = defaultdict(int)
    occupied: dict[str, float] = defaultdict(float)
    held: dict[str, float] = defaultdict(float)
    for person in month.days:
        dept = person.department or "unassigned"
        if person.claimed_at is None:
            continue
        claims[dept] += 1
        if person.kind == "no_show":
            no_shows[dept] += 1
            continue
        ended = released(person, month.site)
        assert ended is not None and person.arrival is not None
        end, away = ended
        too_long[dept] += away
        held[dept] += (end - person.arrival).total_seconds()
        occupied[dept] += sum(
            max(0.0, (min(b, end) - max(a, person.arrival)).total_seconds())
            for a, b in person.present
        )
    return {
        d: (
            claims[d],
            no_shows[d],
            round((held[d] - occupied[d]) / held[d], 4) if held[d] else None,
            too_long[d],
        )
        for d in claims
    }


# -- meetings --------------------------------------------------------------------------------


def paperless_by_month(month: OfficeMonth) -> dict[str, dict[str, tuple[int, int, int]]]:
    """Per month and department: meetings held, held without paper, pages not printed."""
    out: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for meeting in month.meetings:
        if not meeting.counted:
            continue
        local = meeting.starts_at.astimezone(month.tz)
        row = out[f"{local.year:04d}-{local.month:02d}"][meeting.department or "unassigned"]
        row[0] += 1
        row[1] += meeting.paperless
        row[2] += meeting.pages_not_printed
    return {m: {d: (a, b, c) for d, (a, b, c) in rows.items()} for m, rows in out.items()}
