"""Facilities analytics over HTTP, from history made by the real ingest path across a day.

The server runs on each database backend; a FakeClock walks through a Monday in Tokyo while
sensor events go through `Ingest.apply_batch`, which records the desk transitions the
analytics fold.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from contracts import DeskPresenceChanged, DeviceState, DeviceStatus, build_topic, encode
from server.api.app import create_app
from server.composition.runtime import Runtime
from server.services.ingest_batch import Inbound
from server.settings import Settings
from tests.fakes import FakeClock
from tests.signin import sign_in
from tests.support import ServerThread, small_site

TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = datetime(2026, 11, 30, tzinfo=TOKYO)  # local midnight


class Day:
    """Sends sensor facts through the server's own ingest service at the clock's time."""

    def __init__(self, runtime: Runtime, clock: FakeClock) -> None:
        self.runtime = runtime
        self.clock = clock
        self.seq: dict[str, int] = {}

    def at(self, hh: int, mm: int = 0, day: datetime = MONDAY) -> None:
        self.clock.set(day.replace(hour=hh, minute=mm).astimezone(UTC))

    def presence(self, desks: list[str], present: bool) -> None:
        batch = []
        for desk in desks:
            gateway = "gw-" + desk.removeprefix("desk-")[:4]
            seq = self.seq[gateway] = self.seq.get(gateway, 0) + 1
            event = DeskPresenceChanged(
                device=gateway,
                epoch=1,
                seq=seq,
                at=self.clock.now(),
                desk=desk,
                present=present,
                sensor="mmwave",
            )
            batch.append(self._inbound(gateway, "event", encode(event)))
        self.runtime.ingest.apply_batch(batch)

    def heartbeat(self, gateway: str, battery: float) -> None:
        state = DeviceState(
            device=gateway,
            at=self.clock.now(),
            epoch=1,
            seq=self.seq.get(gateway, 0),
            interval_s=60,
            battery=battery,
        )
        self.runtime.ingest.apply_batch([self._inbound(gateway, "state", encode(state))])

    def offline(self, gateway: str) -> None:
        status = DeviceStatus(device=gateway, at=self.clock.now(), epoch=1, status="offline")
        self.runtime.ingest.apply_batch([self._inbound(gateway, "status", encode(status))])

    def _inbound(self, device: str, channel: str, payload: bytes) -> Inbound:
        topic = build_topic("testhall", "desk", device, channel)
        return Inbound(topic, payload, self.clock.now())


@pytest.fixture
def served(database_url: str) -> Iterator[tuple[ServerThread, Day]]:
    clock = FakeClock(MONDAY.astimezone(UTC))
    settings = Settings(database_url=database_url, enable_mqtt=False, demo_mode=True)
    with ServerThread(create_app(settings, clock=clock, site=small_site())) as server:
        yield server, Day(server.app.state.runtime, clock)


def a_monday(day: Day) -> None:
    """Four desks from 09:00, two more from 09:30, two leave at 12:00, all gone by 18:00."""
    a = [f"desk-f1-a-01-0{n}" for n in range(1, 5)]
    b = ["desk-f1-b-01-01", "desk-f1-b-01-02"]
    day.at(9)
    day.presence(a, True)
    day.at(9, 30)
    day.presence(b, True)
    day.at(12)
    day.presence(a[:2], False)
    day.at(18)
    day.presence(a[2:] + b, False)


@contextmanager
def facilities(server: ServerThread) -> Iterator[httpx.Client]:
    """A client signed in as the demo facilities operator: the figures are theirs to read."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        sign_in(client, "demo-facilities")
        yield client


def get(server: ServerThread, path: str, **params: Any) -> Any:
    with facilities(server) as client:
        response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_utilisation_heatmap_peak_and_seat_ratio_follow_the_day(
    served: tuple[ServerThread, Day],
) -> None:
    server, day = served
    a_monday(day)
    day.at(0, day=MONDAY + timedelta(days=1))

    f1 = get(server, "/api/analytics/occupancy", floor="f1", days=1)
    assert f1["desks"] == 8
    assert f1["timezone"] == "Asia/Tokyo"
    assert f1["transitions"] == 12
    by_hour = {p["hour"]: p["utilisation"] for p in f1["by_hour"]}
    assert by_hour[8] == 0
    # 4 desks the whole hour, 2 more for its second half, of 8 desks.
    assert by_hour[9] == pytest.approx(0.625)
    assert by_hour[10] == pytest.approx(0.75)
    assert by_hour[12] == pytest.approx(0.5)
    assert by_hour[18] == 0
    cells = {(c["weekday"], c["hour"]): c["utilisation"] for c in f1["heatmap"]}
    assert len(cells) == 7 * 24
    assert cells[(0, 9)] == pytest.approx(0.625)
    assert cells[(1, 9)] is None, "Tuesday is outside the window: no data, not zero"
    assert f1["peak_people"] == 6
    assert datetime.fromisoformat(f1["peak_at"]) == MONDAY.replace(hour=9, minute=30)
    assert f1["seat_ratio"] == pytest.approx(1.33)
    assert {"date": "2026-11-30", "peak_people": 6} in f1["daily_peaks"]

    site = get(server, "/api/analytics/occupancy", days=1)
    assert site["desks"] == 16
    assert {p["hour"]: p["utilisation"] for p in site["by_hour"]}[10] == pytest.approx(0.375)

    # The next day starts from the states Monday left behind: everyone gone.
    day.at(0, day=MONDAY + timedelta(days=2))
    tuesday = get(server, "/api/analytics/occupancy", floor="f1", days=1)
    assert tuesday["transitions"] == 0
    assert all(p["utilisation"] == 0 for p in tuesday["by_hour"])
    assert tuesday["peak_people"] == 0
    assert tuesday["seat_ratio"] is None


def test_occupancy_now_counts_desks_per_floor_and_zone(
    served: tuple[ServerThread, Day],
) -> None:
    server, day = served
    day.at(9)
    day.presence(["desk-f1-a-01-01", "desk-f1-a-01-02"], True)
    day.presence(["desk-f1-b-01-01"], False)
    # The live feed learns of committed changes from whoever applied them.
    server.app.state.runtime.hub.publish(
        s for s in server.app.state.runtime.store.all_desks() if s.floor == "f1"
    )

    floors = {f["floor"]: f for f in get(server, "/api/analytics/now")}
    assert set(floors) == {"f1", "f2"}
    f1 = floors["f1"]
    assert f1["desks"] == 8
    assert f1["counts"] == {"occupied": 2, "free": 1, "unknown": 5}
    zones = {z["zone"]: z for z in f1["zones"]}
    assert zones["f1-a"]["counts"] == {"occupied": 2, "unknown": 2}
    assert zones["f1-b"]["counts"] == {"free": 1, "unknown": 3}
    assert floors["f2"]["counts"] == {"unknown": 8}


def test_sensor_health_names_offline_stale_silent_and_low_battery_devices(
    served: tuple[ServerThread, Day],
) -> None:
    server, day = served
    a_monday(day)
    day.at(20)
    day.offline("gw-f2-a")
    day.at(23, 55)
    day.heartbeat("gw-f1-b", battery=12)
    day.at(0, day=MONDAY + timedelta(days=1))

    health = get(server, "/api/analytics/sensors")
    assert health["counts"] == {"online": 1, "offline": 1, "stale": 1, "never_seen": 1}
    assert health["low_battery"] == 1
    attention = [(d["id"], d["status"]) for d in health["attention"]]
    assert attention == [
        ("gw-f2-a", "offline"),
        ("gw-f1-a", "stale"),
        ("gw-f2-b", "never_seen"),
        ("gw-f1-b", "online"),
    ]
    low = health["attention"][-1]
    assert low["battery"] == 12
    assert low["low_battery"] is True


def test_a_bad_floor_or_window_says_what_to_fix(served: tuple[ServerThread, Day]) -> None:
    server, _ = served
    with facilities(server) as client:
        response = client.get("/api/analytics/occupancy", params={"floor": "f9"})
        assert response.status_code == 404
        assert "f1, f2" in response.json()["detail"]
        response = client.get("/api/analytics/occupancy", params={"days": 0})
        assert response.status_code == 422
        assert "days" in str(response.json()["detail"])
    # Anyone else is told to sign in: the figures are for facilities.
    anonymous = httpx.get(f"{server.url}/api/analytics/occupancy", timeout=30)
    assert anonymous.status_code == 401


def claim_as(server: ServerThread, staff_id: str, desk: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=server.url, timeout=30)
    token = client.get("/api/session").json()["csrf_token"]
    signed = client.post(
        "/api/session", json={"staff_id": staff_id}, headers={"X-CSRF-Token": token}
    )
    token = signed.json()["csrf_token"]
    claimed = client.post("/api/seats", json={"desk": desk}, headers={"X-CSRF-Token": token})
    assert claimed.status_code == 201, claimed.text
    return client, token


def test_no_show_rate_counts_claims_released_without_a_check_in(
    served: tuple[ServerThread, Day],
) -> None:
    server, day = served
    people = [p["staff_id"] for p in get(server, "/api/people")[:3]]
    day.at(9)
    claim_as(server, people[0], "desk-f1-a-01-01")
    claim_as(server, people[1], "desk-f1-a-01-02")
    client, token = claim_as(server, people[2], "desk-f2-a-01-01")
    arrived = client.post(
        "/api/me/seat/check-in", json={"desk": "desk-f2-a-01-01"}, headers={"X-CSRF-Token": token}
    )
    assert arrived.status_code == 200, arrived.text
    # Past the grace period the seating sweep releases the two claims nobody checked in to.
    day.at(10)
    day.runtime.seating.sweep()

    site = get(server, "/api/analytics/no-shows", days=2)
    assert (site["claims"], site["no_shows"]) == (3, 2)
    assert site["rate"] == pytest.approx(0.6667)
    assert [d["date"] for d in site["days"]] == ["2026-11-29", "2026-11-30"]
    assert site["days"][0]["rate"] is None, "a day without claims has no rate, not 0 %"
    assert site["days"][1]["no_shows"] == 2
    f2 = get(server, "/api/analytics/no-shows", floor="f2", days=1)
    assert (f2["claims"], f2["no_shows"], f2["rate"]) == (1, 0, 0)
