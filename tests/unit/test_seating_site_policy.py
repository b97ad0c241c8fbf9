"""A site's seating policy: defaults, and mistakes named with file, line and what to write."""

import pytest

from firmware_config.loader import SiteError, parse_site
from firmware_config.paths import demo_site_path
from server.services.seating_site import SeatingSite

DEMO = demo_site_path().read_text(encoding="utf-8")
POLICY = (
    "policy: {no_show_grace_min: 30, max_same_desk_days: 3, consolidate_zones: true,\n"
    '         away_limit_min: 90, away_action: release, working_hours: "08:30-17:15"}'
)


def with_policy(policy: str) -> str:
    assert POLICY in DEMO
    return DEMO.replace(POLICY, policy)


def test_the_policy_becomes_the_seating_rules() -> None:
    site = parse_site(
        with_policy(
            "policy: {no_show_grace_min: 15, max_same_desk_days: 2, consolidate_zones: true,"
            ' zone_order: [f5-b, f5-a], end_of_day: "19:30"}'
        ),
        "cityhall.yaml",
    )
    rules = SeatingSite.of(site)
    assert rules.grace.total_seconds() == 15 * 60
    assert rules.rules.max_same_desk_days == 2
    assert (rules.rules.zone_rank["f5-b"], rules.rules.zone_rank["f5-a"]) == (0, 1)
    assert rules.rules.zone_rank["f2-a"] == 2, "zones not listed follow in file order"
    assert rules.end_of_day.isoformat() == "19:30:00"
    assert str(rules.zone) == "Asia/Tokyo"
    # Away too long: two hours and flagged unless the site says otherwise.
    assert rules.away_limit.total_seconds() == 2 * 3600 and not rules.away_release
    demo = SeatingSite.of(parse_site(DEMO, "cityhall.yaml"))
    assert demo.away_limit.total_seconds() == 90 * 60 and demo.away_release


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("policy: {no_show_grace_min: 5}", "policy.no_show_grace_min: expected a number ≥ 10"),
        ("policy: {no_show_grace_min: 90}", "policy.no_show_grace_min: expected a number ≤ 60"),
        (
            "policy: {zone_order: [f5-b, nowhere]}",
            "policy.zone_order[1]: unknown zone 'nowhere': zone_order lists zones",
        ),
        (
            "policy: {end_of_day: '24:00'}",
            'policy.end_of_day: expected a local time as "HH:MM" (00:00 to 23:59), quoted',
        ),
        ("policy: {end_of_day: 19:30}", 'quote it: "19:30"'),
        ("policy: {max_same_desk_days: 0}", "policy.max_same_desk_days: expected a number ≥ 1"),
        ("policy: {away_action: forget}", "policy.away_action: expected 'release' or 'flag'"),
        (
            "policy: {working_hours: '8:30-17:15'}",
            'policy.working_hours: expected local hours as "HH:MM-HH:MM", e.g. "08:30-17:15"',
        ),
        ("policy: {working_hours: '18:00-09:00'}", "must end after they start"),
    ],
)
def test_a_policy_mistake_names_the_place_and_what_to_write(policy: str, message: str) -> None:
    with pytest.raises(SiteError) as caught:
        parse_site(with_policy(policy), "cityhall.yaml")
    assert caught.value.problems[0].file == "cityhall.yaml"
    assert caught.value.problems[0].line == 8
    assert message in str(caught.value)
