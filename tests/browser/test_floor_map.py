"""The live floor map in a real Chromium, against a real server, database and Mosquitto.

One server on the bundled demo site (7 floors, 1,602 desks) serves the whole module; the
tests look at its busiest floor, f3 (312 desks), the way a member of staff would.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from firmware_config.site import Site
from server.adapters.embedded_broker import MosquittoBroker
from server.api.refusals import catalogue
from tests.browser.harness import ALL_DESKS_LIVE, FLOOR, DemoServer, Publisher, demo_server, shoot
from tests.support import wait_until

pytestmark = pytest.mark.browser

STATES = ("free", "held", "occupied", "away", "unknown", "blocked")
STATE_NAMES = {
    "en": ("Free", "Held", "Occupied", "Away", "Unknown", "Blocked"),
    "ja": ("空き", "確保中", "使用中", "離席中", "不明", "使用不可"),
}
LIVE_CHANGE_TIMEOUT_MS = 15_000

DESK_IN_STATE = """([id, state]) =>
    document.querySelector(`#floor-map [data-desk="${id}"]`)?.dataset.state === state"""


@pytest.fixture(scope="module")
def server(
    mosquitto: MosquittoBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoServer]:
    with demo_server(mosquitto, tmp_path_factory, "browser", demo_mode=False) as demo:
        yield demo


@pytest.fixture(scope="module")
def sensors(server: DemoServer, mosquitto: MosquittoBroker, site: Site) -> Iterator[Publisher]:
    publisher = Publisher(mosquitto, site)
    try:
        yield publisher
    finally:
        publisher.close()


@pytest.fixture(scope="module")
def f3_desks(site: Site) -> list[str]:
    floor = site.floor(FLOOR)
    assert floor is not None, "the demo site has no floor f3"
    return [desk.id for desk in floor.desks]


def open_floor(page: Page, server: DemoServer, desks: int) -> float:
    """Open the floor page; return ms from navigation start until every desk is drawn and live."""
    page.goto(f"{server.url}/?floor={FLOOR}", wait_until="commit")
    handle = page.wait_for_function(ALL_DESKS_LIVE, arg=desks, timeout=LIVE_CHANGE_TIMEOUT_MS)
    elapsed: float = handle.json_value()
    return elapsed


def wait_for_desk(page: Page, desk: str, state: str) -> None:
    page.wait_for_function(DESK_IN_STATE, arg=[desk, state], timeout=LIVE_CHANGE_TIMEOUT_MS)


def test_busiest_floor_renders_every_desk_and_goes_live(
    page: Page, server: DemoServer, screenshot_dir: Path
) -> None:
    api = server.floor()
    api_states = {desk["id"]: desk["state"] for desk in api["desks"]}
    assert len(api_states) == 312, "the demo site's f3 should have 312 desks"

    first_render_ms = open_floor(page, server, len(api_states))
    print(f"\nfirst render of {FLOOR} ({len(api_states)} desks, live): {first_render_ms:.0f} ms")

    expect(page.locator("#floor-map")).to_have_attribute("data-floor", FLOOR)
    drawn = page.eval_on_selector_all(
        "#floor-map [data-desk]", "els => els.map(e => [e.dataset.desk, e.dataset.state])"
    )
    assert dict(drawn) == api_states, "the map must draw each desk of the API once, in its state"
    assert len(drawn) == len(api_states)
    expect(page.locator(f'#floor-map [data-desk="{api["desks"][0]["id"]}"]')).to_be_visible()
    expect(page.locator("#map-loading")).to_be_hidden()

    status = page.locator("#live-status")
    expect(status).to_have_attribute("data-live", "true")
    expect(status).to_have_text("Live")

    expect(page.locator("#legend [data-count]")).to_have_count(len(STATES))
    for state, name in zip(STATES, STATE_NAMES["en"], strict=True):
        row = page.locator(f'#legend [data-for-state="{state}"]')
        expect(row).to_be_visible()
        expect(row.locator(".state-label")).to_have_text(name)
        expect(row.locator(f'[data-count="{state}"]')).to_have_text(
            str(sum(1 for s in api_states.values() if s == state))
        )
    shoot(page, screenshot_dir, "f3-first-render")


def test_desk_changes_live_without_a_reload(
    page: Page,
    server: DemoServer,
    sensors: Publisher,
    f3_desks: list[str],
    screenshot_dir: Path,
) -> None:
    desk = f3_desks[0]
    open_floor(page, server, len(f3_desks))
    desk_el = page.locator(f'#floor-map [data-desk="{desk}"]')
    expect(desk_el).to_have_attribute("data-state", "unknown")
    version_before = int(page.get_attribute("#floor-map", "data-version") or "0")
    page.evaluate("window.__marker = 1")

    started = time.perf_counter()
    sensors.presence(desk, True)
    wait_for_desk(page, desk, "occupied")
    occupied_ms = (time.perf_counter() - started) * 1000

    occupied_now = sum(1 for d in server.floor()["desks"] if d["state"] == "occupied")
    expect(page.locator('#legend [data-count="occupied"]')).to_have_text(str(occupied_now))
    assert int(page.get_attribute("#floor-map", "data-version") or "0") > version_before
    shoot(page, screenshot_dir, "f3-desk-occupied-live")

    started = time.perf_counter()
    sensors.presence(desk, False)
    wait_for_desk(page, desk, "free")
    free_ms = (time.perf_counter() - started) * 1000
    print(f"\npublish→DOM latency: occupied {occupied_ms:.0f} ms, free {free_ms:.0f} ms")

    free_now = sum(1 for d in server.floor()["desks"] if d["state"] == "free")
    expect(page.locator('#legend [data-count="free"]')).to_have_text(str(free_now))
    expect(page.locator('#legend [data-count="occupied"]')).to_have_text(str(occupied_now - 1))
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of updating live"
    shoot(page, screenshot_dir, "f3-desk-free-live")


def test_clicking_a_desk_opens_its_details(
    page: Page, server: DemoServer, f3_desks: list[str], screenshot_dir: Path
) -> None:
    desk = f3_desks[len(f3_desks) // 2]
    api_desk = next(d for d in server.floor()["desks"] if d["id"] == desk)
    zone = next(z for z in server.floor()["zones"] if z["id"] == api_desk["zone"])
    open_floor(page, server, len(f3_desks))
    panel = page.locator("#desk-details")
    expect(panel).to_be_hidden()

    page.locator(f'#floor-map [data-desk="{desk}"]').click()

    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("data-desk-id", desk)
    expect(panel.locator('[data-field="title"]')).to_have_text(f"Desk {api_desk['label']}")
    expect(panel.locator('[data-field="floor"]')).to_have_text("3F")
    expect(panel.locator('[data-field="zone"]')).to_have_text(zone["name"])
    expect(panel.locator('[data-field="state"]')).to_have_text(
        STATE_NAMES["en"][STATES.index(api_desk["state"])]
    )
    # Why, in words: the API says a kind, never who.
    reason = catalogue("en")[f"deskReason.{api_desk['reason']}"]
    expect(panel.locator('[data-field="reason"]')).to_have_text(reason)
    expect(page.locator(f'#floor-map [data-desk="{desk}"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#desk-details-empty")).to_be_hidden()
    shoot(page, screenshot_dir, "f3-desk-details")


def test_page_resyncs_after_a_server_restart(
    page: Page,
    server: DemoServer,
    sensors: Publisher,
    f3_desks: list[str],
    screenshot_dir: Path,
) -> None:
    # Chromium's offline emulation (context.set_offline) leaves open websockets alone, so the
    # gap is made for real: the server goes away, a sensor reports while it is down, and the
    # server comes back on the same URL and database and takes the event from its MQTT session.
    desk = f3_desks[-1]
    open_floor(page, server, len(f3_desks))
    desk_el = page.locator(f'#floor-map [data-desk="{desk}"]')
    expect(desk_el).to_have_attribute("data-state", "unknown")
    status = page.locator("#live-status")
    page.evaluate("window.__marker = 1")

    server.stop()
    try:
        expect(status).to_have_attribute("data-live", "false")
        expect(status).to_have_text("Reconnecting…")
        sensors.presence(desk, True)
        shoot(page, screenshot_dir, "f3-reconnecting-while-server-down")
        expect(desk_el).to_have_attribute("data-state", "unknown")
    finally:
        server.start()  # the module's other tests share this server
    wait_until(
        lambda: any(d["id"] == desk and d["state"] == "occupied" for d in server.floor()["desks"]),
        15,
        "the restarted server to apply the event published while it was down",
    )
    wait_for_desk(page, desk, "occupied")
    expect(status).to_have_attribute("data-live", "true")
    expect(status).to_have_text("Live")
    assert int(page.get_attribute("#live-status", "data-resyncs") or "0") >= 1
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of resyncing"
    shoot(page, screenshot_dir, "f3-resynced-after-server-restart")


def test_japanese_labels_survive_a_reload(
    page: Page, server: DemoServer, f3_desks: list[str], screenshot_dir: Path
) -> None:
    open_floor(page, server, len(f3_desks))
    labels = page.locator("#legend .state-label")
    expect(labels).to_have_text(list(STATE_NAMES["en"]))
    expect(page.locator("#legend-title")).to_have_text("Legend")

    page.locator('#lang-switch [data-lang="ja"]').click()

    def expect_japanese() -> None:
        expect(labels).to_have_text(list(STATE_NAMES["ja"]))
        expect(page.locator("#legend-title")).to_have_text("凡例")
        expect(page.locator("#live-status")).to_have_text("ライブ")
        expect(page.locator(".floor-picker span")).to_have_text("フロア")
        expect(page.locator("html")).to_have_attribute("lang", "ja")
        expect(page.locator('#lang-switch [data-lang="ja"]')).to_have_attribute(
            "aria-pressed", "true"
        )

    expect_japanese()
    shoot(page, screenshot_dir, "f3-japanese")

    page.reload(wait_until="commit")
    page.wait_for_function(ALL_DESKS_LIVE, arg=len(f3_desks), timeout=LIVE_CHANGE_TIMEOUT_MS)
    expect_japanese()
    shoot(page, screenshot_dir, "f3-japanese-after-reload")
