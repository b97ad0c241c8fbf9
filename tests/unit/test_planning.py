"""Seat planning and the zone fold without I/O."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from server.domain.planning import WhatIf, demand_factor, desks_needed, percentile, plan
from server.domain.zone_use import SITE, DeskFact, WorkingHours, fold_zones

TZ = ZoneInfo("Asia/Tokyo")


def test_the_nearest_rank_percentile_and_desks_at_the_target_fill() -> None:
    days = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert percentile(days, 95) == 100 and percentile(days, 50) == 50 and percentile([], 95) == 0
    assert desks_needed(85, 0.85) == 100  # not 101 from 85 / 0.85 = 100.00000000000001
    need = plan(desks=120, peak=85, target_fill=0.85, factor=0.5)
    assert (need.needed, need.change, need.what_if_needed, need.what_if_change) == (
        100,
        -20,
        50,
        -70,
    )


def test_office_demand_follows_staff_and_the_share_working_remotely() -> None:
    assert demand_factor(WhatIf(), 100, 0.2) == 1.0
    assert demand_factor(WhatIf(staff=150), 100, 0.2) == 1.5
    assert demand_factor(WhatIf(telework_share=0.6), 100, 0.2) == 0.5


def test_the_fold_counts_dark_working_hours_and_simultaneous_peaks() -> None:
    monday = datetime(2026, 11, 30, tzinfo=TZ)

    def at(hour: float) -> datetime:
        return monday + timedelta(hours=hour)

    desks = {"d1": "z1", "d2": "z1", "d3": "z2"}
    facts = [
        DeskFact("d1", "occupied", at(9)),
        DeskFact("d1", "away", at(12)),  # stepped away: in use, nobody present
        DeskFact("d1", "free", at(13)),
        DeskFact("d2", "occupied", at(13)),  # taken as d1 is freed: no peak of two
        DeskFact("d2", "free", at(15)),
    ]
    hours = WorkingHours.parse("08:30-17:15")
    folded = fold_zones(desks, {"z1": [SITE], "z2": [SITE]}, {}, facts, monday, at(24), TZ, hours)
    day = monday.date()
    z1, z2 = folded.zones[("z1", day)], folded.zones[("z2", day)]
    assert z1.seconds == z2.seconds == 8.75 * 3600
    # z1: dark 08:30-09:00, 12:00-13:00 and 15:00-17:15; z2 dark all day.
    assert z1.dark == (0.5 + 1 + 2.25) * 3600 and z2.dark == z2.seconds
    assert folded.peak_in_use[(SITE, day)] == 1 and folded.peak_present[(SITE, day)] == 1
    assert z1.in_use == 6 * 3600
    assert not hours.works((monday + timedelta(days=5)).date())
