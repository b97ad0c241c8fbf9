"""The lobby board's room list over HTTP: busy or free without sign-in, and nothing personal."""

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from server.api.app import create_app
from server.settings import Settings
from tests.fakes import FakeClock
from tests.support import ServerThread, small_site


@pytest.fixture
def server(database_url: str, clock: FakeClock) -> Iterator[ServerThread]:
    settings = Settings(database_url=database_url, enable_mqtt=False, demo_mode=True)
    with ServerThread(create_app(settings, clock=clock, site=small_site())) as running:
        yield running


def book(server: ServerThread, room: str, start_in_min: int, clock: FakeClock) -> None:
    client = httpx.Client(base_url=server.url)
    token = client.get("/api/session").json()["csrf_token"]
    staff_id = client.get("/api/people").json()[0]["staff_id"]
    signed = client.post(
        "/api/session", json={"staff_id": staff_id}, headers={"X-CSRF-Token": token}
    )
    start = clock.now() + timedelta(minutes=start_in_min)
    response = client.post(
        f"/api/rooms/{room}/bookings",
        json={
            "title": "Personnel matters",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
        },
        headers={"X-CSRF-Token": signed.json()["csrf_token"]},
    )
    assert response.status_code == 201, response.text


def test_rooms_show_busy_until_and_next_without_sign_in(
    server: ServerThread, clock: FakeClock
) -> None:
    book(server, "room-f1-1", -10, clock)
    book(server, "room-f1-1", 120, clock)

    response = httpx.get(f"{server.url}/api/board/rooms", params={"floor": "f1"})
    assert response.status_code == 200
    [room] = response.json()
    assert room["id"] == "room-f1-1"
    assert room["busy"] is True
    assert (
        httpx.get(f"{server.url}/api/board/rooms", params={"floor": "f2"}).json()[0]["busy"]
        is False
    )
    until = clock.now() + timedelta(minutes=50)
    assert room["until"].replace("Z", "+00:00") == until.isoformat()
    next_start = clock.now() + timedelta(minutes=120)
    assert room["next_start"].replace("Z", "+00:00") == next_start.isoformat()
    assert "Personnel" not in response.text, "a lobby screen must not show meeting titles"

    clock.advance(minutes=55)
    after = httpx.get(f"{server.url}/api/board/rooms", params={"floor": "f1"}).json()[0]
    assert after["busy"] is False


def test_an_unknown_floor_names_the_known_ones(server: ServerThread) -> None:
    response = httpx.get(f"{server.url}/api/board/rooms", params={"floor": "f9"})
    assert response.status_code == 404
    assert "f1, f2" in response.json()["detail"]
