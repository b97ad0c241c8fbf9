"""A simulated stretch of office weeks, planned ahead: what every person and room does, when.

Deterministic in its seed. Each working day every member of staff works remotely (and marks
it), is away (leave, business elsewhere), or comes in: claims a desk in the app and checks in
(by the desk's sensor or its QR code), or just sits down; some claim and never come, some
leave their desk for hours. Desks are taken in the department's zones, filling zones in order
when the site consolidates zones, spread over them when it does not. Meeting rooms host booked
and unbooked meetings: material shared on the screen, a laptop cast over HDMI, paper, breaks
that end a session and a re-pairing after them, no-shows and weekly series nobody uses.

Every time is on a 10-minute grid, so the server's timed rules (no-show grace, away too long,
session end after an empty room) fall on the ticks a replay sweeps at. The plan is also the
ground truth a replay's figures are checked against: `days`, `meetings` and `desk_day`.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from edge_agent.month_desks import People, Seats, plan_people
from edge_agent.month_happenings import Presence
from edge_agent.month_rooms import plan_rooms
from edge_agent.month_truth import DAY_OPENS, MonthSettings, OfficeMonth
from firmware_config.site import Site


def subset(site: Site, floors: frozenset[str]) -> Site:
    """The site with only `floors` (their zones, desks, rooms, APs) and the devices serving
    them: a smaller city hall that replays faster."""
    buildings = [
        b.model_copy(update={"floors": [f for f in b.floors if f.id in floors]})
        for b in site.buildings
    ]
    kept = [f for b in buildings for f in b.floors]
    desks = {d.id for f in kept for d in f.desks}
    rooms = {r.id for f in kept for r in f.rooms}
    aps = {a.id for f in kept for a in f.access_points}
    zones = {z.id for f in kept for z in f.zones}
    devices = [
        d
        for d in site.devices
        if (d.desks and set(d.desks) <= desks) or d.room in rooms or d.access_point in aps
    ]
    policy = site.policy.model_copy(
        update={"zone_order": [z for z in site.policy.zone_order if z in zones]}
    )
    return site.model_copy(
        update={
            "buildings": [b for b in buildings if b.floors],
            "devices": devices,
            "policy": policy,
        }
    )


def read_staff(path: Path) -> list[tuple[str, str | None]]:
    """(staff_id, department) of every row of a staff CSV."""
    with path.open(encoding="utf-8", newline="") as f:
        return [(row["staff_id"], row.get("department") or None) for row in csv.DictReader(f)]


def plan_month(
    site: Site,
    staff: Sequence[tuple[str, str | None]],
    settings: MonthSettings,
    *,
    consolidate: bool | None = None,
) -> OfficeMonth:
    """Plan `settings.days` days from `settings.first` for the site: its desks and rooms, and
    the staff of departments with zones there (`consolidate` overrides the site's policy)."""
    tz = ZoneInfo(site.site.timezone)
    use = site.policy.consolidate_zones if consolidate is None else consolidate
    month = OfficeMonth(site, settings, use, tz)
    chosen = site.floors()
    people = People(site, chosen, staff, settings)
    month.desks = [d.id for f in chosen for d in f.desks]
    rooms = [(r, f.id) for f in chosen for r in f.rooms]
    month.rooms_with_sensor = frozenset(r.id for i, (r, _) in enumerate(rooms) if i % 4 != 3)
    month.workdays = [
        settings.first + timedelta(days=i)
        for i in range(settings.days)
        if (settings.first + timedelta(days=i)).weekday() < 5
    ]
    seats = Seats(site, chosen, use, tz, settings.seed)
    opening = datetime.combine(settings.first, DAY_OPENS, tz)
    month.happenings += [Presence(opening, desk, False) for desk in month.desks]
    for index, day in enumerate(month.workdays):
        rng = random.Random(f"{settings.seed}/{day.isoformat()}")
        plan_people(month, people, seats, day, rng)
        plan_rooms(month, people, rooms, day, rng, index)
    return month
