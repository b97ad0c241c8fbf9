"""Room calendars both ways against a real Radicale: freeseat bookings appear in the room's
calendar (a series as one RRULE event), events from a calendar app become bookings, moves and
cancellations go both ways, and a clash is declined in the calendar and shown to its host."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from server.api.app import create_app
from server.directory_settings import CaldavSettings
from server.domain.people import Person, Role
from server.settings import Settings
from tests.directory.servers import Radicale
from tests.directory.support import CalendarClient
from tests.fakes import FakeClock
from tests.seating_support import seed_people
from tests.signin import sign_in
from tests.support import ServerThread, small_site

ROOM = "room-f1-1"
# 09:00 on 30 November in Tokyo, the small site's time zone.
NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
PEOPLE = [
    Person("tanaka", "Tanaka Yui", "tax", email="tanaka@cityhall.example"),
    Person("sato", "Sato Ken", "welfare", email="Sato@CityHall.example"),
    Person("fac", "Facilities", None, Role.FACILITIES),
]


@dataclass
class Rooms:
    server: ServerThread
    app: CalendarClient

    @contextmanager
    def client(self, staff_id: str) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.server.url) as client:
            sign_in(client, staff_id)
            yield client

    def sync(self) -> dict[str, int]:
        with self.client("fac") as facilities:
            response = facilities.post(f"/api/rooms/{ROOM}/calendar/sync")
            assert response.status_code == 200, response.text
            report: dict[str, int] = response.json()
            return report

    def book(
        self, title: str, day: str, start: str, end: str, weekly: int = 1
    ) -> list[dict[str, object]]:
        """Tanaka books the room in freeseat (times in Tokyo, e.g. day 2026-12-01, 10:00)."""
        with self.client("tanaka") as tanaka:
            made = tanaka.post(
                f"/api/rooms/{ROOM}/bookings",
                json={
                    "title": title,
                    "starts_at": f"{day}T{start}:00+09:00",
                    "ends_at": f"{day}T{end}:00+09:00",
                    "weekly": weekly,
                },
            )
            assert made.status_code == 201, made.text
            booked: list[dict[str, object]] = made.json()
            return booked

    def bookings(self) -> list[dict[str, object]]:
        with self.client("fac") as facilities:
            found: list[dict[str, object]] = facilities.get(
                f"/api/rooms/{ROOM}/bookings",
                params={"from": "2026-11-29T00:00:00Z", "to": "2027-02-01T00:00:00Z"},
            ).json()
            return found


@pytest.fixture
def rooms(database_url: str, radicale: Radicale) -> Iterator[Rooms]:
    seed_people(database_url, PEOPLE)
    calendar = f"{radicale.url}/freeseat/{uuid.uuid4().hex[:8]}-{ROOM}/"
    settings = Settings(
        database_url=database_url,
        enable_mqtt=False,
        demo_mode=True,
        sweep_interval_s=3600,  # the tests sync on demand
        caldav=CaldavSettings(
            calendars={ROOM: calendar},
            username="freeseat",
            password=Radicale.USERS["freeseat"],
            sync_interval_s=3600,
        ),
    )
    app = create_app(settings, clock=FakeClock(NOW), site=small_site())
    with ServerThread(app) as server:
        it = CalendarClient(calendar, "freeseat", Radicale.USERS["freeseat"])
        it.make_calendar()
        it.close()
        client = CalendarClient(calendar, "tanaka", Radicale.USERS["tanaka"])
        yield Rooms(server, client)
        client.close()


def test_bookings_made_in_freeseat_appear_move_and_go_in_the_room_calendar(
    rooms: Rooms,
) -> None:
    single = rooms.book("Budget review", "2026-12-01", "10:00", "11:00")[0]
    series = rooms.book("Weekly stand-up", "2026-12-02", "14:00", "14:30", weekly=3)
    assert rooms.sync()["created_events"] == 2
    events = {e["SUMMARY"]: e for e in rooms.app.events().values()}
    assert events["Budget review"]["DTSTART"] == "20261201T010000Z"
    assert events["Budget review"]["ORGANIZER"].endswith("urn:freeseat:host")
    assert events["Weekly stand-up"]["RRULE"] == "FREQ=WEEKLY;COUNT=3"
    assert rooms.sync() == dict.fromkeys(rooms.sync(), 0) | {"room": ROOM}  # nothing new

    with rooms.client("tanaka") as tanaka:
        moved = tanaka.patch(
            f"/api/bookings/{single['id']}",
            json={"starts_at": "2026-12-01T13:00:00+09:00", "ends_at": "2026-12-01T14:30:00+09:00"},
        )
        assert moved.status_code == 200, moved.text
        assert tanaka.delete(f"/api/bookings/{series[1]['id']}").status_code == 200
    assert rooms.sync()["updated_events"] == 2
    events = {e["SUMMARY"]: e for e in rooms.app.events().values()}
    assert (events["Budget review"]["DTSTART"], events["Budget review"]["DTEND"]) == (
        "20261201T040000Z",
        "20261201T053000Z",
    )
    # The cancelled occurrence is left out of the series, which stays one event.
    assert events["Weekly stand-up"]["RRULE"] == "FREQ=WEEKLY;COUNT=3"
    assert events["Weekly stand-up"]["EXDATE"] == "20261209T050000Z"

    with rooms.client("tanaka") as tanaka:
        tanaka.delete(f"/api/bookings/{single['id']}")
    assert rooms.sync()["deleted_events"] == 1
    assert [e["SUMMARY"] for e in rooms.app.events().values()] == ["Weekly stand-up"]


def test_events_from_a_calendar_app_become_bookings_and_their_moves_and_deletions_follow(
    rooms: Rooms,
) -> None:
    rooms.app.put("team-sync", summary="Team sync", start="20261201T150000", end="20261201T160000")
    rooms.app.put(
        "training",
        summary="Training",
        start="20261203T100000",
        end="20261203T120000",
        extra="RRULE:FREQ=WEEKLY;COUNT=4\r\n",
        organizer="sato@cityhall.example",
    )
    assert rooms.sync()["booked"] == 2
    booked = rooms.bookings()
    team = next(b for b in booked if b["title"] == "Team sync")
    assert (team["host"], team["starts_at"]) == ("tanaka", "2026-12-01T06:00:00Z")
    training = [b for b in booked if b["title"] == "Training"]
    assert len(training) == 4 and {b["host"] for b in training} == {"sato"}
    assert training[3]["starts_at"] == "2026-12-24T01:00:00Z"  # the RRULE's fourth week

    rooms.app.put(
        "team-sync", summary="Team sync", start="20261201T170000", end="20261201T180000", sequence=1
    )
    rooms.app.delete("training")
    report = rooms.sync()
    assert (report["moved"], report["cancelled"]) == (1, 4)
    after = {b["title"]: b for b in rooms.bookings() if b["status"] == "booked"}
    assert after["Team sync"]["starts_at"] == "2026-12-01T08:00:00Z"
    assert "Training" not in after
    cancelled = [b for b in rooms.bookings() if b["title"] == "Training"]
    assert {b["status_reason"] for b in cancelled} == {"cancelled in the room calendar"}
    # The calendar app's own properties (the attendee) survive freeseat's bookkeeping.
    assert "guest@example.org" in rooms.app.events()["team-sync"]["raw"]


def test_a_clash_is_declined_in_the_calendar_shown_to_its_host_and_booked_once_moved(
    rooms: Rooms,
) -> None:
    rooms.book("Council prep", "2026-12-01", "09:00", "10:00")
    rooms.sync()
    rooms.app.put(
        "walk-in",
        summary="Vendor call",
        start="20261201T093000",
        end="20261201T103000",
        organizer="sato@cityhall.example",
    )
    assert rooms.sync()["declined"] == 1
    event = rooms.app.events()["walk-in"]
    assert event["STATUS"] == "CANCELLED" and event["SUMMARY"] == "Declined: Vendor call"
    assert "Council prep" in event["DESCRIPTION"] and "09:00" in event["DESCRIPTION"]
    assert all(b["title"] != "Vendor call" for b in rooms.bookings())
    with rooms.client("sato") as sato:
        conflicts = sato.get("/api/calendar/conflicts").json()
    assert [(c["title"], c["code"], c["kept_title"]) for c in conflicts] == [
        ("Vendor call", "booking_overlap", "Council prep")
    ]

    # The host moves it to a free hour in their calendar app: booked, no longer declined.
    rooms.app.put(
        "walk-in",
        summary="Declined: Vendor call",
        start="20261201T110000",
        end="20261201T120000",
        organizer="sato@cityhall.example",
        sequence=2,
        extra="STATUS:CANCELLED\r\nX-FREESEAT-DECLINED:booking_overlap\r\n",
    )
    assert rooms.sync()["booked"] == 1
    event = rooms.app.events()["walk-in"]
    assert (event["STATUS"], event["SUMMARY"]) == ("CONFIRMED", "Vendor call")
    vendor = next(b for b in rooms.bookings() if b["title"] == "Vendor call")
    assert (vendor["host"], vendor["status"]) == ("sato", "booked")


def test_a_booking_changed_on_both_sides_keeps_freeseats_version(rooms: Rooms) -> None:
    made = rooms.book("Review", "2026-12-02", "10:00", "11:00")[0]
    rooms.sync()
    uid = next(iter(rooms.app.events()))
    with rooms.client("tanaka") as tanaka:
        tanaka.patch(
            f"/api/bookings/{made['id']}",
            json={"starts_at": "2026-12-02T15:00:00+09:00", "ends_at": "2026-12-02T16:00:00+09:00"},
        )
    rooms.app.put(
        uid.removesuffix(".ics"),
        summary="Review",
        start="20261202T170000",
        end="20261202T180000",
        sequence=5,
    )
    rooms.sync()
    event = rooms.app.events()[uid]
    assert event["DTSTART"] == "20261202T060000Z"  # 15:00 in Tokyo: freeseat's time
    with rooms.client("tanaka") as tanaka:
        seen = tanaka.get("/api/calendar/conflicts").json()
    assert [c["code"] for c in seen] == ["changed_on_both_sides"]
