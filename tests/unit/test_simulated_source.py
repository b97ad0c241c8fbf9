"""Simulated desks follow a plausible, repeatable working day."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from edge_agent.sensors import QueuedSource, SimulatedSource
from edge_agent.workday import plan_desk_day, present_at

TZ = ZoneInfo("Asia/Tokyo")
DAY = date(2026, 12, 1)
DESKS = [f"desk-{i:03d}" for i in range(400)]


def local(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def test_a_day_has_arrivals_lunch_and_departures_in_their_windows() -> None:
    plans = [plan_desk_day(7, desk, DAY, TZ) for desk in DESKS]
    used = [p for p in plans if p]
    assert 0.55 <= len(used) / len(plans) <= 0.85, "about 60-80 % of desks are used"
    for toggles in used:
        times = [at for at, _ in toggles]
        assert times == sorted(times)
        assert [present for _, present in toggles] == [i % 2 == 0 for i in range(len(toggles))]
        arrival, departure = toggles[0][0], toggles[-1][0]
        assert local(8) <= arrival <= local(10, 30)  # a merged early absence may delay it
        assert departure <= local(19, 30)
    departures = [p[-1][0] for p in used]
    assert sum(d >= local(17) for d in departures) / len(departures) > 0.8
    away_at_half_past_twelve = sum(1 for p in used if not present_at(p, local(12, 30)))
    assert away_at_half_past_twelve / len(used) > 0.4, "lunch empties many desks"


def test_plans_are_repeatable_per_seed_desk_and_day() -> None:
    assert plan_desk_day(1, "desk-001", DAY, TZ) == plan_desk_day(1, "desk-001", DAY, TZ)
    other_days = {
        tuple(plan_desk_day(1, "desk-001", DAY + timedelta(days=d), TZ)) for d in range(5)
    }
    assert len(other_days) > 1


def test_first_read_reports_every_desk_then_only_changes_in_order() -> None:
    source = SimulatedSource(DESKS[:20], seed=3, tz=TZ)
    first = source.read(local(7, 30))
    assert sorted(r.desk for r in first) == DESKS[:20]
    assert not any(r.present for r in first), "nobody is in before 8:00"
    readings = source.read(local(11))
    assert readings, "a morning brings arrivals"
    assert [r.at for r in readings] == sorted(r.at for r in readings)
    assert all(local(7, 30) < r.at <= local(11) for r in readings)
    assert source.read(local(11)) == []


def test_a_jump_across_midnight_reports_both_days_and_nothing_twice() -> None:
    source = SimulatedSource(DESKS[:10], seed=3, tz=TZ)
    source.read(local(6))
    readings = source.read(local(12, day=DAY + timedelta(days=1)))
    expected = [
        (desk, at, present)
        for day in (DAY, DAY + timedelta(days=1))
        for desk in DESKS[:10]
        for at, present in source.plan(desk, day)
        if at <= local(12, day=DAY + timedelta(days=1))
    ]
    assert sorted((r.desk, r.at, r.present) for r in readings) == sorted(expected)


def test_queued_readings_wait_until_their_time() -> None:
    source = QueuedSource()
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    source.push("desk-1", True, t0)
    source.push("desk-1", False, t0 + timedelta(seconds=10))
    assert [r.present for r in source.read(t0)] == [True]
    assert [r.present for r in source.read(t0 + timedelta(seconds=10))] == [False]
    assert source.read(t0 + timedelta(seconds=20)) == []
