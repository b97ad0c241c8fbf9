"""The seat policy: needs, team zone, consolidation, nearness, anti-fixation, rotation."""

from datetime import UTC, date, datetime, timedelta

from server.domain.occupancy import DeskReason
from server.domain.refusals import Refusal, RefusalCode
from server.domain.seat_holds import Hold, release_due
from server.domain.seat_policy import (
    DeskOption,
    Reason,
    SatAt,
    SeatRules,
    Seeker,
    Spot,
    check_claim,
    rotation_by_department,
    suggest,
)


def desk(
    desk_id: str, zone: str, department: str | None, x: float = 0, *equipment: str
) -> DeskOption:
    return DeskOption(desk_id, "f3", zone, department, frozenset(equipment), x, 0)


TAX_1 = desk("tax-1", "z-tax", "tax", 1)
TAX_2 = desk("tax-2", "z-tax", "tax", 2)
PARKS_1 = desk("parks-1", "z-parks", "parks", 30)
EMPTY_1 = desk("empty-1", "z-empty", None, 60)
ACCESSIBLE = desk("parks-acc", "z-parks", "parks", 31, "accessible")
DUAL = desk("parks-dual", "z-parks", "parks", 32, "dual-monitor")
ALL = [TAX_1, TAX_2, PARKS_1, EMPTY_1, ACCESSIBLE, DUAL]


def ranked(
    seeker: Seeker, rules: SeatRules | None = None, options: list[DeskOption] = ALL
) -> list[str]:
    return [s.desk for s in suggest(seeker, options, rules or SeatRules(), limit=10)]


def test_team_zone_first_then_the_rest() -> None:
    order = ranked(Seeker("s1", "tax"))
    assert set(order[:2]) == {"tax-1", "tax-2"}
    assert order[-1] == "parks-acc", "an accessible desk goes last to who does not need it"
    top = suggest(Seeker("s1", "tax"), ALL, SeatRules(), limit=1)[0]
    assert [r.code for r in top.reasons] == ["team_zone"]


def test_the_team_zone_wherever_it_is_then_desks_near_the_team() -> None:
    upstairs = DeskOption("tax-7", "f7", "z-tax-7", "tax", frozenset(), 5, 0)
    beside = DeskOption("f7-other", "f7", "z-parks-7", "parks", frozenset(), 9, 0)
    seeker = Seeker("s1", "tax", team_floors=frozenset({"f3", "f7"}))
    order = ranked(seeker, options=[EMPTY_1, beside, upstairs, PARKS_1])
    assert order[0] == "tax-7", "the team zone first, even on another floor"
    assert set(order[1:]) == {"f7-other", "empty-1", "parks-1"}, "then the team's floors"
    near_team = suggest(seeker, [beside], SeatRules())[0].reasons
    assert near_team == (Reason("team_floor", {"zone": "z-parks-7", "floor": "f7"}),)
    elsewhere = Seeker("s1", "tax", team_floors=frozenset({"f7"}))
    assert ranked(elsewhere, options=[PARKS_1, beside])[0] == "f7-other"


def test_accessibility_is_never_traded_away_and_other_needs_rank_first() -> None:
    assert ranked(Seeker("s1", "tax", frozenset({"accessible"}))) == ["parks-acc"]
    dual = suggest(Seeker("s2", "tax", frozenset({"dual-monitor"})), ALL, SeatRules(), limit=10)
    assert dual[0].desk == "parks-dual", "a need met beats the team zone"
    assert dual[0].reasons[0] == Reason("needs", {"equipment": ("dual-monitor",)})
    assert dual[1].reasons[0].code == "needs_missing"


def test_consolidation_fills_zones_in_the_site_order() -> None:
    rules = SeatRules(consolidate_zones=True, zone_rank={"z-empty": 0, "z-parks": 1, "z-tax": 2})
    order = ranked(Seeker("s1", None), rules)
    assert order[0] == "empty-1"
    assert order[1:3] in (["parks-1", "parks-dual"], ["parks-dual", "parks-1"])
    first = suggest(Seeker("s1", None), ALL, rules, limit=1)[0]
    assert first.reasons[0] == Reason("consolidation", {"zone": "z-empty", "floor": "f3"})
    later = suggest(Seeker("s1", None), [PARKS_1], rules, limit=1)[0]
    assert later.reasons == (Reason("free_here", {"zone": "z-parks", "floor": "f3"}),), (
        "a later zone of the fill order is no reason a person can use: only where it is"
    )
    # The team zone still comes before the fill order.
    assert ranked(Seeker("s2", "tax"), rules)[:2] in (["tax-1", "tax-2"], ["tax-2", "tax-1"])


def test_nearness_counts_only_when_shared() -> None:
    near_parks = Spot("f3", 40, 0)
    order = ranked(Seeker("s1", None, near=near_parks))
    assert order[:2] == ["parks-dual", "parks-1"]
    assert Reason("nearby", {"metres": 10}) in (
        suggest(Seeker("s1", None, near=near_parks), [PARKS_1], SeatRules())[0].reasons
    )
    other_floor = ranked(Seeker("s1", None, near=Spot("f9", 40, 0)))
    assert set(other_floor) == set(ranked(Seeker("s1", None)))


def test_people_arriving_together_are_spread_over_equal_desks() -> None:
    firsts = {ranked(Seeker(f"s{n}", "tax", day=date(2026, 11, 30)))[0] for n in range(20)}
    assert firsts == {"tax-1", "tax-2"}
    same = {ranked(Seeker("s1", "tax", day=date(2026, 11, 30)))[0] for _ in range(5)}
    assert len(same) == 1, "one person gets the same answer all day"


def test_anti_fixation_leaves_out_a_desk_used_n_working_days_in_a_row() -> None:
    rules = SeatRules(max_same_desk_days=3)
    streak = Seeker("s1", "tax", recent_desks=("tax-1", "tax-1", "tax-1"))
    assert "tax-1" not in ranked(streak, rules)
    assert check_claim(streak, "tax-1", rules) == Refusal(
        RefusalCode.ANTI_FIXATION, desk="tax-1", days=3, max_days=3
    )
    broken = Seeker("s1", "tax", recent_desks=("tax-1", "tax-2", "tax-1"))
    assert check_claim(broken, "tax-1", rules) is None
    two = suggest(Seeker("s1", "tax", recent_desks=("tax-1", "tax-1")), [TAX_1], rules)
    assert [r.code for r in two[0].reasons] == ["team_zone", "familiar"]


def test_rotation_per_department_and_small_groups_are_suppressed() -> None:
    d1, d2, d3 = date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 1)
    days = []
    for n in range(5):  # five tax people, three days: two keep their desk, three move daily
        for day_index, day in enumerate((d1, d2, d3)):
            keep = n < 2
            days.append(SatAt("tax", f"t{n}", day, f"d{n}" if keep else f"d{n}-{day_index}"))
    days.append(SatAt("parks", "p1", d1, "x"))
    days.append(SatAt("parks", "p1", d2, "x"))
    tax, parks = rotation_by_department(days)[::-1]
    assert (tax.department, tax.people, tax.working_days) == ("tax", 5, 15)
    assert tax.same_desk_as_before == 4  # 2 people x 2 repeated days
    assert tax.rotation == 1 - 4 / 10
    assert tax.longest_streak == 3
    assert (parks.department, parks.rotation, parks.longest_streak) == ("parks", None, None)


def test_release_due_no_show_after_grace_and_everything_at_day_end() -> None:
    claimed = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    hold = Hold(1, "tax-1", "s1", date(2026, 11, 30), claimed)
    grace, end = timedelta(minutes=30), datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    assert release_due(hold, claimed + timedelta(minutes=29), grace, end) is None
    assert release_due(hold, claimed + grace, grace, end) is DeskReason.NO_SHOW
    arrived = Hold(1, "tax-1", "s1", date(2026, 11, 30), claimed, claimed, "qr")
    assert release_due(arrived, claimed + timedelta(hours=5), grace, end) is None
    assert release_due(arrived, end, grace, end) is DeskReason.END_OF_DAY


def test_crowded_zones_come_after_quiet_ones_but_never_before_the_team_zone() -> None:
    visitor = Seeker("s-9", None, day=date(2026, 11, 30))
    options = [PARKS_1, EMPTY_1]
    # The quiet zone first, whichever it is; the busy one says why it comes later.
    for quiet, crowded in (("empty-1", "parks-1"), ("parks-1", "empty-1")):
        busy = {"z-parks": 0.9 if crowded == "parks-1" else 0.0}
        busy["z-empty"] = 0.9 if crowded == "empty-1" else 0.0
        found = suggest(visitor, options, SeatRules(), limit=2, busy=busy)
        assert [s.desk for s in found] == [quiet, crowded]
        assert "busy_zone" not in [r.code for r in found[0].reasons]
        assert "busy_zone" in [r.code for r in found[1].reasons]
    unmeasured = suggest(visitor, options, SeatRules(), limit=2)
    assert not any(r.code == "busy_zone" for s in unmeasured for r in s.reasons)
    # A crowded team zone still beats a quiet stranger's zone.
    taxman = Seeker("s-1", "tax", day=date(2026, 11, 30))
    crowded_team = suggest(
        taxman, [TAX_1, EMPTY_1], SeatRules(), limit=2, busy={"z-tax": 1.0, "z-empty": 0.0}
    )
    assert [s.desk for s in crowded_team] == ["tax-1", "empty-1"]
