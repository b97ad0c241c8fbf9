"""The host view in a real Chromium: book a room, pair with its screen's code, share a PDF.

The room screen's code is read the way the room computer reads it (its secret screen link);
everything else happens on the page, the way a host does it.
"""

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from firmware_config.site import Site
from server.adapters.embedded_broker import MosquittoBroker
from tests.browser.harness import DemoServer, demo_server, shoot, signed_in_client
from tests.room_support import make_pdf

pytestmark = pytest.mark.browser

FLOOR = "f3"


@pytest.fixture(scope="module")
def server(
    mosquitto: MosquittoBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoServer]:
    with demo_server(mosquitto, tmp_path_factory, "host") as demo:
        yield demo


def screen_code(server: DemoServer, room: str) -> str:
    """The pairing code the room's screen shows now, read through the screen's own link."""
    facilities, _ = signed_in_client(server.url, "demo-facilities")
    links = facilities.get(f"/api/rooms/{room}/links")
    assert links.status_code == 200, links.text
    key = parse_qs(urlparse(links.json()["screen_url"]).query)["key"][0]
    state = facilities.get(f"/api/rooms/{room}/screen-state", params={"key": key})
    assert state.status_code == 200, state.text
    code: str = state.json()["code"]["code"]
    return code


def test_book_pair_share_and_end_a_meeting(
    page: Page, server: DemoServer, site: Site, screenshot_dir: Path, tmp_path: Path
) -> None:
    floor = site.floor(FLOOR)
    assert floor is not None
    room = floor.rooms[0].id
    page.goto(f"{server.url}/host?floor={FLOOR}")
    expect(page.locator("#host")).to_have_attribute("data-signed-in", "false")
    expect(page.locator(".room-card")).to_have_count(0)
    # A member of staff with a department, so the meeting counts in the paperless figure.
    host = page.locator("#people-list .person-button").filter(
        has=page.locator(".person-dept:not(:empty)")
    )
    expect(host.first).to_be_visible()
    department = host.first.locator(".person-dept").inner_text()
    host.first.click()
    expect(page.locator("#host")).to_have_attribute("data-signed-in", "true")

    cards = page.locator(".room-card")
    expect(cards).to_have_count(len(floor.rooms))
    card = page.locator(f'.room-card[data-room="{room}"]')
    expect(card).to_have_attribute("data-status", "free")
    card.locator("[data-book]").click()
    card.locator('input[name="title"]').fill("Budget review")
    card.locator('button[type="submit"]').click()
    expect(card).to_contain_text("Next: Budget review")
    expect(page.locator("#notice")).to_contain_text("is booked")

    expect(page.locator("#no-sessions")).to_be_visible()
    page.locator("#pair-code").fill(screen_code(server, room))
    page.locator("#pair-room").select_option(room)
    page.locator('#pair-form button[type="submit"]').click()
    session_card = page.locator(".session-card")
    expect(session_card).to_have_count(1)
    expect(page.locator("#notice")).to_contain_text("Connected")
    expect(page.locator(f'.room-card[data-room="{room}"]')).to_have_attribute("data-status", "busy")

    pdf = tmp_path / "agenda.pdf"
    pdf.write_bytes(make_pdf(3))
    session_card.locator('input[type="file"]').set_input_files(str(pdf))
    session_card.locator('.inline-form button[type="submit"]').click()
    material = session_card.locator(".materials li")
    expect(material).to_have_count(1)
    expect(material).to_contain_text("agenda.pdf (3 pages)")
    material.locator('input[type="number"]').fill("2")
    material.locator("[data-show]").click()
    expect(material).to_have_attribute("data-on-screen", "true")
    expect(material.locator(".on-screen")).to_have_text("on screen: page 2")
    expect(session_card.locator(".viewer-link")).to_contain_text("/rooms/view/")
    shoot(page, screenshot_dir, "host-meeting")

    session_card.locator("[data-end]").click()
    session_card.locator("[data-end-confirm]").click()  # ending asks first
    expect(page.locator(".session-card")).to_have_count(0)
    expect(page.locator("#no-sessions")).to_be_visible()

    # The paperless share is for facilities staff: the host is told to sign in as one, and
    # once they do, the meeting shows up in the share of the host's department.
    page.goto(f"{server.url}/facilities")
    paperless = page.locator('[data-chart="paperless-by-department"]')
    expect(page.locator("#notice")).to_contain_text("for facilities staff")
    page.locator("#facilities-me #sign-out").click()
    page.locator("#facilities-me #person-search").fill("facilities")
    page.locator('#facilities-me [data-staff-id="demo-facilities"]').click()
    expect(page.locator("#facilities-me-summary")).to_contain_text("Facilities (demo)")
    expect(paperless).to_have_attribute("data-state", "data", timeout=20_000)
    bar = paperless.locator(f'rect.bar[data-key="{department}"]')
    expect(bar).to_have_attribute("data-value", "1")
    paperless.scroll_into_view_if_needed()
    shoot(page, screenshot_dir, "facilities-paperless")


def test_a_wrong_code_says_what_to_do(page: Page, server: DemoServer) -> None:
    page.goto(f"{server.url}/host?floor={FLOOR}")
    page.locator("#people-list .person-button").nth(1).click()
    expect(page.locator("#host")).to_have_attribute("data-signed-in", "true")
    page.locator("#pair-code").fill("000000")
    page.locator('#pair-form button[type="submit"]').click()
    expect(page.locator("#notice")).to_contain_text("not valid")
    expect(page.locator(".session-card")).to_have_count(0)
