"""The rooms service on a real database: the room sensor keeps a booking, paper meetings count."""

from datetime import UTC, datetime, timedelta

from contracts import RoomOccupancyChanged
from server.adapters.database import make_engine, upgrade
from server.adapters.meeting_history import SqlMeetingHistory
from server.adapters.repository import SqlStore
from server.adapters.room_repository import SqlRoomStore
from server.domain.small_groups import Groups
from server.services.meeting_figures import MeetingFigures
from server.services.room_directory import Actor
from server.services.rooms import RoomService
from tests.fakes import FakeClock
from tests.room_support import MONITOR, ROOM, room_site

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
HOST = Actor("s00005", "Abe Shota", "hr", "staff")


def test_an_occupied_room_keeps_its_booking_and_it_counts_as_a_meeting_on_paper(
    database_url: str,
) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        clock = FakeClock(T0)
        rooms = SqlRoomStore(engine)
        rooms.ensure_secret()
        service = RoomService(room_site(), rooms, clock)
        held = service.bookings.book(
            HOST, ROOM, "Paper meeting", T0 + timedelta(minutes=5), T0 + timedelta(hours=1)
        )[0]
        later = service.bookings.book(
            HOST, ROOM, "Later", T0 + timedelta(hours=2), T0 + timedelta(hours=3)
        )[0]
        with SqlStore(engine).transaction() as tx:
            event = RoomOccupancyChanged(
                device=MONITOR, epoch=1, seq=1, at=T0, room=ROOM, occupied=True
            )
            assert service.rejects(MONITOR, event) is None
            assert service.rejects("display-f2-1", event) is not None
            service.apply_event(tx, event, T0)
        clock.set(T0 + timedelta(minutes=25))
        assert service.jobs.run_due(clock.now()).released == []  # someone is in the room
        clock.set(T0 + timedelta(hours=2, minutes=5))  # the later one is within its grace
        outcome = service.jobs.run_due(clock.now())
        assert outcome.released == []
        figures = MeetingFigures(
            rooms,
            SqlMeetingHistory(engine),
            clock,
            service.directory.zone,
            {ROOM: 6},
            service.rules,
            lambda: Groups({"hr": 48}),
        )
        report = figures.paperless("2026-11")
        assert [(d.department, d.meetings, d.paperless_meetings) for d in report.departments] == [
            ("hr", 1, 0)
        ]
        assert report.headline_share == 0.0
        assert {b.id for b in service.bookings.between(ROOM, T0, T0 + timedelta(hours=4))} == {
            held.id,
            later.id,
        }
    finally:
        engine.dispose()
