"""The occupancy fold: hour buckets in local time, peaks, and edge cases at the window's ends."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.services.occupancy_analytics import TransitionFact, fold_history

TOKYO = ZoneInfo("Asia/Tokyo")
START = datetime(2026, 11, 30, tzinfo=TOKYO).astimezone(UTC)  # Monday 00:00 in Tokyo
END = START + timedelta(days=1)


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def test_a_transition_exactly_at_the_start_counts_for_that_day() -> None:
    fold = fold_history({"a", "b"}, {}, [TransitionFact("a", "occupied", START)], START, END, TOKYO)
    assert fold.peak_people == 1
    assert fold.peak_at == START
    assert fold.daily_peak[START.astimezone(TOKYO).date()] == 1
    # Occupied all day, one desk of two.
    assert all(b.in_use / (b.seconds * 2) == pytest.approx(0.5) for b in fold.hours.values())
    assert len(fold.hours) == 24


def test_hours_split_at_local_boundaries_and_transitions_outside_the_window_are_ignored() -> None:
    facts = [
        TransitionFact("a", "occupied", START - timedelta(hours=1)),  # before: ignored
        TransitionFact("a", "occupied", at(9.5)),
        TransitionFact("b", "away", at(10)),  # exactly on an hour boundary
        TransitionFact("a", "free", at(11.25)),
        TransitionFact("b", "free", END),  # at the end: outside
    ]
    fold = fold_history({"a", "b"}, {"a": "free", "b": "free"}, facts, START, END, TOKYO)
    local = {b.start.hour: b for b in fold.hours.values()}
    assert local[9].in_use == pytest.approx(1800)  # a for half an hour
    assert local[10].in_use == pytest.approx(7200)  # a and b the whole hour
    assert local[11].in_use == pytest.approx(900 + 3600)
    assert local[23].in_use == pytest.approx(3600)  # b still away at the end
    assert fold.peak_people == 1, "away is in use but nobody is present"
    assert sum(b.seconds for b in fold.hours.values()) == pytest.approx(86400)


def test_unknown_desks_are_never_in_use() -> None:
    facts = [TransitionFact("a", "unknown", at(1)), TransitionFact("a", "held", at(2))]
    fold = fold_history({"a"}, {"a": "occupied"}, facts, START, END, TOKYO)
    local = {b.start.hour: b for b in fold.hours.values()}
    assert local[0].in_use == pytest.approx(3600)
    assert all(local[h].in_use == 0 for h in range(1, 24))
