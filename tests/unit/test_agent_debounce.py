"""Debouncing: occupied is reported fast, free only after a continuous absence."""

from datetime import UTC, datetime, timedelta

from edge_agent.debouncer import DebouncedChange, Debouncer
from firmware_config.site import HoldTimes

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PIR = HoldTimes(occupied_after_s=5, free_after_s=600, ttl_s=1800)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_occupied_is_reported_after_occupied_after_s_of_presence() -> None:
    desk = Debouncer(PIR)
    assert desk.observe(True, at(0)) == []
    assert desk.poll(at(4.9)) == []
    assert desk.poll(at(5)) == [DebouncedChange(True, at(5))]
    assert desk.state is True


def test_zero_occupied_hold_reports_at_once() -> None:
    desk = Debouncer(HoldTimes(free_after_s=60, ttl_s=600))
    assert desk.observe(True, at(0)) == [DebouncedChange(True, at(0))]


def test_free_only_after_free_after_s_of_continuous_absence() -> None:
    desk = Debouncer(PIR)
    desk.observe(True, at(0))
    desk.poll(at(10))
    assert desk.observe(False, at(100)) == []
    assert desk.poll(at(699)) == []
    assert desk.state is True
    assert desk.poll(at(700)) == [DebouncedChange(False, at(700))]
    assert desk.state is False


def test_a_brief_absence_does_not_report_free() -> None:
    desk = Debouncer(PIR)
    desk.observe(True, at(0))
    desk.poll(at(5))
    desk.observe(False, at(100))  # stepped away for a coffee
    assert desk.observe(True, at(400)) == []
    # Long after the original hold would have run out, still occupied.
    assert desk.poll(at(2000)) == []
    assert desk.state is True


def test_absence_clock_restarts_after_each_return() -> None:
    desk = Debouncer(PIR)
    desk.observe(True, at(0))
    desk.poll(at(5))
    desk.observe(False, at(100))
    desk.observe(True, at(500))
    desk.observe(False, at(600))
    assert desk.poll(at(1100)) == []  # 600 s after the first absence began, not the second
    assert desk.poll(at(1200)) == [DebouncedChange(False, at(1200))]


def test_a_flicker_shorter_than_the_occupied_hold_is_not_reported() -> None:
    desk = Debouncer(PIR)
    desk.observe(False, at(0))
    desk.poll(at(600))
    assert desk.observe(True, at(1000)) == []
    assert desk.observe(False, at(1003)) == []
    assert desk.poll(at(5000)) == []
    assert desk.state is False


def test_unknown_until_the_first_decision() -> None:
    desk = Debouncer(PIR)
    assert desk.state is None
    desk.observe(False, at(0))
    assert desk.state is None
    assert desk.deadline == at(600)
    assert desk.poll(at(600)) == [DebouncedChange(False, at(600))]


def test_repeated_readings_do_not_restart_the_hold() -> None:
    desk = Debouncer(PIR)
    desk.observe(True, at(0))
    desk.poll(at(5))
    desk.observe(False, at(10))
    for second in range(20, 600, 30):
        assert desk.observe(False, at(second)) == []
    assert desk.poll(at(610)) == [DebouncedChange(False, at(610))]


def test_a_late_reading_completes_the_pending_change_first() -> None:
    desk = Debouncer(PIR)
    desk.observe(True, at(0))
    desk.poll(at(5))
    desk.observe(False, at(10))
    # No poll for a long while (a slow tick), then the person returns.
    assert desk.observe(True, at(1000)) == [DebouncedChange(False, at(610))]
    assert desk.poll(at(1005)) == [DebouncedChange(True, at(1005))]


def test_one_late_reading_can_complete_two_changes_in_time_order() -> None:
    desk = Debouncer(HoldTimes(free_after_s=60, ttl_s=600))
    desk.observe(True, at(0))
    desk.observe(False, at(10))
    assert desk.observe(True, at(500)) == [
        DebouncedChange(False, at(70)),
        DebouncedChange(True, at(500)),
    ]


def test_a_straggling_older_reading_is_ignored() -> None:
    desk = Debouncer(PIR)
    desk.observe(True, at(100))
    assert desk.observe(False, at(50)) == []
    assert desk.poll(at(105)) == [DebouncedChange(True, at(105))]
