"""The paperless KPI without I/O: meetings, not sessions; casts; attendees capped; small groups."""

from datetime import UTC, datetime, timedelta

from server.domain.meetings import RoomStatus, used_since
from server.domain.paperless import (
    CastSpan,
    HeldBooking,
    Meeting,
    RoomSignal,
    SessionFacts,
    cast_spans,
    meetings_of,
    paperless_report,
)
from server.domain.small_groups import Groups

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
GRACE = timedelta(minutes=15)
ROOM = "room-1"
SEATS = {ROOM: 6}
BIG = Groups({"hr": 40, "tax": 40, "tiny": 3})


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def booking(booking_id: int = 1, dept: str = "hr", status: str = "booked") -> HeldBooking:
    return HeldBooking(booking_id, ROOM, dept, minutes(0), minutes(90), status)


def session(
    sid: int,
    start: float,
    end: float,
    *,
    booking_id: int | None = None,
    dept: str = "hr",
    pages: int = 0,
    viewers: int = 0,
    reason: str = "casting stopped and the room was empty for 10 min",
) -> SessionFacts:
    return SessionFacts(
        sid,
        ROOM,
        booking_id,
        dept,
        minutes(start),
        minutes(end),
        reason,
        pages,
        frozenset(f"viewer-{sid}-{n}" for n in range(viewers)),
    )


def held(
    bookings: list[HeldBooking], sessions: list[SessionFacts], casts: list[CastSpan]
) -> list[Meeting]:
    return meetings_of(bookings, sessions, casts, SEATS, judged_before=minutes(600), grace=GRACE)


def test_a_break_and_a_re_pairing_inside_one_booking_are_one_paperless_meeting() -> None:
    # The session ended by itself in a break; the host paired again: one meeting, not a
    # paperless one and a paper one (the department stays at 100 %, not 50 %).
    sessions = [
        session(1, 0, 50, booking_id=1),
        session(2, 60, 90, booking_id=1, pages=6, viewers=4, reason="ended by the host"),
    ]
    meetings = held([booking()], sessions, [])
    assert len(meetings) == 1 and meetings[0].paperless and meetings[0].sessions == 2
    report = paperless_report("2026-11", meetings, BIG)
    assert report.departments[0].share == 1.0 and report.headline_share == 1.0


def test_unbooked_re_pairings_merge_after_a_break_but_not_after_end_meeting() -> None:
    broke = [session(1, 0, 40), session(2, 50, 80, pages=3)]
    assert len(held([], broke, [])) == 1
    ended = [session(1, 0, 40, reason="ended by the host"), session(2, 50, 80, pages=3)]
    assert len(held([], ended, [])) == 2
    other_department = [session(1, 0, 40), session(2, 50, 80, dept="tax")]
    assert len(held([], other_department, [])) == 2
    too_late = [session(1, 0, 40), session(2, 75, 90)]
    assert len(held([], too_late, [])) == 2


def test_a_cast_without_a_session_makes_the_booked_meeting_paperless() -> None:
    casts = cast_spans(
        [RoomSignal(ROOM, minutes(5), "cast", True), RoomSignal(ROOM, minutes(80), "cast", False)],
        minutes(600),
    )
    assert casts == [CastSpan(ROOM, minutes(5), minutes(80))]
    (meeting,) = held([booking()], [], casts)
    assert meeting.paperless and meeting.cast and meeting.pages_not_printed == 0
    (paper,) = held([booking()], [], [])
    assert not paper.paperless


def test_a_cast_into_a_room_reported_empty_does_not_count() -> None:
    signals = [
        RoomSignal(ROOM, minutes(-30), "occupancy", False),
        RoomSignal(ROOM, minutes(5), "cast", True),
        RoomSignal(ROOM, minutes(20), "occupancy", True),
        RoomSignal(ROOM, minutes(30), "occupancy", False),
    ]
    assert cast_spans(signals, minutes(600)) == [CastSpan(ROOM, minutes(20), minutes(30))]


def test_reloading_the_attendee_link_adds_no_copies_beyond_the_room() -> None:
    # Issue 19: 20 cookie-less loads of a 6-page PDF in a 6-seat room gave 168 pages.
    (meeting,) = held([booking()], [session(1, 0, 90, booking_id=1, pages=6, viewers=20)], [])
    assert meeting.attendees == 6 and meeting.pages_not_printed == 36
    (alone,) = held([booking()], [session(1, 0, 90, booking_id=1, pages=6)], [])
    assert alone.pages_not_printed == 6  # nobody opened it: the host's copy


def test_released_cancelled_and_ungraced_bookings_are_no_meetings() -> None:
    bookings = [booking(1, status="released"), booking(2, status="cancelled")]
    assert held(bookings, [], []) == []
    early = meetings_of([booking()], [], [], SEATS, judged_before=minutes(10), grace=GRACE)
    assert early == []  # within its grace it may still be released as a no-show
    started = [session(1, 0, 5, booking_id=1, pages=2, reason="ended by the host")]
    (held_early,) = meetings_of(
        [booking()], started, [], SEATS, judged_before=minutes(10), grace=GRACE
    )
    assert held_early.paperless  # a session ran in it: it cannot be a no-show any more


def test_small_departments_are_hidden_and_left_out_of_every_total() -> None:
    meetings = held(
        [booking(1, "hr"), booking(2, "tiny")],
        [session(1, 0, 90, booking_id=1, pages=2), session(2, 0, 90, booking_id=2, pages=9)],
        [],
    )
    report = paperless_report("2026-11", meetings, BIG)
    tiny = next(d for d in report.departments if d.department == "tiny")
    assert tiny.suppressed and tiny.meetings is None and tiny.pages_not_printed is None
    # Totals are those of the shown departments only: nothing to subtract "tiny" out of.
    assert (report.meetings, report.pages_not_printed) == (1, 2)
    assert report.departments_with_meetings == 1 and report.headline_share == 1.0
    assert Groups({"hr": 4}).hidden_zones({"z1": "hr", "z2": None}) == frozenset({"z1"})


def test_a_room_used_after_the_booking_began_keeps_it() -> None:
    start = minutes(0)
    empty_before = RoomStatus(ROOM, occupied=False, occupancy_changed_at=minutes(-5))
    assert not used_since(empty_before, start)
    emptied_after = RoomStatus(ROOM, occupied=False, occupancy_changed_at=minutes(30))
    assert used_since(emptied_after, start)  # the meeting happened and is over
    cast_no_sensor = RoomStatus(ROOM, casting=True, cast_changed_at=minutes(2))
    assert used_since(cast_no_sensor, start)
    cast_ended = RoomStatus(ROOM, casting=False, cast_changed_at=minutes(25))
    assert used_since(cast_ended, start)
    cast_into_empty = RoomStatus(
        ROOM,
        casting=True,
        cast_changed_at=minutes(2),
        occupied=False,
        occupancy_changed_at=minutes(-5),
    )
    assert not used_since(cast_into_empty, start)
