"""The desk state machine: every state, walk-ins, and why each transition happened.

Reasons are kinds that never name anyone; whom a change was about is the transition's person.
"""

from datetime import UTC, datetime, timedelta

from server.domain.occupancy import (
    DeskReason,
    DeskState,
    DeskStatus,
    DeskTransition,
    assign,
    check_in,
    lost_contact,
    release,
    sensed,
)
from server.domain.refusals import Refusal, RefusalCode
from server.domain.sequencing import Position, ReadingOrigin

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def new_desk() -> DeskStatus:
    return DeskStatus("desk-1", "f1", DeskState.UNKNOWN, T0, DeskReason.NO_REPORT)


def step(result: DeskTransition | Refusal | None) -> DeskStatus:
    assert isinstance(result, DeskTransition), result
    return result.after


def test_a_desk_never_heard_from_is_unknown_until_its_sensor_reports() -> None:
    desk = new_desk()
    assert desk.state is DeskState.UNKNOWN
    desk = step(sensed(desk, False, at(1)))
    assert (desk.state, desk.reason, desk.since) == (
        DeskState.FREE,
        DeskReason.NOBODY_PRESENT,
        at(1),
    )


def test_walk_in_is_occupied_with_nobody_holding_it() -> None:
    desk = step(sensed(new_desk(), False, at(0)))
    desk = step(sensed(desk, True, at(5)))
    assert desk.state is DeskState.OCCUPIED and desk.walk_in
    assert desk.reason is DeskReason.WALK_IN


def test_held_then_arrival_then_away_then_back_then_release() -> None:
    desk = step(sensed(new_desk(), False, at(0)))
    held = assign(desk, "s00042", at(1))
    desk = step(held)
    assert (desk.state, desk.reason, desk.holder) == (DeskState.HELD, DeskReason.HELD, "s00042")
    assert isinstance(held, DeskTransition) and held.person == "s00042"
    desk = step(sensed(desk, True, at(12)))  # the sensor sees the holder arrive
    assert desk.state is DeskState.OCCUPIED and not desk.walk_in and desk.checked_in
    assert desk.reason is DeskReason.PRESENT
    desk = step(sensed(desk, False, at(60)))
    assert (desk.state, desk.reason) == (DeskState.AWAY, DeskReason.STEPPED_AWAY)
    desk = step(sensed(desk, True, at(70)))
    assert desk.state is DeskState.OCCUPIED
    desk = step(sensed(desk, False, at(300)))
    released = release(desk, at(301), DeskReason.RELEASED_BY_HAND)
    desk = step(released)
    assert (desk.state, desk.reason, desk.holder) == (
        DeskState.FREE,
        DeskReason.RELEASED_BY_HAND,
        None,
    )
    # The hold has ended, but history still knows whose it was (kept apart from the reason).
    assert isinstance(released, DeskTransition) and released.person == "s00042"


def test_qr_check_in_before_the_sensor_sees_anyone_makes_the_desk_away_not_held() -> None:
    desk = step(assign(step(sensed(new_desk(), False, at(0))), "s1", at(1)))
    desk = step(check_in(desk, "s1", at(2), "qr"))
    assert (desk.state, desk.reason) == (DeskState.AWAY, DeskReason.CHECKED_IN_QR)
    assert check_in(desk, "s1", at(3), "qr") == Refusal(
        RefusalCode.ALREADY_CHECKED_IN, desk="desk-1"
    )
    assert check_in(desk, "s2", at(3), "qr") == Refusal(RefusalCode.NOT_HOLDER, desk="desk-1")


def test_no_show_release_records_its_reason() -> None:
    desk = step(assign(step(sensed(new_desk(), False, at(0))), "s1", at(1)))
    desk = step(release(desk, at(31), DeskReason.NO_SHOW))
    assert (desk.state, desk.reason) == (DeskState.FREE, DeskReason.NO_SHOW)


def test_an_occupied_or_held_desk_cannot_be_assigned() -> None:
    taken = step(sensed(new_desk(), True, at(0)))
    assert assign(taken, "s1", at(1)) == Refusal(RefusalCode.DESK_TAKEN, desk="desk-1")
    held = step(assign(step(sensed(new_desk(), False, at(0))), "s1", at(1)))
    assert assign(held, "s2", at(2)) == Refusal(RefusalCode.DESK_HELD, desk="desk-1")


def test_offline_sensor_makes_even_a_held_desk_unknown_and_keeps_the_hold() -> None:
    desk = step(assign(step(sensed(new_desk(), False, at(0))), "s1", at(1)))
    desk = step(lost_contact(desk, at(20), DeskReason.SENSOR_OFFLINE))
    assert (desk.state, desk.holder) == (DeskState.UNKNOWN, "s1")
    assert lost_contact(desk, at(21), DeskReason.SENSOR_SILENT) is None
    desk = step(sensed(desk, False, at(25)))
    assert desk.state is DeskState.HELD


def test_a_silent_free_desk_becomes_unknown_never_stays_free() -> None:
    desk = step(sensed(new_desk(), False, at(0)))
    desk = step(lost_contact(desk, at(40), DeskReason.SENSOR_SILENT))
    assert (desk.state, desk.reason, desk.since) == (
        DeskState.UNKNOWN,
        DeskReason.SENSOR_SILENT,
        at(40),
    )


def test_blocked_ignores_readings_for_display_but_remembers_them() -> None:
    desk = DeskStatus(
        "desk-1",
        "f1",
        DeskState.BLOCKED,
        at(1),
        DeskReason.NO_REPORT,
        blocked="chair broken",
    )
    assert assign(desk, "s1", at(2)) == Refusal(
        RefusalCode.DESK_OUT_OF_SERVICE, desk="desk-1", why="chair broken"
    )
    desk = step(sensed(desk, True, at(3)))
    assert desk.state is DeskState.BLOCKED and desk.since == at(1) and desk.present


def test_a_repeated_reading_changes_nothing_but_a_newer_reading_is_remembered() -> None:
    desk = step(sensed(new_desk(), True, at(0), ReadingOrigin("gw", Position(1, 1))))
    assert sensed(desk, True, at(1)) is None
    moved = sensed(desk, True, at(1), ReadingOrigin("gw", Position(1, 2)))
    assert moved is not None and not moved.visible and moved.after.since == at(0)


def test_no_reason_kind_can_name_a_person() -> None:
    # Kinds are a closed set of words: a staff id can only ever reach history's person column.
    assert all(kind.value.replace("_", "").isalpha() for kind in DeskReason)
    assert DeskReason.checked_in_by("qr") is DeskReason.CHECKED_IN_QR
    assert DeskReason.checked_in_by("desk sensor") is DeskReason.CHECKED_IN


def test_every_reason_kind_has_words_in_japanese_and_english() -> None:
    from server.api.refusals import catalogue

    for lang in ("en", "ja"):
        missing = [k.value for k in DeskReason if f"deskReason.{k.value}" not in catalogue(lang)]
        assert not missing, f"dashboard/i18n/{lang}.json lacks deskReason words for {missing}"
