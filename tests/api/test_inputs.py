"""Inputs that once gave a 500 or dropped the connection now get a clear 4xx (issue 16, 7, 14-18).

Each test sends what the attack suite sent, over a real HTTP server, and checks the answer a
person (or their browser) gets.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

from server.api.app import create_app
from server.settings import Settings
from tests.access_support import full_site
from tests.fakes import FakeClock
from tests.room_support import ROOM, client_as, make_pdf, screen_key, shown_code
from tests.support import ServerThread
from tests.wifi_support import BSSIDS

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
HOST = "s00005"


@pytest.fixture
def server(database_url: str, clock: FakeClock) -> Iterator[ServerThread]:
    clock.set(T0)
    settings = Settings(database_url=database_url, enable_mqtt=False, demo_mode=True)
    with ServerThread(create_app(settings, clock=clock, site=full_site())) as running:
        yield running


def test_a_huge_body_is_refused_before_it_is_read_and_never_echoed(server: ServerThread) -> None:
    marker = b"ECHO-ME-" * 8
    body = marker + b"x" * (30 * 1024 * 1024)
    with httpx.Client(base_url=server.url, timeout=60) as client:
        sized = client.post(
            "/api/session", content=body, headers={"Content-Type": "application/json"}
        )
        assert sized.status_code == 413 and sized.json()["code"] == "body_too_large"
        assert "1024 KiB" in sized.json()["detail"]
        assert b"ECHO-ME" not in sized.content and len(sized.content) < 1000

        def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
            yield marker
            for _ in range(40):
                yield b"y" * (64 * 1024)

        chunked = client.post(
            "/api/seats", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert chunked.status_code == 413 and b"ECHO-ME" not in chunked.content
    # The server still answers the next person.
    assert httpx.get(f"{server.url}/api/health").status_code == 200


@contextmanager
def running_session(server: ServerThread) -> Iterator[tuple[httpx.Client, int]]:
    key = screen_key(server, ROOM)
    with client_as(server, HOST) as host:
        paired = host.post("/api/pairing", json={"code": shown_code(server, key), "room": ROOM})
        assert paired.status_code == 201, paired.text
        yield host, paired.json()["session"]["id"]


def upload(host: httpx.Client, session: int, filename: str) -> httpx.Response:
    return host.post(
        f"/api/sessions/{session}/materials",
        params={"filename": filename},
        content=make_pdf(1),
        headers={"Content-Type": "application/pdf"},
    )


def test_a_japanese_file_name_uploads_and_downloads_and_control_characters_are_refused(
    server: ServerThread,
) -> None:
    with running_session(server) as (host, session):
        made = upload(host, session, "議事録.pdf")
        assert made.status_code == 201, made.text
        for bad in (
            "a\r\nSet-Cookie: x=1.pdf",
            "minutes\x00.pdf",
            "line\nbreak.pdf",
            "evil\u202efdp.pdf",
        ):
            refused = upload(host, session, bad)
            assert refused.status_code == 400 and refused.json()["code"] == "filename_invalid"
        token = host.get(f"/api/sessions/{session}").json()["viewer_path"].rsplit("/", 1)[1]
    pdf = httpx.get(f"{server.url}/api/view/{token}/materials/{made.json()['id']}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    disposition = pdf.headers["content-disposition"]
    assert disposition.startswith('inline; filename="')
    assert f"filename*=UTF-8''{quote('議事録.pdf')}" in disposition
    disposition.encode("ascii")  # the header itself is plain ASCII, as HTTP wants


def test_ids_beyond_a_bigint_are_a_422(server: ServerThread) -> None:
    huge = 2**63
    with client_as(server, HOST) as host:
        for response in (
            host.get(f"/api/sessions/{huge}"),
            host.post(f"/api/sessions/{huge}/end"),
            host.delete(f"/api/bookings/{huge}"),
            host.post("/api/sessions/1/show", json={"material_id": huge, "page": 1}),
            host.get(f"/api/view/token/materials/{huge * 10}"),
        ):
            assert response.status_code == 422, response.text
        assert host.get(f"/api/sessions/{huge - 1}").status_code == 404


def test_a_non_ascii_room_link_key_is_a_403(server: ServerThread) -> None:
    for path in (
        f"/api/rooms/{ROOM}/calendar.ics",
        f"/api/rooms/{ROOM}/screen-state",
        f"/rooms/{ROOM}/screen",
    ):
        response = httpx.get(f"{server.url}{path}", params={"key": "鍵ключ🔑"})
        assert response.status_code == 403, (path, response.text)


def test_times_near_year_1_or_9999_are_a_422(server: ServerThread) -> None:
    with client_as(server, HOST) as host:
        for since in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"):
            listed = host.get(f"/api/rooms/{ROOM}/bookings", params={"from": since})
            assert listed.status_code == 422, listed.text
            history = host.get("/api/floors/f1/busyness/history", params={"since": since})
            assert history.status_code == 422
        booking = host.post(
            f"/api/rooms/{ROOM}/bookings",
            json={
                "title": "Far future",
                "starts_at": "9999-12-31T22:00:00Z",
                "ends_at": "9999-12-31T23:00:00Z",
                "weekly": 52,
            },
        )
        assert booking.status_code == 422 and "2199" in booking.text


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e309"])
def test_nan_or_infinity_in_a_seat_suggestion_is_a_422(server: ServerThread, number: str) -> None:
    with client_as(server, HOST) as host:
        body = '{"near": {"floor": "f1", "x": NUMBER, "y": 1}}'.replace("NUMBER", number)
        response = host.post(
            "/api/seats/suggest", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 422, response.text


def test_eight_people_sharing_and_reporting_at_once_all_get_an_answer(server: ServerThread) -> None:
    people = [f"s{n:05d}" for n in range(1, 9)]
    clients = {p: client_as(server, p) for p in people}
    signed = {p: c.__enter__() for p, c in clients.items()}
    statuses: list[int] = []
    start = threading.Barrier(len(people))

    def one(person: str) -> None:
        client = signed[person]
        start.wait()
        for round_ in range(5):
            statuses.append(client.post("/api/presence/share").status_code)
            bssid = BSSIDS["f1", 1 + round_ % 2][0]
            statuses.append(
                client.post("/api/presence/whereami", json={"bssid": bssid}).status_code
            )
            statuses.append(client.delete("/api/presence/share").status_code)

    try:
        threads = [threading.Thread(target=one, args=(p,)) for p in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)
    assert len(statuses) == len(people) * 15 and set(statuses) == {200}, statuses


def test_a_lone_cr_in_a_booking_title_cannot_end_a_line_of_the_ics_feed(
    server: ServerThread,
) -> None:
    with client_as(server, HOST) as host:
        made = host.post(
            f"/api/rooms/{ROOM}/bookings",
            json={
                "title": "Budget\rBEGIN:VEVENT",
                "starts_at": (T0 + timedelta(hours=1)).isoformat(),
                "ends_at": (T0 + timedelta(hours=2)).isoformat(),
            },
        )
    if made.status_code != 201:
        assert made.status_code == 400, made.text  # refused as a title: fine as well
        return
    with client_as(server, "demo-facilities") as facilities:
        link = facilities.get(f"/api/rooms/{ROOM}/links").json()["calendar_url"]
    text = httpx.get(link).text
    assert "\r" not in text.replace("\r\n", "") and "\n" not in text.replace("\r\n", "")
    assert text.split("\r\n").count("BEGIN:VEVENT") == 1
    assert "SUMMARY:Budget\\nBEGIN:VEVENT" in text.replace("\r\n ", "")


def test_the_attendees_link_ends_a_short_grace_after_the_session(
    server: ServerThread, clock: FakeClock
) -> None:
    with running_session(server) as (host, session):
        material = upload(host, session, "agenda.pdf").json()["id"]
        token = host.get(f"/api/sessions/{session}").json()["viewer_path"].rsplit("/", 1)[1]
        assert host.post(f"/api/sessions/{session}/end").status_code == 200
    view = f"{server.url}/api/view/{token}"
    clock.advance(minutes=14)
    assert httpx.get(view).status_code == 200  # a straggler can still fetch it
    assert httpx.get(f"{view}/materials/{material}").status_code == 200
    clock.advance(minutes=2)
    gone = httpx.get(view)
    assert gone.status_code == 410 and gone.json()["code"] == "meeting_link_expired"
    assert httpx.get(f"{view}/materials/{material}").status_code == 410
