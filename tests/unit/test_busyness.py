"""The busy-ness estimate: which AP serves which zone, devices to people, suppression."""

from datetime import UTC, datetime, timedelta

import pytest

from server.domain.busyness import (
    ApCount,
    ApPlace,
    Estimator,
    ZonePlace,
    estimate,
    shown,
    suppress_zones,
    zone_of,
    zone_shares,
)

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
ZONES = [
    ZonePlace("a", "f1", 0, 0, 10, 10, desks=30),
    ZonePlace("b", "f1", 10, 0, 10, 10, desks=10),
    ZonePlace("c", "f1", 40, 0, 10, 10, desks=20),
]
APS = [ApPlace("ap-1", "f1", 10, 5), ApPlace("ap-2", "f1", 45, 5)]


def test_an_ap_serves_its_nearest_zones_in_proportion_to_their_desks() -> None:
    shares = zone_shares(ZONES, APS)
    assert shares == {"ap-1": {"a": 0.75, "b": 0.25}, "ap-2": {"c": 1.0}}


def test_an_ap_stands_in_a_zone_or_belongs_to_the_nearest() -> None:
    assert zone_of(ApPlace("x", "f1", 45, 5), ZONES) == "c"
    assert zone_of(ApPlace("x", "f1", 30, 5), ZONES) == "b"  # 10 m from b, 10 m from c: tie
    assert zone_of(ApPlace("x", "f9", 0, 0), ZONES) is None


def test_randomised_devices_count_only_in_part() -> None:
    estimator = Estimator(devices_per_person=1.0, randomised_weight=0.25)
    assert estimator.people(ApCount("ap-1", 20, 8, NOW)) == pytest.approx(14.0)


def test_stale_counts_are_left_out_and_the_floor_is_not_reporting() -> None:
    aps = {ap.id: ap for ap in APS}
    counts = [ApCount("ap-1", 40, 0, NOW), ApCount("ap-2", 10, 0, NOW - timedelta(hours=1))]
    result = estimate(
        counts, aps, zone_shares(ZONES, APS), {z.id: z.floor for z in ZONES}, Estimator(), NOW
    )
    assert result.zones == {"a": 30.0, "b": 10.0, "c": 0.0}
    assert result.floors == {"f1": 40.0} and result.reporting == frozenset()


def test_under_five_is_never_shown() -> None:
    assert [shown(p) for p in (0, 4.4, 4.6, 5, 12.2)] == [None, None, 5, 5, 12]


def test_one_hidden_zone_cannot_be_recovered_by_subtracting_from_the_floor() -> None:
    assert suppress_zones({"a": 3, "b": 9, "c": 20}, floor_total=32) == {
        "a": None,
        "b": None,
        "c": 20,
    }
    # No floor total shown: nothing to subtract from.
    assert suppress_zones({"a": 3, "b": 9}, floor_total=None) == {"a": None, "b": 9}
    # Two hidden zones of 2 and 1: the floor minus the shown zone would give a group of 3.
    assert suppress_zones({"a": 2, "b": 1, "c": 30}, floor_total=33) == dict.fromkeys("abc")
    # Hidden zones that together hold 5 or more may stay hidden alone.
    assert suppress_zones({"a": 3, "b": 3, "c": 30}, floor_total=36) == {
        "a": None,
        "b": None,
        "c": 30,
    }


def test_no_subtraction_of_shown_figures_gives_a_group_under_five() -> None:
    cases = [
        ({"a": 4.0, "b": 0.0, "c": 12.0, "d": 9.0}, 25),
        ({"a": 1.0, "b": 2.0, "c": 6.0, "d": 40.0}, 49),
        ({"a": 0.0, "b": 0.0, "c": 0.0, "d": 7.0}, 7),
        ({"a": 4.4, "b": 4.4, "c": 5.0}, 14),
    ]
    for zones, total in cases:
        figures = suppress_zones(zones, total)
        hidden_sum = total - sum(v for v in figures.values() if v is not None)
        assert all(v is None or v >= 5 for v in figures.values())
        if any(v is None for v in figures.values()):
            assert hidden_sum >= 5, (zones, figures)
