"""Station hashing and the agent's station table: daily keys, randomised flags, no MAC kept."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from edge_agent.ap_agent import StationTable
from edge_agent.ap_sources.association import Association
from edge_agent.station_hash import (
    MAC_IN_TEXT,
    StationHasher,
    is_randomised,
    normalise_mac,
    redact,
)

# 09:00 in Tokyo; local midnight is 15:00 UTC.
MORNING = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
LAPTOP = "3c:22:fb:12:34:56"
PHONE = "da:a1:19:00:00:01"  # locally administered: a randomised address


@pytest.mark.parametrize(
    "spelling",
    ["3c:22:fb:12:34:56", "3C-22-FB-12-34-56", "3c22.fb12.3456", "3c22-fb12-3456", "3C22FB123456"],
)
def test_every_common_spelling_normalises_to_one_form(spelling: str) -> None:
    assert normalise_mac(spelling) == LAPTOP


@pytest.mark.parametrize(
    "text", ["3c:22:fb:12:34", "3c:22-fb:12:34:56", "zz:22:fb:12:34:56", "ff:ff:ff:ff:ff:ff", ""]
)
def test_what_is_not_a_station_address_is_refused(text: str) -> None:
    assert normalise_mac(text) is None


def test_randomised_addresses_are_flagged() -> None:
    assert is_randomised(PHONE) and not is_randomised(LAPTOP)


def test_redact_hides_every_mac_shape_in_free_text() -> None:
    line = "STA 3C:22:FB:12:34:56 via 3c22.fb12.3456 and 3c22fb123456 at 069c-3abe-1ac0 ok"
    assert redact(line) == "STA <mac> via <mac> and <mac> at <mac> ok"
    assert not MAC_IN_TEXT.search(redact(line))


def test_the_same_station_hashes_alike_within_a_local_day_and_differently_the_next() -> None:
    hasher = StationHasher("Asia/Tokyo")
    first = hasher.station(LAPTOP, MORNING)
    assert hasher.station(LAPTOP, MORNING + timedelta(hours=14)) == first  # 23:00 Tokyo
    next_day = hasher.station(LAPTOP, MORNING + timedelta(hours=15))  # 00:00 Tokyo
    assert next_day.token != first.token
    assert hasher.previous(LAPTOP) == first  # only to match a leave after midnight


def test_two_agents_never_produce_linkable_hashes() -> None:
    one, two = StationHasher(), StationHasher()
    assert one.station(LAPTOP, MORNING).token != two.station(LAPTOP, MORNING).token


def test_a_hash_is_not_hex_and_does_not_contain_the_address() -> None:
    token = StationHasher().station(LAPTOP, MORNING).token
    assert not re.fullmatch(r"[0-9a-f]+", token)
    assert "3c22fb123456" not in token and not MAC_IN_TEXT.search(token)


def table(idle_h: float = 8) -> StationTable:
    return StationTable(StationHasher("Asia/Tokyo"), timedelta(hours=idle_h))


def test_joins_and_leaves_count_distinct_stations_and_randomised_ones() -> None:
    t = table()
    assert t.observe(Association(LAPTOP, True), MORNING)
    assert not t.observe(Association(LAPTOP, True), MORNING)  # reassociation: same station
    assert t.observe(Association(PHONE, True), MORNING)
    assert t.counts() == (2, 1)
    assert t.observe(Association(LAPTOP, False), MORNING)
    assert not t.observe(Association(LAPTOP, False), MORNING)  # a second leave changes nothing
    assert t.counts() == (1, 1)


def test_a_station_that_joined_before_midnight_still_leaves_after_it() -> None:
    t = table(idle_h=24)
    t.observe(Association(LAPTOP, True), MORNING + timedelta(hours=14))  # 23:00 Tokyo
    assert t.observe(Association(LAPTOP, False), MORNING + timedelta(hours=16))  # 01:00
    assert t.counts() == (0, 0)


def test_idle_stations_expire_and_a_reset_forgets_everyone() -> None:
    t = table(idle_h=1)
    t.observe(Association(LAPTOP, True), MORNING)
    t.observe(Association(PHONE, True), MORNING + timedelta(minutes=50))
    assert t.expire(MORNING + timedelta(minutes=61))
    assert t.counts() == (1, 1)
    assert t.reset() and t.counts() == (0, 0)
