"""The room screen and the attendees' viewer in a real Chromium, against a real server."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.fakes import FakeClock
from tests.room_support import ROOM, client_as, make_pdf, room_server, screen_key, shown_code
from tests.support import ServerThread

pytestmark = pytest.mark.browser
HOST = "s00005"


@pytest.fixture
def server(tmp_path: Path, clock: FakeClock) -> Iterator[ServerThread]:
    with room_server(f"sqlite:///{tmp_path / 'rooms.db'}", clock) as running:
        yield running


def test_room_screen_shows_the_code_then_the_session_with_its_qr_and_page(
    server: ServerThread, page: Page, clock: FakeClock, tmp_path: Path
) -> None:
    key = screen_key(server)
    page.goto(f"{server.url}/rooms/{ROOM}/screen?key={key}")
    expect(page.locator("#name")).to_have_text("Room 1")
    expect(page.get_by_text("接続コード", exact=False)).to_be_visible()
    code = shown_code(server, key)
    expect(page.locator("#code")).to_have_text(code)
    expect(page.get_by_text("No session running / 会議は開始されていません")).to_be_visible()

    with client_as(server, HOST) as host:
        session = host.post("/api/pairing", json={"code": code, "room": ROOM}).json()["session"]
        material = host.post(
            f"/api/sessions/{session['id']}/materials",
            params={"filename": "予算案.pdf"},
            content=make_pdf(4),
            headers={"Content-Type": "application/pdf"},
        ).json()
        host.post(
            f"/api/sessions/{session['id']}/show", json={"material_id": material["id"], "page": 2}
        )

    # A meeting without a booking is worded by the screen, in both languages, by room name.
    expect(page.locator("#title")).to_have_text("Meeting in Room 1 / Room 1の会議")
    expect(page.locator("#host")).to_have_text("Abe Shota / 阿部 翔太")  # both, like the title
    expect(page.locator("#materials")).to_contain_text("予算案.pdf (4 p) p.2/4")
    expect(page.locator("#materials .icon")).to_have_count(2)  # drawn, not emoji
    expect(page.locator("#stage")).to_be_visible()
    expect(page.locator("#qr svg")).to_be_visible()
    expect(page.locator("#code")).not_to_have_text(code)  # that code was spent
    page.screenshot(path=str(tmp_path / "room-screen.png"))

    viewer_url = page.locator("#viewer").inner_text()
    attendee = page.context.new_page()
    attendee.goto(viewer_url)
    expect(attendee.locator("#title")).to_have_text("Meeting in Room 1 / Room 1の会議")
    expect(attendee.locator("#list")).to_contain_text("Material / 資料: 予算案.pdf")
    expect(attendee.locator("body")).to_have_attribute("data-page", "2")

    wrong = page.context.new_page()
    wrong.goto(f"{server.url}/rooms/{ROOM}/screen?key=wrong")
    expect(wrong.locator("body")).to_contain_text("not valid for room")
