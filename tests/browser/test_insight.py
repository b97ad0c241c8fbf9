"""The facilities insight pages in a real Chromium, on a simulated month of the demo city hall:
the headline first with its 70 % line and month picker, rotation, ghost meetings, planning,
dark zones; the printable monthly report; a person marking a day as remote. In English and
Japanese, each with its screenshot (test-output/screenshots/insight-*.png).
"""

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pypdf import PdfReader

from server.api.app import create_app
from tests.browser.harness import shoot
from tests.browser.page_checks import check_page
from tests.month_support import SimulatedMonth, paperless_by_month
from tests.support import ServerThread

pytestmark = pytest.mark.browser
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def server(simulated_month: SimulatedMonth) -> Iterator[ServerThread]:
    with ServerThread(create_app(simulated_month.settings())) as running:
        yield running


def sign_in_as(context: BrowserContext, url: str, staff_id: str) -> None:
    """Sign the browser profile in, as the page's sign-in panel does."""
    token = context.request.get(f"{url}/api/session").json()["csrf_token"]
    answer = context.request.post(
        f"{url}/api/session", data={"staff_id": staff_id}, headers={"X-CSRF-Token": token}
    )
    assert answer.ok, answer.text()


def full_page(page: Page, directory: Path, name: str) -> None:
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def test_facilities_see_the_headline_first_with_the_target_line_and_a_month_picker(
    context: BrowserContext,
    page: Page,
    server: ServerThread,
    simulated_month: SimulatedMonth,
    screenshot_dir: Path,
) -> None:
    sign_in_as(context, server.url, "demo-facilities")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{server.url}/facilities?days=28")
    page.select_option("#days-select", "28")
    expect(page.locator("#facilities")).to_have_attribute("data-loaded", "true", timeout=TIMEOUT_MS)
    months = sorted(paperless_by_month(simulated_month.month))
    headline = page.locator("#headline")
    expect(page.locator("#headline-value")).to_have_text(re.compile(r"^\d+%"), timeout=TIMEOUT_MS)
    # The headline is the first thing on the page, above the live key figures.
    first = page.locator("main > *").first
    expect(first).to_have_id("headline")
    assert page.locator("#month-select option").count() == 12
    # It opens on the latest month that has ended (the city reports whole months).
    shown = simulated_month.reported_month()
    expect(page.locator("#month-select")).to_have_value(shown)
    for chart in ("paperless-trend", "paperless-by-department"):
        line = page.locator(f'[data-chart="{chart}"] .target-line')
        expect(line).to_have_count(1)
        expect(page.locator(f'[data-chart="{chart}"] .target-label')).to_have_text("target 70%")
    bars = page.locator('[data-chart="paperless-by-department"] rect.bar')
    expect(bars).to_have_count(len(paperless_by_month(simulated_month.month)[shown]))
    # Rotation, ghost meetings, planning and dark zones are on the page, with CSV exports.
    expect(page.locator('[data-chart="rotation-by-department"] rect.bar').first).to_be_visible()
    ghosts = page.locator('[data-chart="ghost-meetings"] tbody tr')
    expect(ghosts).to_have_count(len({m.room for m in simulated_month.month.meetings if m.series}))
    planning = page.locator('[data-chart="seat-planning"] tbody tr')
    expect(planning.first).to_have_attribute("data-kind", "site")
    expect(page.locator('[data-chart="dark-zones"] rect.bar')).to_have_count(11)
    expect(page.locator('[data-chart="utilisation-by-zone"] rect.cell').first).to_be_visible()
    expect(page.locator('[data-chart="office-vs-remote"] .series')).to_have_count(2)
    check_page(page, "facilities insight, en")
    shoot(page, screenshot_dir, "insight-facilities-top-en")
    full_page(page, screenshot_dir, "insight-facilities-en")
    for month in months:
        page.select_option("#month-select", month)
        name = page.locator(f'#month-select option[value="{month}"]').inner_text()
        expect(headline.locator("#headline-text")).to_contain_text(name)
    page.locator('#lang-switch [data-lang="ja"]').click()
    expect(page.locator("#headline-title")).to_have_text("ペーパーレス会議：市の目標")
    expect(page.locator("#headline-text")).to_contain_text("課")
    expect(page.locator('[data-chart="paperless-trend"] .target-label')).to_have_text("目標 70%")
    page.evaluate("window.scrollTo(0, 0)")
    check_page(page, "facilities insight, ja")
    shoot(page, screenshot_dir, "insight-facilities-top-ja")
    full_page(page, screenshot_dir, "insight-facilities-ja")
    page.locator('#lang-switch [data-lang="en"]').click()


def test_the_monthly_report_prints_on_a4_in_japanese_and_english(
    context: BrowserContext,
    page: Page,
    server: ServerThread,
    simulated_month: SimulatedMonth,
    screenshot_dir: Path,
) -> None:
    sign_in_as(context, server.url, "demo-facilities")
    truth = paperless_by_month(simulated_month.month)
    month = simulated_month.reported_month()
    page.set_viewport_size({"width": 1100, "height": 1400})
    for lang, title in (("en", "Monthly report"), ("ja", "月次レポート")):
        page.goto(f"{server.url}/facilities/report?month={month}&lang={lang}")
        expect(page.locator("#report")).to_have_attribute("data-loaded", "true", timeout=TIMEOUT_MS)
        expect(page.locator("#report-title")).to_contain_text(title)
        rows = page.locator("#report-departments tbody tr")
        expect(rows).to_have_count(len(truth[month]))
        expect(page.locator("#report-planning tbody tr")).to_have_count(4)
        expect(page.locator("#report-trend .target-line")).to_have_count(1)
        check_page(page, f"monthly report, {lang}")
        full_page(page, screenshot_dir, f"insight-report-{lang}")
        page.emulate_media(media="print")
        expect(page.locator(".report-tools")).to_be_hidden()
        pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
        assert 1 <= len(pdf.pages) <= 2  # a month on at most two A4 sheets
        full_page(page, screenshot_dir, f"insight-report-print-{lang}")
        page.emulate_media(media="screen")


def test_staff_mark_a_day_as_remote_and_the_page_says_so(
    context: BrowserContext, page: Page, server: ServerThread, screenshot_dir: Path
) -> None:
    sign_in_as(context, server.url, "s00004")
    page.goto(f"{server.url}/?floor=f3")
    toggle = page.locator("#remote-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false", timeout=TIMEOUT_MS)
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#remote-message")).to_have_text("Marked: working remotely today.")
    check_page(page, "floor map with the remote mark, en")
    shoot(page, screenshot_dir, "insight-remote-day-en")
    page.locator('#lang-switch [data-lang="ja"]').click()
    expect(page.locator("#remote-toggle")).to_have_text("やはり出勤する")
    shoot(page, screenshot_dir, "insight-remote-day-ja")
    page.locator("#remote-toggle").click()
    expect(page.locator("#remote-toggle")).to_have_attribute("aria-pressed", "false")
