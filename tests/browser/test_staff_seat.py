"""Staff on the floor map: sign in with the demo picker, find a seat, claim, check in, release.

A real server in demo mode on the demo site, a real Mosquitto and Chromium; desks become free
the way they do in the building, from sensor events over MQTT. Every change the page shows
arrives over the live feed, not by reloading.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from benchmarks.rush import MORNING_HOUR
from firmware_config.site import Site
from server.adapters.embedded_broker import MosquittoBroker
from tests.browser.harness import (
    ALL_DESKS_LIVE,
    EVENING_HOUR,
    DemoServer,
    Publisher,
    demo_server,
    report_free,
    shoot,
)
from tests.support import wait_until

pytestmark = pytest.mark.browser

FLOOR = "f3"
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def server(
    mosquitto: MosquittoBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoServer]:
    with demo_server(mosquitto, tmp_path_factory, "staff", local_hour=MORNING_HOUR) as demo:
        yield demo


@pytest.fixture(scope="module")
def free_desks(server: DemoServer, mosquitto: MosquittoBroker, site: Site) -> list[str]:
    """Every desk of f3 reported empty by its sensor: free to claim."""
    floor = site.floor(FLOOR)
    assert floor is not None
    desks = [d.id for d in floor.desks]
    report_free(mosquitto, site, server, FLOOR, desks)
    return desks


def desk_state(page: Page, desk: str) -> str | None:
    return page.get_attribute(f'#floor-map [data-desk="{desk}"]', "data-state")


def test_sign_in_find_claim_check_in_and_release(
    page: Page,
    server: DemoServer,
    free_desks: list[str],
    screenshot_dir: Path,
    mosquitto: MosquittoBroker,
    site: Site,
) -> None:
    page.goto(f"{server.url}/?floor={FLOOR}", wait_until="commit")
    page.wait_for_function(ALL_DESKS_LIVE, arg=len(free_desks), timeout=TIMEOUT_MS)
    panel = page.locator("#me-panel")
    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("data-signed-in", "false")

    # Before signing in, a desk's details say how to claim it instead of offering a button.
    page.locator(f'#floor-map [data-desk="{free_desks[0]}"]').click()
    expect(page.locator("#desk-actions")).to_contain_text("Sign in")
    expect(page.locator("#claim-desk")).to_have_count(0)

    person = page.locator("#people-list .person-button").first
    expect(person).to_be_visible()
    name = person.inner_text().split("\n")[0]
    person.click()
    expect(panel).to_have_attribute("data-signed-in", "true")
    expect(page.locator("#me-who")).to_contain_text(name)
    expect(page.locator("#my-seat")).to_have_attribute("data-state", "none")

    page.locator("#find-seat").click()
    first = page.locator("#suggestions > li").first
    expect(first).to_be_visible()
    desk = first.get_attribute("data-desk")
    assert desk in free_desks
    expect(first.locator(".reasons li")).not_to_have_count(0)
    expect(page.locator(f'#floor-map [data-desk="{desk}"]')).to_have_attribute(
        "data-suggested", "1"
    )
    expect(page.locator("#desk-details")).to_have_attribute("data-desk-id", desk)
    shoot(page, screenshot_dir, "staff-find-me-a-seat")

    page.evaluate("window.__marker = 1")
    page.locator("#claim-desk").click()
    expect(page.locator(f'#floor-map [data-desk="{desk}"]')).to_have_attribute(
        "data-state", "held", timeout=TIMEOUT_MS
    )
    my_seat = page.locator("#my-seat")
    expect(my_seat).to_have_attribute("data-desk", desk)
    expect(my_seat).to_have_attribute("data-state", "held")
    expect(page.locator(f'#floor-map [data-desk="{desk}"]')).to_have_attribute("data-mine", "true")
    assert {d["id"]: d["state"] for d in server.floor(FLOOR)["desks"]}[desk] == "held"
    shoot(page, screenshot_dir, "staff-claimed")

    # Checking in before sitting down: the desk's sensor has seen nobody, so the check-in waits
    # for it (a tap on the map proves no arrival), and the page says so instead of "checked in".
    page.locator("#check-in").click()
    expect(page.locator("#seat-message")).to_contain_text("its sensor checks you in")
    expect(my_seat).to_have_attribute("data-state", "held")
    # The person sits down: the sensor sees them and checks them in, without another tap.
    publisher = Publisher(mosquitto, site, epoch=2)  # the gateway, restarted since report_free
    try:
        publisher.presence_many([(desk, True, datetime.now(UTC))])
        expect(my_seat).to_have_attribute("data-state", "checked_in", timeout=TIMEOUT_MS)
        expect(page.locator("[data-act=check-in]")).to_have_count(0)
        # Whatever the server now shows for the desk, the map converges to it, and it stays taken.
        wait_until(
            lambda: (
                desk_state(page, desk)
                == {d["id"]: d["state"] for d in server.floor(FLOOR)["desks"]}[desk]
            ),
            20,
            "the map to show the checked-in desk as the server does",
        )
        assert desk_state(page, desk) in {"held", "away", "occupied"}
        # The person leaves (the sensor sees nobody), then releases the desk.
        publisher.presence_many([(desk, False, datetime.now(UTC))])
    finally:
        publisher.close()

    page.locator("#release-seat").click()
    expect(my_seat).to_have_attribute("data-state", "none")
    expect(page.locator(f'#floor-map [data-desk="{desk}"]')).to_have_attribute(
        "data-state", "free", timeout=TIMEOUT_MS
    )
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of updating live"


def test_a_claim_of_a_taken_desk_says_why(
    page: Page, server: DemoServer, free_desks: list[str]
) -> None:
    page.goto(f"{server.url}/?floor={FLOOR}", wait_until="commit")
    page.wait_for_function(ALL_DESKS_LIVE, arg=len(free_desks), timeout=TIMEOUT_MS)
    people = page.locator("#people-list .person-button")
    expect(people.nth(1)).to_be_visible()
    people.nth(1).click()
    expect(page.locator("#me-panel")).to_have_attribute("data-signed-in", "true")
    desk = free_desks[-1]
    page.locator(f'#floor-map [data-desk="{desk}"]').click()
    page.locator("#claim-desk").click()
    expect(page.locator("#my-seat")).to_have_attribute("data-desk", desk)

    # A second claim while holding a desk is refused with the server's reason, shown as is.
    other = free_desks[-2]
    page.locator(f'#floor-map [data-desk="{other}"]').click()
    label = next(d["label"] for d in server.floor(FLOOR)["desks"] if d["id"] == desk)
    expect(page.locator("#desk-actions")).to_contain_text(label)  # the label, not the id
    expect(page.locator("#claim-desk")).to_have_count(0)
    page.locator("#release-seat").click()
    expect(page.locator("#my-seat")).to_have_attribute("data-state", "none")


@pytest.fixture(scope="module")
def evening_server(
    mosquitto: MosquittoBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoServer]:
    with demo_server(mosquitto, tmp_path_factory, "staff-evening", local_hour=EVENING_HOUR) as demo:
        yield demo


def test_after_the_end_of_the_day_the_panel_says_so_instead_of_offering_a_claim(
    page: Page, evening_server: DemoServer, mosquitto: MosquittoBroker, site: Site
) -> None:
    floor = site.floor(FLOOR)
    assert floor is not None
    desk = floor.desks[0].id
    report_free(mosquitto, site, evening_server, FLOOR, [desk])
    page.goto(f"{evening_server.url}/?floor={FLOOR}", wait_until="commit")
    page.wait_for_function(ALL_DESKS_LIVE, arg=len(floor.desks), timeout=TIMEOUT_MS)
    page.locator("#people-list .person-button").first.click()
    expect(page.locator("#me-panel")).to_have_attribute("data-signed-in", "true")

    # Said before anyone tries: no "find me a seat", no claim button on a free desk.
    expect(page.locator("#day-over")).to_contain_text("The day is over")
    expect(page.locator("#find-seat")).to_have_count(0)
    page.locator(f'#floor-map [data-desk="{desk}"]').click()
    expect(page.locator("#day-over-hint")).to_be_visible()
    expect(page.locator("#claim-desk")).to_have_count(0)
