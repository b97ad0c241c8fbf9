"""Meeting rooms over HTTP on SQLite and PostgreSQL: bookings, ICS, pairing, sessions, figures."""

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from typer.testing import CliRunner

from server.cli import app as cli
from tests.fakes import FakeClock
from tests.room_support import (
    OTHER_ROOM,
    ROOM,
    client_as,
    make_pdf,
    room_server,
    screen_key,
    shown_code,
)
from tests.support import ServerThread, wait_until

HOST = "s00005"  # Abe Shota, hr
OTHER = "s00001"  # Ito Naoko, commerce
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def server(database_url: str, clock: FakeClock) -> Iterator[ServerThread]:
    clock.set(T0)
    with room_server(database_url, clock) as running:
        yield running


def _book(
    client: httpx.Client, start: datetime, minutes: int, title: str = "Budget", weekly: int = 1
) -> httpx.Response:
    body = {
        "title": title,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(minutes=minutes)).isoformat(),
        "weekly": weekly,
    }
    return client.post(f"/api/rooms/{ROOM}/bookings", json=body)


def test_bookings_refuse_overlaps_allow_back_to_back_and_free_the_room_on_cancel(
    server: ServerThread,
) -> None:
    with client_as(server, HOST) as host, client_as(server, OTHER) as other:
        first = _book(host, T0 + timedelta(hours=1), 60)
        assert first.status_code == 201, first.text
        clash = _book(other, T0 + timedelta(hours=1, minutes=30), 60)
        assert clash.status_code == 409
        assert "already booked" in clash.json()["detail"] and "Budget" in clash.json()["detail"]
        assert _book(other, T0 + timedelta(hours=2), 30).status_code == 201  # back to back
        booking = first.json()[0]
        assert other.delete(f"/api/bookings/{booking['id']}").status_code == 403
        cancelled = host.delete(f"/api/bookings/{booking['id']}").json()
        assert cancelled["status"] == "cancelled"
        assert _book(other, T0 + timedelta(hours=1, minutes=30), 30).status_code == 201
        backwards = _book(host, T0 + timedelta(hours=5), -30)
        assert backwards.status_code == 400
        assert backwards.json()["code"] == "booking_ends_before_start"
        assert "end must be after the start" in backwards.json()["detail"]
        rooms = {r["id"]: r for r in host.get("/api/rooms").json()}
        assert rooms[ROOM]["next"]["title"] == "Budget" and rooms[ROOM]["now"] is None
        assert rooms[ROOM]["name"] == "Room 1" and rooms[OTHER_ROOM]["next"] is None


def test_concurrent_requests_for_one_slot_yield_exactly_one_booking(
    server: ServerThread,
) -> None:
    clients = []
    for staff in ("s00001", "s00002", "s00003", "s00004", "s00006", "s00007", "s00008", "s00009"):
        client = httpx.Client(base_url=server.url, timeout=60)
        from tests.signin import sign_in

        sign_in(client, staff)
        clients.append(client)
    try:
        start = T0 + timedelta(hours=3)
        # Each request overlaps every other one, but none has the same times as another.
        with ThreadPoolExecutor(len(clients)) as pool:
            results = list(
                pool.map(
                    lambda pair: _book(pair[1], start + timedelta(minutes=pair[0]), 60),
                    enumerate(clients),
                )
            )
        codes = sorted(r.status_code for r in results)
        assert codes.count(201) == 1 and codes.count(409) == len(clients) - 1, codes
        with client_as(server, HOST) as host:
            listed = host.get(
                f"/api/rooms/{ROOM}/bookings",
                params={"from": start.isoformat(), "to": (start + timedelta(hours=3)).isoformat()},
            ).json()
        assert len([b for b in listed if b["status"] == "booked"]) == 1
    finally:
        for client in clients:
            client.close()


def test_ics_feed_is_secret_stable_and_rfc5545(server: ServerThread) -> None:
    with client_as(server, HOST) as host:
        made = _book(host, T0 + timedelta(hours=1), 45, title="予算会議; Q3, draft").json()
        _book(host, T0 + timedelta(days=1), 30, title="Weekly sync")
    with client_as(server, "demo-facilities") as facilities:
        link = facilities.get(f"/api/rooms/{ROOM}/links").json()["calendar_url"]
    with client_as(server, HOST) as host:
        assert host.get(f"/api/rooms/{ROOM}/links").status_code == 403  # facilities only
    assert httpx.get(link.split("?")[0], params={"key": "guess"}).status_code == 403
    first = httpx.get(link)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/calendar")
    text = first.text
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith(
        "END:VCALENDAR\r\n"
    )
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "\n" not in text.replace("\r\n", "")
    assert "SUMMARY:予算会議\\; Q3\\, draft" in text.replace("\r\n ", "")
    uids = re.findall(r"UID:(\S+)", text)
    assert len(uids) == 2 and uids[0].startswith(made[0]["uid"])
    assert "DTSTART:20261130T100000Z" in text
    with client_as(server, HOST) as host:
        host.delete(f"/api/bookings/{made[0]['id']}")
    again = httpx.get(link).text
    assert re.findall(r"UID:(\S+)", again) == uids  # stable UIDs: calendars update, not duplicate
    assert "STATUS:CANCELLED" in again and "SEQUENCE:1" in again


def test_pairing_codes_rotate_are_bound_to_their_room_and_guessers_are_held_alone(
    server: ServerThread, clock: FakeClock
) -> None:
    key = screen_key(server)
    assert httpx.get(f"{server.url}/rooms/{ROOM}/screen", params={"key": "nope"}).status_code == 403
    page = httpx.get(f"{server.url}/rooms/{ROOM}/screen", params={"key": key})
    assert page.status_code == 200 and "接続コード" in page.text
    code = shown_code(server, key)
    assert re.fullmatch(r"\d{6}", code)
    assert shown_code(server, key) == code  # stable within its minute
    other_code = shown_code(server, screen_key(server, OTHER_ROOM), OTHER_ROOM)
    with client_as(server, HOST) as host:
        wrong_room = host.post("/api/pairing", json={"code": other_code, "room": ROOM})
        assert wrong_room.status_code == 403 and wrong_room.json()["code"] == "code_wrong"
        assert wrong_room.json()["room"] == ROOM and "is not valid" in wrong_room.json()["detail"]
        clock.advance(61)
        rotated = shown_code(server, key)
        assert rotated != code
        clock.advance(15)  # the previous code's overlap has run out
        late = host.post("/api/pairing", json={"code": code, "room": ROOM})
        assert late.status_code == 403
        malformed = host.post("/api/pairing", json={"code": "12ab", "room": ROOM})
        assert malformed.status_code == 400 and "6 digits" in malformed.json()["detail"]
    with client_as(server, OTHER) as guesser:
        statuses = [
            guesser.post("/api/pairing", json={"code": f"{n:06d}", "room": ROOM}).status_code
            for n in range(6)
        ]
        assert statuses == [403] * 5 + [429]  # five wrong codes in ten minutes: that person waits
    with client_as(server, HOST) as host:
        fresh = shown_code(server, key)
        # The host mistyped twice today: a code typed without its room is no longer tried
        # against every room's, but the right code for the room is never refused for others'.
        without_room = host.post("/api/pairing", json={"code": fresh})
        assert without_room.status_code == 400 and without_room.json()["code"] == "room_required"
        assert "Choose the room" in without_room.json()["detail"]
        paired = host.post("/api/pairing", json={"code": fresh, "room": ROOM})
        assert paired.status_code == 201, paired.text
        assert paired.json()["session"]["room"] == ROOM
        spent = host.post("/api/pairing", json={"code": fresh, "room": ROOM})
        assert spent.status_code == 403


def test_a_code_shown_during_a_session_joins_it_and_dies_when_it_ends(
    server: ServerThread, clock: FakeClock
) -> None:
    key = screen_key(server)
    with client_as(server, HOST) as host, client_as(server, OTHER) as other:
        started = host.post("/api/pairing", json={"code": shown_code(server, key), "room": ROOM})
        session = started.json()["session"]
        join_code = shown_code(server, key)
        joined = other.post("/api/pairing", json={"code": join_code, "room": ROOM})
        assert joined.status_code == 200 and joined.json()["started"] is False
        assert other.post(f"/api/sessions/{session['id']}/end").status_code == 403
        ended = host.post(f"/api/sessions/{session['id']}/end").json()
        assert ended["end_reason"] == "ended by the host" and ended["ended_at"]
        dead = other.post("/api/pairing", json={"code": join_code, "room": ROOM})
        assert dead.status_code == 403
        state = httpx.get(f"{server.url}/api/rooms/{ROOM}/screen-state", params={"key": key})
        assert state.json()["room"]["session"] is None and state.json()["code"]["code"] != join_code


def test_paperless_session_records_materials_openers_and_pages(
    server: ServerThread, clock: FakeClock
) -> None:
    key = screen_key(server)
    with client_as(server, HOST) as host:
        assert _book(host, T0 + timedelta(minutes=5), 60, title="Staff plan").status_code == 201
        paired = host.post("/api/pairing", json={"code": shown_code(server, key), "room": ROOM})
        session = paired.json()["session"]
        assert session["title"] == "Staff plan" and session["booking_id"] is not None
        sid = session["id"]
        upload = f"/api/sessions/{sid}/materials"
        not_pdf = host.post(
            upload,
            params={"filename": "notes.pdf"},
            content=b"hello",
            headers={"Content-Type": "application/pdf"},
        )
        assert not_pdf.status_code == 415 and not_pdf.json()["code"] == "not_pdf"
        assert "not a PDF" in not_pdf.json()["detail"]
        wrong_type = host.post(
            upload,
            params={"filename": "a.pdf"},
            content=make_pdf(1),
            headers={"Content-Type": "text/plain"},
        )
        assert wrong_type.status_code == 415 and "application/pdf" in wrong_type.json()["detail"]
        huge = host.post(
            upload,
            params={"filename": "big.pdf"},
            content=make_pdf(1, padding=21 * 1024 * 1024),
            headers={"Content-Type": "application/pdf"},
        )
        assert huge.status_code == 413
        agenda = host.post(
            upload,
            params={"filename": "agenda.pdf", "kind": "agenda"},
            content=make_pdf(2),
            headers={"Content-Type": "application/pdf"},
        )
        assert agenda.status_code == 201 and agenda.json()["pages"] == 2
        deck = host.post(
            upload,
            params={"filename": "plan.pdf"},
            content=make_pdf(5),
            headers={"Content-Type": "application/pdf"},
        ).json()
        for page in (1, 2, 2, 3):
            shown = host.post(
                f"/api/sessions/{sid}/show", json={"material_id": deck["id"], "page": page}
            )
            assert shown.status_code == 200
        assert (
            host.post(
                f"/api/sessions/{sid}/show", json={"material_id": deck["id"], "page": 9}
            ).status_code
            == 400
        )
    state = httpx.get(f"{server.url}/api/rooms/{ROOM}/screen-state", params={"key": key}).json()
    assert state["room"]["session"]["showing"] == {"material_id": deck["id"], "page": 3}
    assert state["qr_svg"].startswith("<svg") and "/rooms/view/" in state["viewer_url"]
    viewer_path = state["viewer_url"].split(server.url)[1]
    token = viewer_path.rsplit("/", 1)[1]
    with client_as(server, None) as anonymous:
        assert anonymous.get(viewer_path).status_code == 200
        view = anonymous.get(f"/api/view/{token}").json()
        assert [m["filename"] for m in view["materials"]] == ["agenda.pdf", "plan.pdf"]
        pdf = anonymous.get(f"/api/view/{token}/materials/{deck['id']}")
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    with client_as(server, OTHER) as attendee:
        attendee.get(f"/api/view/{token}/materials/{deck['id']}")
        assert attendee.get(f"/api/view/{token}/materials/999999").status_code == 404
    with client_as(server, HOST) as host:
        record = host.get(f"/api/sessions/{sid}").json()
    assert record["department"] == "hr" and record["host"] == HOST
    assert record["opened_by"] == [OTHER] and record["anonymous_viewers"] == 1
    assert record["pages_shared"] == 3
    assert record["started_at"].startswith("2026-11-30T09:00")


def test_unstarted_bookings_are_released_with_a_reason_and_ghost_series_are_listed(
    server: ServerThread, clock: FakeClock
) -> None:
    key = screen_key(server)
    with client_as(server, HOST) as host:
        series = _book(host, T0 + timedelta(minutes=30), 60, title="Weekly ghost", weekly=3)
        assert series.status_code == 201 and len(series.json()) == 3
        kept = _book(host, T0 + timedelta(hours=2), 30, title="Held").json()[0]

    def booking_now(booking: dict[str, str]) -> dict[str, str]:
        # Signed in afresh each time: sign-in sessions expire as the clock jumps weeks.
        with client_as(server, HOST) as host:
            found: dict[str, str] = host.get(
                f"/api/rooms/{ROOM}/bookings",
                params={"from": booking["starts_at"], "to": booking["ends_at"]},
            ).json()[0]
        return found

    first = series.json()[0]
    clock.set(T0 + timedelta(minutes=44))
    assert booking_now(first)["status"] == "booked"  # within its 15 min grace
    clock.set(T0 + timedelta(minutes=46))
    wait_until(lambda: booking_now(first)["status"] == "released", what="first released")
    assert booking_now(first)["status_reason"] == (
        "not started within 15 min: no session, no room sensor reading"
    )
    clock.set(T0 + timedelta(hours=2, minutes=1))
    with client_as(server, HOST) as host:
        host.post("/api/pairing", json={"code": shown_code(server, key), "room": ROOM})
    clock.set(T0 + timedelta(hours=2, minutes=20))
    second = series.json()[1]
    clock.set(T0 + timedelta(weeks=1, minutes=46))
    wait_until(lambda: booking_now(second)["status"] == "released", what="second released")
    assert booking_now(kept)["status"] == "booked"  # its session started in time
    with client_as(server, HOST) as host:
        assert host.get("/api/bookings/ghosts").status_code == 403
    with client_as(server, "demo-facilities") as facilities:
        ghosts = facilities.get("/api/bookings/ghosts").json()
    assert [(g["title"], g["released"], g["occurrences"]) for g in ghosts] == [
        ("Weekly ghost", 2, 2)
    ]


def test_paperless_figure_per_department_and_the_headline(
    server: ServerThread, clock: FakeClock
) -> None:
    key = screen_key(server)
    # hr runs two sessions with materials; commerce one with, one without: 100 % and 50 %.
    for staff, with_pdf in ((HOST, True), (HOST, True), (OTHER, True), (OTHER, False)):
        with client_as(server, staff) as client:
            paired = client.post(
                "/api/pairing", json={"code": shown_code(server, key), "room": ROOM}
            )
            sid = paired.json()["session"]["id"]
            if with_pdf:
                client.post(
                    f"/api/sessions/{sid}/materials",
                    params={"filename": "m.pdf"},
                    content=make_pdf(4),
                    headers={"Content-Type": "application/pdf"},
                )
            client.post(f"/api/sessions/{sid}/end")
            clock.advance(minutes=30)
    with client_as(server, HOST) as host:
        assert host.get("/api/analytics/paperless", params={"month": "2026-11"}).status_code == 403
    with client_as(server, "demo-facilities") as facilities:
        bad = facilities.get("/api/analytics/paperless", params={"month": "Nov"})
        assert bad.status_code == 422
        report = facilities.get(
            "/api/analytics/paperless", params={"by": "department", "month": "2026-11"}
        ).json()
        empty = facilities.get("/api/analytics/paperless", params={"month": "2026-10"}).json()
    by = {d["department"]: d for d in report["departments"]}
    assert by["hr"]["share"] == 1.0 and by["hr"]["pages_not_printed"] == 8
    assert by["commerce"]["share"] == 0.5 and by["commerce"]["meetings"] == 2
    assert report["departments_at_threshold"] == 1 and report["headline_share"] == 0.5
    assert empty["departments"] == [] and empty["headline_share"] is None


def test_freeseat_connect_pairs_from_the_command_line_without_zeroconf(
    server: ServerThread,
) -> None:
    code = shown_code(server, screen_key(server))
    runner = CliRunner()
    args = ["connect", "--staff-id", HOST, "--server", server.url, "--room", ROOM]
    args += ["--code", code, "--wait", "0.5", "--interface", "127.0.0.1"]
    result = runner.invoke(cli, args, env={"FREESEAT_PASSWORD": ""})
    assert result.exit_code == 0, result.output
    assert f"session started: meeting in {ROOM}" in result.output
    again = runner.invoke(cli, args, env={"FREESEAT_PASSWORD": ""})
    assert again.exit_code == 1 and f"Code {code} is not valid" in again.output


def test_wrong_codes_are_limited_per_person_whatever_room_they_name(
    server: ServerThread, clock: FakeClock
) -> None:
    with client_as(server, OTHER) as guesser:
        anywhere = guesser.post("/api/pairing", json={"code": "000000"})
        assert anywhere.status_code == 403  # one try against every room's codes ...
        again = guesser.post("/api/pairing", json={"code": "000001"})
        assert again.json()["code"] == "room_required"  # ... and then rooms must be named
        for n in range(1, 5):
            body = {"code": f"{n:06d}", "room": ROOM if n % 2 else OTHER_ROOM}
            assert guesser.post("/api/pairing", json=body).status_code == 403
        blocked = guesser.post("/api/pairing", json={"code": "000009", "room": ROOM})
        assert blocked.status_code == 429 and "wait 10 min" in blocked.json()["detail"]
        clock.advance(minutes=10, seconds=1)
        for n in range(5, 10):
            body = {"code": f"{n:06d}", "room": OTHER_ROOM}
            assert guesser.post("/api/pairing", json=body).status_code == 403
        clock.advance(minutes=10, seconds=1)
        # Ten wrong codes today: no more until the first of them is a day old.
        today = guesser.post("/api/pairing", json={"code": "000010", "room": ROOM})
        assert today.status_code == 429 and "wait 1419 min" in today.json()["detail"]
        assert int(today.headers["Retry-After"]) == 1419 * 60 + 58
    with client_as(server, HOST) as host:  # others are not held up by one person's guessing
        code = shown_code(server, screen_key(server, OTHER_ROOM), OTHER_ROOM)
        assert host.post("/api/pairing", json={"code": code}).status_code == 201


def test_pairing_in_a_room_someone_else_booked_asks_whose_meeting_it_is(
    server: ServerThread, clock: FakeClock
) -> None:
    with client_as(server, OTHER) as booker, client_as(server, HOST) as host:
        assert _book(booker, clock.now() - timedelta(minutes=5), 60, "Budget").status_code == 201
        code = shown_code(server, screen_key(server))
        asked = host.post("/api/pairing", json={"code": code, "room": ROOM})
        assert asked.status_code == 409, asked.text
        answer = asked.json()
        assert (answer["code"], answer["title"], answer["host_name"]) == (
            "booked_by_another",
            "Budget",
            "Ito Naoko",
        )
        assert "that meeting or a meeting of your own" in answer["detail"]
        # A Japanese page names the host as the directory writes the name in Japanese.
        host.cookies.set("lang", "ja")
        asked_ja = host.post("/api/pairing", json={"code": code, "room": ROOM}).json()
        assert answer["host_name_ja"] == asked_ja["host_name_ja"] == "伊藤 直子"
        assert "伊藤 直子" in asked_ja["detail"] and "Ito Naoko" not in asked_ja["detail"]
        room_now = host.get(f"/api/rooms/{ROOM}").json()
        assert (room_now["now"]["host_name"], room_now["now"]["host_name_ja"]) == (
            "Ito Naoko",
            "伊藤 直子",
        )
        host.cookies.delete("lang")
        # The code was not spent by the question: the same code starts the host's own meeting.
        own = host.post("/api/pairing", json={"code": code, "room": ROOM, "booking": "own"})
        assert own.status_code == 201, own.text
        session = own.json()["session"]
        assert (session["title"], session["booking_id"]) == ("", None), "not the booking's title"


def test_freeseat_connect_against_a_demo_server_lists_its_rooms_and_asks_no_password(
    server: ServerThread,
) -> None:
    from edge_agent.room_connect import connect

    code = shown_code(server, screen_key(server))
    said: list[str] = []
    answers = iter(["1"])

    def no_password(question: str) -> str:
        raise AssertionError(f"asked {question!r} on a demo server")

    connected = connect(
        staff_id=HOST,
        server=server.url,
        code=code,
        wait_s=0.2,
        interfaces=["127.0.0.1"],
        prompt=lambda _q: next(answers),
        secret_prompt=no_password,
        out=said.append,
    )
    assert any(line.startswith("  1. room-f") for line in said), said
    assert connected.started and connected.title.startswith("meeting in room-f")
