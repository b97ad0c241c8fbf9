"""The QR check-in page on a phone: sign in, check in, and the floor map shows it live.

A phone-sized Chromium context (touch, Japanese) opens the page a desk's QR code leads to; a
desktop page keeps the floor map open meanwhile.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from benchmarks.rush import MORNING_HOUR
from firmware_config.site import Site
from server.adapters.embedded_broker import MosquittoBroker
from tests.browser.harness import (
    ALL_DESKS_LIVE,
    DemoServer,
    Publisher,
    demo_server,
    report_free,
    shoot,
)
from tests.support import wait_until

pytestmark = pytest.mark.browser

FLOOR = "f3"


@pytest.fixture(scope="module")
def server(
    mosquitto: MosquittoBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoServer]:
    with demo_server(mosquitto, tmp_path_factory, "checkin", local_hour=MORNING_HOUR) as demo:
        yield demo


@pytest.fixture
def phone(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_checking_in_from_the_qr_page_on_a_phone(
    phone: Page,
    page: Page,
    server: DemoServer,
    mosquitto: MosquittoBroker,
    site: Site,
    screenshot_dir: Path,
) -> None:
    floor = site.floor(FLOOR)
    assert floor is not None
    desk = floor.desks[5].id
    report_free(mosquitto, site, server, FLOOR, [desk])
    page.goto(f"{server.url}/?floor={FLOOR}", wait_until="commit")
    page.wait_for_function(ALL_DESKS_LIVE, arg=len(floor.desks), timeout=20_000)
    on_map = page.locator(f'#floor-map [data-desk="{desk}"]')
    expect(on_map).to_have_attribute("data-state", "free")
    # People sit down, then scan: the desk's sensor sees someone nobody holds, shown as taken.
    sitting = Publisher(mosquitto, site, epoch=2)
    try:
        sitting.presence_many([(desk, True, datetime.now(UTC))])
    finally:
        sitting.close()
    expect(on_map).to_have_attribute("data-state", "occupied", timeout=20_000)

    phone.goto(f"{server.url}/checkin/{desk}")
    expect(phone.locator("html")).to_have_attribute("lang", "ja")
    phone.locator("#demo-query").fill("a")
    first = phone.locator("#demo-people button").first
    expect(first).to_be_visible()
    first.tap()
    expect(phone.locator("#actions")).to_be_visible()
    phone.locator("#checkin").tap()
    expect(phone.locator("#status")).to_contain_text("チェックインしました")
    fits = phone.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    assert fits, "the check-in page must fit a phone's width without sideways scrolling"
    shoot(phone, screenshot_dir, "checkin-phone")

    # The scan made the walk-in theirs; the open map shows what the server says, unreloaded.
    expect(on_map).not_to_have_attribute("data-state", "free", timeout=20_000)
    wait_until(
        lambda: (
            on_map.get_attribute("data-state")
            == {d["id"]: d["state"] for d in server.floor(FLOOR)["desks"]}[desk]
        ),
        15,
        "the floor map to show the desk as the server does",
    )
