"""Journeys that hold at the seams, walked in a real Chromium in English and Japanese.

Staff on a laptop (1440×900) and on a phone (390×844), a host from booking to ending, the lobby
board at 1080p, and every page they pass (the floor map, check-in, host, room screen, viewer,
board, facilities) checked for elements marked hidden that still show and for serious or
critical accessibility violations (axe-core). One demo server serves the whole module; the
screenshots of each journey go to test-output/screenshots/journey-<journey>-<lang>-NN-*.png.
"""

import csv
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from benchmarks.rush import MORNING_HOUR
from edge_agent.room_simulation import agenda_pdf
from firmware_config.paths import demo_staff_path
from firmware_config.site import Site
from server.adapters.embedded_broker import MosquittoBroker
from tests.browser.harness import (
    ALL_DESKS_LIVE,
    DemoServer,
    Publisher,
    demo_server,
    signed_in_client,
)
from tests.browser.page_checks import check_page
from tests.support import wait_until

pytestmark = pytest.mark.browser

LANGS = ("en", "ja")
FLOOR = "f3"
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
SCREEN: ViewportSize = {"width": 1920, "height": 1080}
LABEL = re.compile(r"^\d+F [A-Z]-\d\d-\d\d$")
WORDS = {
    "en": {
        "team_zone": "In your team's zone",
        "held": "is held for you",
        "elsewhere": "You hold desk",
        "checked_in": "You are checked in",
        "shown": "On the room screen now",
        "untitled": "Meeting in",
        "ended": "This meeting has ended",
    },
    "ja": {
        "team_zone": "チームのゾーン内",
        "held": "を確保しました",
        "elsewhere": "今日確保しているのは座席",
        "checked_in": "チェックインしました",
        "shown": "会議室の画面に表示中",
        "untitled": "の会議",
        "ended": "この会議は終了しました",
    },
}


@pytest.fixture(scope="module")
def sensors(mosquitto: MosquittoBroker, site: Site) -> Iterator[Publisher]:
    """The desks' sensors: one publisher, so each device's sequence numbers keep rising."""
    if not mosquitto.running:
        mosquitto.start()
    publisher = Publisher(mosquitto, site)
    yield publisher
    publisher.close()


@pytest.fixture(scope="module")
def server(
    mosquitto: MosquittoBroker,
    tmp_path_factory: pytest.TempPathFactory,
    site: Site,
    sensors: Publisher,
) -> Iterator[DemoServer]:
    """The demo city hall in the morning, every desk of 3F and 2F seen empty by its sensor."""
    with demo_server(mosquitto, tmp_path_factory, "journeys", local_hour=MORNING_HOUR) as demo:
        desks = [d.id for f in ("f3", "f2") for d in site.floor(f).desks]  # type: ignore[union-attr]
        sensors.presence_many([(desk, False, datetime.now(UTC)) for desk in desks])
        wait_until(
            lambda: all(d["state"] == "free" for f in ("f3", "f2") for d in demo.floor(f)["desks"]),
            30,
            "3F and 2F to be free",
        )
        yield demo


def people(department: str) -> list[dict[str, str]]:
    """Demo staff of a department, as in the bundled directory."""
    with demo_staff_path().open(encoding="utf-8") as rows:
        return [row for row in csv.DictReader(rows) if row["department"] == department]


@pytest.fixture
def browser_for(chromium: Browser) -> Iterator[object]:
    """Contexts as people have them: a language chosen, a laptop, a phone or a lobby screen."""
    opened: list[BrowserContext] = []

    def open_page(lang: str, size: ViewportSize, phone: bool = False) -> Page:
        context = chromium.new_context(
            viewport=size,
            locale="ja-JP" if lang == "ja" else "en-GB",
            timezone_id="Asia/Tokyo",
            is_mobile=phone,
            has_touch=phone,
            device_scale_factor=2 if phone else 1,
        )
        context.set_default_timeout(20_000)
        # The language the person chose on an earlier visit (the switch remembers it).
        context.add_init_script(f"localStorage.setItem('freeseat.lang', '{lang}')")
        opened.append(context)
        return context.new_page()

    yield open_page
    for context in opened:
        context.close()


class Shots:
    """Numbered screenshots of one journey."""

    def __init__(self, directory: Path, journey: str, lang: str) -> None:
        self.directory, self.prefix, self.n = directory, f"journey-{journey}-{lang}", 0

    def __call__(self, page: Page, step: str) -> None:
        self.n += 1
        path = self.directory / f"{self.prefix}-{self.n:02d}-{step}.png"
        page.screenshot(path=str(path))
        print(f"screenshot: {path}")


def sign_in_on_map(page: Page, person: dict[str, str]) -> None:
    page.locator("#person-search").fill(person["name"])
    page.locator(f'#people-list [data-staff-id="{person["staff_id"]}"]').click()
    expect(page.locator("#me-who")).to_be_visible()


@pytest.mark.parametrize("lang", LANGS)
def test_staff_on_a_laptop_find_a_seat_in_words_and_claim_it(
    browser_for: object,
    server: DemoServer,
    site: Site,
    sensors: Publisher,
    lang: str,
    screenshot_dir: Path,
) -> None:
    words = WORDS[lang]
    shoot = Shots(screenshot_dir, "staff-desktop", lang)
    person = people("welfare")[LANGS.index(lang)]  # the welfare division sits on 3F
    page = browser_for(lang, DESKTOP)  # type: ignore[operator]
    page.goto(f"{server.url}/?floor={FLOOR}", wait_until="commit")
    page.wait_for_function(ALL_DESKS_LIVE, arg=312, timeout=20_000)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    shoot(page, "map")
    check_page(page, f"floor map, desktop, {lang}")

    sign_in_on_map(page, person)
    expect(page.locator("#me-who")).to_contain_text(person["name_ja" if lang == "ja" else "name"])
    page.locator("#find-seat").click()
    suggestions = page.locator("#suggestions > li")
    expect(suggestions.first).to_be_visible()
    first = suggestions.first
    label = first.locator(".link-button").inner_text()
    assert LABEL.match(label), f"a desk is named by its label, not its id: {label!r}"
    expect(first.locator(".reasons")).to_contain_text(words["team_zone"])
    expect(first.locator(".reasons")).to_contain_text("3F")
    assert "f3-" not in first.inner_text(), "no zone ids in the reasons"
    shoot(page, "suggestions")

    # A suggested desk someone sits down at leaves the list at once, without asking again.
    taken = suggestions.nth(1).get_attribute("data-desk")
    assert taken
    sensors.presence_many([(taken, True, datetime.now(UTC))])
    expect(page.locator(f'#suggestions > li[data-desk="{taken}"]')).to_have_count(0)

    page.locator("#claim-desk").click()
    expect(page.locator("#seat-message")).to_contain_text(words["held"])
    expect(page.locator("#seat-message")).to_contain_text(label)
    expect(page.locator("#my-seat strong")).to_have_text(label)
    shoot(page, "claimed")
    check_page(page, f"floor map with a claimed desk, desktop, {lang}")
    page.locator("#release-seat").click()
    expect(page.locator("#my-seat")).to_have_attribute("data-state", "none")


@pytest.mark.parametrize("lang", LANGS)
def test_staff_on_a_phone_open_on_their_team_tap_desks_and_check_in_by_qr(
    browser_for: object,
    server: DemoServer,
    site: Site,
    sensors: Publisher,
    lang: str,
    screenshot_dir: Path,
) -> None:
    words = WORDS[lang]
    shoot = Shots(screenshot_dir, "staff-phone", lang)
    person = people("insurance-pension")[LANGS.index(lang)]  # a division of 2F
    page = browser_for(lang, PHONE, phone=True)  # type: ignore[operator]
    page.goto(f"{server.url}/?floor={FLOOR}", wait_until="commit")
    page.wait_for_function(ALL_DESKS_LIVE, arg=312, timeout=20_000)
    header = page.locator(".topbar").bounding_box()
    map_box = page.locator("#floor-map").bounding_box()
    assert header and map_box
    assert header["height"] <= 0.1 * PHONE["height"], f"a compact header, not {header}"
    assert map_box["height"] >= 0.45 * PHONE["height"], f"the map fills the screen: {map_box}"
    shoot(page, "map")
    check_page(page, f"floor map, phone, {lang}")

    sign_in_on_map(page, person)
    # The map moves to the team's floor and zooms in on its zone.
    expect(page.locator("#floor-map")).to_have_attribute("data-floor", "f2")
    team_zone = next(z for z in site.floor("f2").zones if z.department == "insurance-pension")  # type: ignore[union-attr]
    page.wait_for_function(
        "() => document.querySelectorAll('#floor-map [data-desk]').length === 230"
        " && Number(document.querySelector('#floor-map').dataset.zoom) > 3"
    )
    sizes = page.evaluate(
        """(zone) => {
          const map = document.querySelector('#floor-map').getBoundingClientRect();
          return [...document.querySelectorAll('#floor-map .desk')]
            .map((g) => g.getBoundingClientRect())
            .filter((r) => r.left >= map.left && r.right <= map.right
                        && r.top >= map.top && r.bottom <= map.bottom)
            .map((r) => [r.width, r.height]);
        }""",
        team_zone.id,
    )
    assert len(sizes) >= 8, "the team's zone is in view"
    assert min(min(w, h) for w, h in sizes) >= 24, f"desks large enough to tap: {sizes[:5]}"
    expect(page.locator("#find-seat")).to_be_in_viewport()
    shoot(page, "team-zone")

    page.locator("#find-seat").tap()
    expect(page.locator("#desk-details")).to_be_in_viewport()
    held = page.locator("#desk-details").get_attribute("data-desk-id")
    page.locator("#claim-desk").tap()
    expect(page.locator("#seat-message")).to_contain_text(words["held"])
    shoot(page, "claimed")
    check_page(page, f"floor map with details in the sheet, phone, {lang}")

    # The QR code of another desk: the page says, in the reader's words, where they hold one.
    other = next(d.id for d in site.floor(FLOOR).desks[10:])  # type: ignore[union-attr]
    page.goto(f"{server.url}/checkin/{other}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    page.locator("#checkin").tap()
    status = page.locator("#status")
    expect(status).to_contain_text(words["elsewhere"])
    assert held and "/api" not in status.inner_text() and held not in status.inner_text()
    shoot(page, "checkin-elsewhere")
    check_page(page, f"check-in page, {lang}")
    # Sit down, then scan: the desk's sensor sees the person, so the scan is their arrival.
    assert held is not None
    sensors.presence_many([(held, True, datetime.now(UTC))])
    wait_until(
        lambda: any(
            d["id"] == held and d["state"] == "occupied" for d in server.floor("f2")["desks"]
        ),
        20,
        "the desk's sensor seeing the person",
    )
    page.goto(f"{server.url}/checkin/{held}")
    page.locator("#checkin").tap()
    expect(page.locator("#status")).to_contain_text(words["checked_in"])
    shoot(page, "checked-in")
    sensors.presence_many([(held, False, datetime.now(UTC))])  # and leaves again
    page.locator("#release").tap()


def screen_url(server: DemoServer, room: str) -> str:
    facilities, _ = signed_in_client(server.url, "demo-facilities")
    return str(facilities.get(f"/api/rooms/{room}/links").json()["screen_url"])


@pytest.mark.parametrize("lang", LANGS)
def test_a_host_books_pairs_shares_a_page_and_ends_the_meeting(
    browser_for: object,
    server: DemoServer,
    site: Site,
    lang: str,
    screenshot_dir: Path,
    tmp_path: Path,
) -> None:
    words = WORDS[lang]
    shoot = Shots(screenshot_dir, "host", lang)
    rooms = site.floor(FLOOR).rooms  # type: ignore[union-attr]
    room, other_room = rooms[2 * LANGS.index(lang)], rooms[2 * LANGS.index(lang) + 1]
    host = people("hr")[LANGS.index(lang)]
    page = browser_for(lang, DESKTOP)  # type: ignore[operator]
    page.goto(f"{server.url}/host?floor={FLOOR}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#host-me")).not_to_contain_text("null")
    check_page(page, f"host page, signed out, {lang}")
    page.locator("#person-search").fill(host["name"])
    page.locator(f'[data-staff-id="{host["staff_id"]}"]').click()
    expect(page.locator("#host")).to_have_attribute("data-signed-in", "true")

    # Book: the room is the host's now.
    card = page.locator(f'.room-card[data-room="{room.id}"]')
    card.locator("[data-book]").click()
    card.locator('input[name="title"]').fill("Budget review")
    card.locator('button[type="submit"]').click()
    expect(card).to_contain_text("Budget review")
    shoot(page, "booked")

    # The room screen, as the room computer shows it: the code to type, nothing of a meeting.
    screen = browser_for(lang, SCREEN)  # type: ignore[operator]
    screen.goto(screen_url(server, room.id))
    expect(screen.locator("#code")).to_have_text(re.compile(r"^\d{6}$"))
    expect(screen.locator("#idle")).to_be_visible()
    expect(screen.locator("#session")).to_be_hidden()
    check_page(screen, f"room screen, idle, {lang}")
    shoot(screen, "screen-idle")

    page.locator("#pair-code").fill(screen.locator("#code").inner_text())
    page.locator("#pair-room").select_option(room.id)
    page.locator('#pair-form button[type="submit"]').click()
    session_card = page.locator(".session-card")
    expect(session_card).to_have_count(1)
    expect(screen.locator("#title")).to_have_text("Budget review")  # pushed, no reload
    # The room reads both languages: the host by both names the directory has.
    expect(screen.locator("#host")).to_have_text(f"{host['name']} / {host['name_ja']}")

    pdf = tmp_path / "budget.pdf"
    pdf.write_bytes(agenda_pdf(3, title="Budget review"))
    session_card.locator('input[type="file"]').set_input_files(str(pdf))
    session_card.locator('.inline-form button[type="submit"]').click()
    material = session_card.locator(".materials li")
    expect(material).to_have_count(1)
    material.locator('input[type="number"]').fill("2")
    material.locator("[data-show]").click()
    expect(material).to_have_attribute("data-on-screen", "true")
    shoot(page, "showing")
    check_page(page, f"host page, meeting running, {lang}")

    # The page itself reaches the room screen, drawn by the server.
    image = screen.locator("#page-img")
    expect(screen.locator("#stage")).to_be_visible()
    expect(image).to_have_attribute("src", re.compile(r"/pages/2\?"))
    screen.wait_for_function("() => document.querySelector('#page-img').naturalWidth > 0")
    shoot(screen, "screen-page")
    check_page(screen, f"room screen, a page shown, {lang}")

    # An attendee scans the QR code: the same page on the phone, and it follows the host.
    phone = browser_for(lang, PHONE, phone=True)  # type: ignore[operator]
    phone.goto(screen.locator("#viewer").inner_text())
    expect(phone.locator("#current-label")).to_contain_text(words["shown"])
    expect(phone.locator("body")).to_have_attribute("data-page", "2")
    phone.wait_for_function("() => document.querySelector('#page-img').naturalWidth > 0")
    phone.evaluate("window.notReloaded = true")
    shoot(phone, "viewer-page-2")
    check_page(phone, f"attendees' viewer, {lang}")
    material.locator('input[type="number"]').fill("3")
    material.locator("[data-show]").click()
    expect(phone.locator("body")).to_have_attribute("data-page", "3", timeout=5_000)
    expect(screen.locator("#page-img")).to_have_attribute("src", re.compile(r"/pages/3\?"))
    assert phone.evaluate("window.notReloaded === true"), "pushed, not reloaded"
    shoot(phone, "viewer-page-3")

    # Ending asks first; then the screen forgets the meeting and attendees see it ended.
    page.locator("[data-end]").click()
    expect(session_card).to_have_count(1)
    shoot(page, "end-asks")
    page.locator("[data-end-confirm]").click()
    expect(page.locator(".session-card")).to_have_count(0)
    expect(screen.locator("#session")).to_be_hidden()
    expect(screen.locator("#idle")).to_be_visible()
    expect(screen.locator("#stage")).to_be_hidden()
    assert screen.locator("#qr svg").count() == 0, "no QR code of the last meeting"
    check_page(screen, f"room screen, after the meeting, {lang}")
    shoot(screen, "screen-ended")
    expect(phone.locator("#ended")).to_be_visible()
    expect(phone.locator("#ended")).to_contain_text(words["ended"])

    # Pairing in a room someone else booked asks whose meeting it is.
    booker, _ = signed_in_client(server.url, people("hr")[2 + LANGS.index(lang)]["staff_id"])
    token = booker.get("/api/session").json()["csrf_token"]
    start = datetime.now(UTC) - timedelta(minutes=5)
    booked = booker.post(
        f"/api/rooms/{other_room.id}/bookings",
        json={
            "title": "Council prep",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
        },
        headers={"X-CSRF-Token": token},
    )
    assert booked.status_code == 201, booked.text
    other_screen = browser_for(lang, SCREEN)  # type: ignore[operator]
    other_screen.goto(screen_url(server, other_room.id))
    expect(other_screen.locator("#code")).to_have_text(re.compile(r"^\d{6}$"))
    page.locator("#pair-code").fill(other_screen.locator("#code").inner_text())
    page.locator("#pair-room").select_option(other_room.id)
    page.locator('#pair-form button[type="submit"]').click()
    ask = page.locator("#pair-ask")
    expect(ask).to_be_visible()
    expect(ask).to_contain_text("Council prep")
    booker_person = people("hr")[2 + LANGS.index(lang)]
    expect(ask).to_contain_text(booker_person["name_ja" if lang == "ja" else "name"])
    expect(page.locator(".session-card")).to_have_count(0)
    shoot(page, "pair-asks")
    check_page(page, f"host page, pairing asks, {lang}")
    ask.locator('[data-answer="own"]').click()
    expect(page.locator(".session-card")).to_have_count(1)
    expect(page.locator(".session-card strong").first).to_contain_text(words["untitled"])
    expect(other_screen.locator("#title")).to_contain_text("Meeting in")
    page.locator("[data-end]").click()
    page.locator("[data-end-confirm]").click()
    expect(page.locator(".session-card")).to_have_count(0)


# The smallest font size of any text a person can see on the page.
SMALLEST_TEXT = """() => {
  const sizes = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const el = walk.currentNode.parentElement;
    if (!walk.currentNode.textContent.trim() || !el.checkVisibility()) continue;
    if (el.closest('svg')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.bottom > innerHeight) continue;
    sizes.push([parseFloat(getComputedStyle(el).fontSize), el.className || el.tagName]);
  }
  return sizes.sort((a, b) => a[0] - b[0])[0];
}"""
FITS = "() => document.scrollingElement.scrollHeight <= innerHeight"


@pytest.mark.parametrize("lang", LANGS)
def test_the_lobby_board_fits_a_1080p_screen_and_reads_from_across_the_lobby(
    browser_for: object, server: DemoServer, site: Site, lang: str, screenshot_dir: Path
) -> None:
    shoot = Shots(screenshot_dir, "board", lang)
    page = browser_for(lang, SCREEN)  # type: ignore[operator]
    for floor in ("f3", "f7"):
        zones = len(site.floor(floor).zones)  # type: ignore[union-attr]
        page.goto(f"{server.url}/board?floor={floor}")
        expect(page.locator("#zone-cards > li")).to_have_count(zones)
        expect(page.locator("#live-status")).to_have_attribute("data-live", "true")
        assert page.evaluate(FITS), f"{floor}: the board must not need scrolling"
        shown = page.locator("#zone-cards > li:not([hidden])")
        for card in shown.all():
            box = card.bounding_box()
            assert box and box["y"] + box["height"] <= SCREEN["height"], "no card cut off"
        pages = int(page.locator("#zone-cards").get_attribute("data-pages") or "1")
        assert shown.count() * pages >= zones, "every zone is on some page"
        smallest = page.evaluate(SMALLEST_TEXT)
        assert smallest[0] >= 24, f"{floor}: text under 24 px: {smallest}"
        shoot(page, f"floor-{floor}")
        check_page(page, f"lobby board {floor}, {lang}")

    page.goto(f"{server.url}/board")
    expect(page.locator("#floor-cards > li")).to_have_count(len(site.floors()))
    assert page.evaluate(FITS)
    smallest = page.evaluate(SMALLEST_TEXT)
    assert smallest[0] >= 24, f"whole building: text under 24 px: {smallest}"
    shoot(page, "building")
    check_page(page, f"lobby board, whole building, {lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_the_facilities_page_passes_the_same_checks(
    browser_for: object, server: DemoServer, lang: str, screenshot_dir: Path
) -> None:
    page = browser_for(lang, DESKTOP)  # type: ignore[operator]
    page.goto(f"{server.url}/facilities")
    expect(page.locator("#facilities")).to_have_attribute("data-loaded", "true")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    Shots(screenshot_dir, "facilities", lang)(page, "overview")
    check_page(page, f"facilities, {lang}")
