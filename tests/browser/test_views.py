"""Facilities view, lobby board and a 500-delta burst on the biggest floor, in a real Chromium.

One server on the demo site (real Mosquitto, SQLite) for the module. History for the charts is
made through the real path: desk events published over MQTT, stamped across the last day,
ingested by the server, which records the desk transitions the analytics fold.
"""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from firmware_config.site import Site
from server.adapters.embedded_broker import MosquittoBroker
from tests.browser.harness import (
    ALL_DESKS_LIVE,
    DemoServer,
    Publisher,
    demo_server,
    shoot,
    signed_in_client,
)
from tests.support import wait_until

pytestmark = pytest.mark.browser

FLOOR = "f3"
TIMEOUT_MS = 20_000
BURST = 500


@pytest.fixture(scope="module")
def server(
    mosquitto: MosquittoBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoServer]:
    with demo_server(mosquitto, tmp_path_factory, "views") as demo:
        yield demo


@pytest.fixture(scope="module")
def publisher(mosquitto: MosquittoBroker, site: Site) -> Iterator[Publisher]:
    pub = Publisher(mosquitto, site)
    try:
        yield pub
    finally:
        pub.close()


@pytest.fixture(scope="module")
def f3_desks(site: Site) -> list[str]:
    floor = site.floor(FLOOR)
    assert floor is not None
    return [desk.id for desk in floor.desks]


def states(server: DemoServer) -> dict[str, str]:
    return {d["id"]: d["state"] for d in server.floor(FLOOR)["desks"]}


def a_working_day(f3_desks: list[str]) -> list[tuple[str, bool, datetime]]:
    """Yesterday's arrivals from 08:00 and departures from 17:00, a few desks at a time."""
    start = datetime.now(UTC) - timedelta(hours=22)
    facts = []
    for i, desk in enumerate(f3_desks[:200]):
        facts.append((desk, True, start + timedelta(minutes=i % 90)))
    for i, desk in enumerate(f3_desks[:200]):
        facts.append((desk, False, start + timedelta(hours=9, minutes=i % 120)))
    facts.sort(key=lambda f: f[2])
    return facts


def test_facilities_charts_render_with_data_and_export_csv(
    page: Page,
    server: DemoServer,
    publisher: Publisher,
    f3_desks: list[str],
    screenshot_dir: Path,
    tmp_path: Path,
) -> None:
    facts = a_working_day(f3_desks)
    publisher.presence_many(facts)
    wait_until(
        lambda: sum(1 for s in states(server).values() if s == "free") == 200,
        30,
        "the server to apply the simulated day",
    )
    facilities, _ = signed_in_client(server.url, "demo-facilities")
    api = facilities.get("/api/analytics/occupancy", params={"days": 7}).json()
    facilities.close()
    assert api["peak_people"] >= 100, api["peak_people"]

    # The figures are for facilities staff: a visitor is told so and offered the sign-in.
    page.goto(f"{server.url}/facilities")
    expect(page.locator("#notice")).to_contain_text("for facilities staff")
    page.locator("#facilities-me #person-search").fill("facilities")
    page.locator('#facilities-me [data-staff-id="demo-facilities"]').click()
    expect(page.locator("#facilities")).to_have_attribute("data-loaded", "true", timeout=TIMEOUT_MS)
    for chart in (
        "now-by-floor",
        "now-by-zone",
        "utilisation-by-hour",
        "weekday-hour-heatmap",
        "daily-peak",
        "seat-ratio",
        "sensor-health",
    ):
        expect(page.locator(f'[data-chart="{chart}"]')).to_have_attribute("data-state", "data")
        expect(page.locator(f'[data-chart="{chart}"] svg')).to_be_visible()
    expect(page.locator('[data-chart="weekday-hour-heatmap"] rect.cell')).to_have_count(7 * 24)
    expect(page.locator('[data-chart="utilisation-by-hour"] .point')).not_to_have_count(0)
    expect(page.locator('[data-chart="seat-ratio"] rect.bar[data-key="f3"]')).to_have_count(1)
    expect(page.locator('[data-kpi="peak"] .kpi-value')).to_have_text(str(api["peak_people"]))
    # Figures with nothing behind them yet say so, rather than drawing a misleading zero.
    no_shows = page.locator('[data-chart="no-show-rate"]')
    expect(no_shows).to_have_attribute("data-state", "empty")
    expect(no_shows.locator(".chart-empty")).to_contain_text("No data yet")
    # No meeting has been run through freeseat yet: the paperless figure says so.
    paperless = page.locator('[data-chart="paperless-by-department"]')
    expect(paperless).to_have_attribute("data-state", "empty")
    expect(paperless.locator(".chart-empty")).to_contain_text("No data yet")
    expect(page.locator("#notice")).to_be_hidden()

    with page.expect_download() as download_info:
        page.locator('[data-csv="utilisation-by-hour"]').click()
    download = download_info.value
    assert download.suggested_filename == "utilisation-by-hour.csv"
    saved = tmp_path / "by-hour.csv"
    download.save_as(saved)
    lines = saved.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "hour,utilisation"
    assert len(lines) == 25
    by_hour = {p["hour"]: p["utilisation"] for p in api["by_hour"]}
    assert [float(x.split(",")[1]) if x.split(",")[1] else None for x in lines[1:]] == [
        by_hour[h] for h in range(24)
    ]
    shoot(page, screenshot_dir, "facilities")
    page.screenshot(path=str(screenshot_dir / "facilities-full-page.png"), full_page=True)

    page.locator('#lang-switch [data-lang="ja"]').click()
    expect(page.locator('[data-chart="utilisation-by-hour"] .chart-title')).to_have_text(
        "時間帯別の利用率"
    )
    shoot(page, screenshot_dir, "facilities-japanese")
    page.set_viewport_size({"width": 3840, "height": 2160})
    page.locator('#lang-switch [data-lang="en"]').click()
    expect(page.locator('[data-chart="utilisation-by-hour"] svg')).to_be_visible()
    shoot(page, screenshot_dir, "facilities-4k")


def test_lobby_board_updates_live(
    page: Page,
    server: DemoServer,
    publisher: Publisher,
    f3_desks: list[str],
    site: Site,
    screenshot_dir: Path,
) -> None:
    now = states(server)
    desk = next(d for d in reversed(f3_desks) if now[d] != "free")
    floor = site.floor(FLOOR)
    assert floor is not None
    zone = next(d.zone for d in floor.desks if d.id == desk)
    # A meeting running now in the first room; the board shows it busy, with nothing personal.
    room = floor.rooms[0]
    client, token = signed_in_client(server.url)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    booked = client.post(
        f"/api/rooms/{room.id}/bookings",
        json={
            "title": "Budget review",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
        },
        headers={"X-CSRF-Token": token},
    )
    assert booked.status_code == 201, booked.text

    page.goto(f"{server.url}/board?floor={FLOOR}")
    expect(page.locator("#live-status")).to_have_attribute("data-live", "true", timeout=TIMEOUT_MS)
    zone_free = page.locator(f'[data-zone-free="{zone}"]')
    free_in_zone = sum(1 for d in floor.desks if d.zone == zone and now[d.id] == "free")
    expect(zone_free).to_have_text(str(free_in_zone))
    total = sum(1 for s in now.values() if s == "free")
    expect(page.locator("#board-free")).to_have_text(str(total))
    expect(page.locator(".room-item")).to_have_count(len(floor.rooms))
    expect(page.locator(f'.room-item[data-room="{room.id}"]')).to_have_attribute(
        "data-status", "busy"
    )
    expect(page.locator(f'.room-item[data-room="{floor.rooms[1].id}"]')).to_have_attribute(
        "data-status", "free"
    )
    expect(page.locator("#rooms-note")).to_be_hidden()
    expect(page.locator("#board")).not_to_contain_text("Budget review")
    page.evaluate("window.__marker = 1")

    started = time.perf_counter()
    publisher.presence_many([(desk, False, datetime.now(UTC))])
    expect(zone_free).to_have_text(str(free_in_zone + 1), timeout=TIMEOUT_MS)
    print(f"\nlobby board: publish→board {(time.perf_counter() - started) * 1000:.0f} ms")
    expect(page.locator("#board-free")).to_have_text(str(total + 1))
    assert page.evaluate("window.__marker") == 1, "the board reloaded instead of updating live"
    shoot(page, screenshot_dir, "lobby-board")
    page.locator('#lang-switch [data-lang="ja"]').click()
    expect(page.locator("#board .board-total")).to_contain_text("席 空き")
    expect(page.locator(f'.room-item[data-room="{room.id}"] .room-status')).to_have_text("使用中")
    expect(zone_free).to_have_text(str(free_in_zone + 1))
    shoot(page, screenshot_dir, "lobby-board-japanese")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    page.locator('#lang-switch [data-lang="en"]').click()
    page.set_viewport_size({"width": 3840, "height": 2160})
    shoot(page, screenshot_dir, "lobby-board-4k")


BURST_DONE = """(expected) => Object.entries(expected).every(([id, s]) =>
    document.querySelector(`#floor-map [data-desk="${id}"]`)?.dataset.state === s)"""

WATCH_FRAMES = """() => {
  window.__burst = { versions: 0, longest: 0, longTotal: 0 };
  new MutationObserver(() => window.__burst.versions++).observe(
    document.querySelector('#floor-map'), { attributes: true, attributeFilter: ['data-version'] });
  performance.clearMeasures();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      window.__burst.longest = Math.max(window.__burst.longest, e.duration);
      window.__burst.longTotal += e.duration;
    }
  }).observe({ type: 'longtask' });
}"""

BURST_FIGURES = """() => {
  const sum = (name) => performance.getEntriesByName(name).reduce((t, e) => t + e.duration, 0);
  return { ...window.__burst, apply: sum('freeseat:apply'), render: sum('freeseat:render'),
           frames: performance.getEntriesByName('freeseat:render').length };
}"""


def test_burst_of_500_deltas_on_the_biggest_floor(
    page: Page, server: DemoServer, publisher: Publisher, f3_desks: list[str]
) -> None:
    assert len(f3_desks) >= 300
    page.goto(f"{server.url}/?floor={FLOOR}", wait_until="commit")
    handle = page.wait_for_function(ALL_DESKS_LIVE, arg=len(f3_desks), timeout=TIMEOUT_MS)
    first_render_ms = handle.json_value()
    page.evaluate(WATCH_FRAMES)

    # 500 changes: every desk of the floor is sat at, then 188 of them are left again.
    at = datetime.now(UTC)
    facts = [(d, True, at) for d in f3_desks]
    facts += [(d, False, at + timedelta(seconds=1)) for d in f3_desks[: BURST - len(f3_desks)]]
    assert len(facts) == BURST
    expected = {d: "occupied" for d in f3_desks}
    expected.update({d: "free" for d in f3_desks[: BURST - len(f3_desks)]})

    started = time.perf_counter()
    publisher.presence_many(facts)
    published_ms = (time.perf_counter() - started) * 1000
    page.wait_for_function(BURST_DONE, arg=expected, timeout=60_000, polling="raf")
    applied_ms = (time.perf_counter() - started) * 1000
    burst = page.evaluate(BURST_FIGURES)
    print(
        f"\nburst on {FLOOR} ({len(f3_desks)} desks): first render {first_render_ms:.0f} ms;"
        f" {BURST} desk events via MQTT → server → websocket → DOM in {applied_ms:.0f} ms"
        f" (publishing took {published_ms:.0f} ms; {burst['versions']} coalesced deltas);"
        f" in the page: applying {burst['apply']:.1f} ms, DOM writes {burst['render']:.1f} ms"
        f" in {burst['frames']} frames; longest main-thread task {burst['longest']:.0f} ms"
    )
    assert states(server) == expected
    occupied = sum(1 for s in expected.values() if s == "occupied")
    expect(page.locator('#legend [data-count="occupied"]')).to_have_text(str(occupied))
