"""The busy-ness layer on the real floor map in Chromium: badges per zone, small groups hidden."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from server.api.app import create_app
from server.composition.runtime import Runtime
from server.settings import Settings
from tests.fakes import FakeClock
from tests.support import ServerThread
from tests.wifi_support import report_stations, wifi_site

pytestmark = pytest.mark.browser


@pytest.fixture
def server(database_url: str, clock: FakeClock) -> Iterator[ServerThread]:
    settings = Settings(database_url=database_url, enable_mqtt=False)
    with ServerThread(create_app(settings, clock=clock, site=wifi_site())) as running:
        runtime: Runtime = running.app.state.runtime
        report_stations(
            runtime.ingest, clock.now(), {"ap-f1-1": 3, "ap-f1-2": 14, "ap-f2-1": 9, "ap-f2-2": 22}
        )
        yield running


def badges(page: Page) -> dict[str, str]:
    found: dict[str, str] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#floor-map .zone')]
            .map((g) => [g.dataset.zone, g.querySelector('.busyness-badge')?.textContent ?? '']))"""
    )
    return found


def test_zone_badges_show_people_and_follow_the_floor(page: Page, server: ServerThread) -> None:
    page.goto(f"{server.url}/?floor=f2")
    expect(page.locator("#floor-map [data-desk]").first).to_be_attached()
    expect(page.locator("#floor-map .busyness-badge")).to_have_count(2)
    assert badges(page) == {"f2-a": "≈ 9 people", "f2-b": "≈ 22 people"}

    # Floor 1: zone a has 3 people, so it says "fewer than 5"; zone b would then follow from
    # the floor total, so it is hidden as well.
    page.evaluate(
        "() => { const s = document.querySelector('#floor-select');"
        " s.value = 'f1'; s.dispatchEvent(new Event('change')); }"
    )
    expect(page.locator("#floor-map")).to_have_attribute("data-floor", "f1")
    expect(page.locator('#floor-map .zone[data-zone="f1-a"] .busyness-badge')).to_have_text(
        "fewer than 5"
    )
    assert badges(page) == {"f1-a": "fewer than 5", "f1-b": "fewer than 5"}
