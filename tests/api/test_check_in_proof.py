"""A QR scan is an arrival only when something at the desk confirms it: its sensor, or the
person's own laptop on that floor's Wi-Fi. People who sit down first and scan second get the
desk they sit at. Real broker and sensors' messages, real database, the app's own lifespan."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from firmware_config.site import AccessPoint, Site
from server.adapters.embedded_broker import MosquittoBroker
from tests.fakes import FakeClock
from tests.seating_support import (
    A1,
    A2,
    A3,
    F1_DESKS,
    MORNING,
    DeskSensors,
    Running,
    app_for,
    free_desks,
    in_process,
    seating_site,
    sign_in_async,
)
from tests.support import small_site

BSSID_F1 = "02:00:00:00:00:01"
UNSENSED = "desk-f1-b-01-04"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MORNING)


def proof_site() -> Site:
    """The seating site with an AP on floor 1 and one desk no sensor serves."""
    site = seating_site()
    floors = list(site.buildings[0].floors)
    ap = AccessPoint(id="ap-f1", x=5, y=2, bssids=[BSSID_F1])
    floors[0] = floors[0].model_copy(update={"access_points": [ap]})
    building = site.buildings[0].model_copy(update={"floors": floors})
    devices = [
        d.model_copy(update={"desks": [x for x in d.desks if x != UNSENSED]}) for d in site.devices
    ]
    return site.model_copy(update={"buildings": [building], "devices": devices})


@pytest.fixture
async def running(
    broker: MosquittoBroker, database_url: str, clock: FakeClock
) -> AsyncIterator[tuple[Running, DeskSensors]]:
    site = proof_site()
    assert len(site.desks()) == len(small_site().desks())
    sensors = DeskSensors(broker.url, site)
    try:
        async with in_process(app_for(database_url, clock, site, broker.url)) as app:
            sensed = [d for d in F1_DESKS if d != UNSENSED]
            await free_desks(app.rt, sensors, sensed, clock.now())
            yield app, sensors
    finally:
        sensors.close()


async def _shown(app: Running, desk: str, state: str) -> None:
    for _ in range(500):
        if app.rt.hub.states("f1")[desk]["state"] == state:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{desk} never became {state} on the live map")


async def test_a_scan_from_elsewhere_holds_the_desk_but_is_not_an_arrival(
    running: tuple[Running, DeskSensors], clock: FakeClock
) -> None:
    app, sensors = running
    remote = app.client
    await sign_in_async(remote, "t0001")
    scanned = (await remote.post("/api/me/seat/check-in", json={"desk": A1, "how": "qr"})).json()
    assert (scanned["state"], scanned["waiting_for"]) == ("held", "desk sensor")
    assert scanned["check_in_by"] == "2026-11-30T01:00:00Z"

    async with app.new_client() as present:
        await sign_in_async(present, "t0002")
        held = await present.post("/api/me/seat/check-in", json={"desk": A2, "how": "qr"})
        assert held.json()["waiting_for"] == "desk sensor"
        clock.advance(minutes=5)
        sensors.report({A2: True}, clock.now())  # they sit down: the sensor checks them in
        await _shown(app, A2, "occupied")
        mine = (await present.get("/api/me/seat")).json()["seat"]
        assert (mine["state"], mine["check_in_how"]) == ("checked_in", "desk sensor")

    clock.advance(minutes=26)  # past the grace: nobody ever sat at A1
    app.rt.hub.publish(await asyncio.to_thread(app.rt.seating.sweep))
    assert (await remote.get("/api/me/seat")).json()["seat"] is None
    assert app.rt.hub.states("f1")[A1]["state"] == "free"


async def test_sitting_down_first_then_scanning_makes_the_walk_in_yours(
    running: tuple[Running, DeskSensors], clock: FakeClock
) -> None:
    app, sensors = running
    sensors.report({A3: True}, clock.now())
    await _shown(app, A3, "occupied")
    await sign_in_async(app.client, "t0003")
    claim = await app.client.post("/api/seats", json={"desk": A3})
    assert claim.status_code == 409 and claim.json()["code"] == "desk_taken"  # not from afar
    scanned = await app.client.post("/api/me/seat/check-in", json={"desk": A3, "how": "qr"})
    assert scanned.status_code == 200, scanned.text
    assert (scanned.json()["state"], scanned.json()["check_in_how"]) == (
        "checked_in",
        "qr + desk sensor",
    )
    desk = next(
        d
        for d in (await app.client.get("/api/desks", params={"floor": "f1"})).json()
        if d["id"] == A3
    )
    assert (desk["state"], desk["walk_in"], desk["mine"]) == ("occupied", False, True)


async def test_wifi_on_the_desks_floor_confirms_a_scan_and_unsensed_desks_are_marked(
    running: tuple[Running, DeskSensors], clock: FakeClock
) -> None:
    app, _ = running
    client = app.client
    await sign_in_async(client, "t0001")
    assert (await client.post("/api/presence/share")).status_code == 200
    reported = await client.post("/api/presence/whereami", json={"bssid": BSSID_F1})
    assert reported.status_code == 200, reported.text
    clock.advance(minutes=2)
    scanned = (await client.post("/api/me/seat/check-in", json={"desk": A1, "how": "qr"})).json()
    assert (scanned["state"], scanned["check_in_how"]) == ("checked_in", "qr + wifi")

    async with app.new_client() as other:
        await sign_in_async(other, "t0002")
        # No sensor serves this desk: a scan is all there is, as before, and counted as such.
        bare = (await other.post("/api/me/seat/check-in", json={"desk": UNSENSED})).json()
        assert (bare["state"], bare["check_in_how"]) == ("checked_in", "qr")
    await sign_in_async(client, "fac1")
    report = (await client.get("/api/analytics/no-shows", params={"days": 1})).json()
    assert (report["claims"], report["unconfirmed_check_ins"]) == (2, 1)
    assert report["desks_without_sensor"] == 1
    assert report["days"][0]["unconfirmed_check_ins"] == 1
