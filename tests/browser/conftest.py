"""Browser fixtures: Debian's Chromium driven by Playwright, and where screenshots go."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from firmware_config.loader import load_site
from firmware_config.paths import demo_site_path
from firmware_config.site import Site

CHROMIUM = Path("/usr/bin/chromium")
# The machine has no network beyond loopback: without these Chromium dials out and gets refused.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Debian Chromium per test module (Playwright never downloads a browser)."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing; scripts/test installs it "
            "(apt-get install chromium fonts-noto-cjk)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    """A fresh profile per test (own localStorage, online), in English, at a laptop's size."""
    ctx = chromium.new_context(
        locale="en-GB", viewport={"width": 1280, "height": 800}, timezone_id="Asia/Tokyo"
    )
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """test-output/screenshots/ under the repository root (gitignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="module")
def site() -> Site:
    """The bundled demo city hall (7 floors, 1,602 desks) that every browser module serves."""
    return load_site(demo_site_path())
