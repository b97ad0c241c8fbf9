"""The simulator drives the site's APs too: their counts reach the server's busy-ness."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from edge_agent.ap_simulator import ApSimulation
from edge_agent.simulator import Simulation
from server.adapters.embedded_broker import MosquittoBroker
from server.api.app import create_app
from server.composition.runtime import Runtime
from server.settings import Settings
from tests.fakes import FakeClock
from tests.support import ServerThread, wait_until
from tests.wifi_support import wifi_site

TZ = ZoneInfo("Asia/Tokyo")
MORNING = datetime(2026, 12, 1, 10, 30, tzinfo=TZ)


def test_every_ap_of_the_site_reports_staff_devices_during_the_day(
    broker: MosquittoBroker, database_url: str
) -> None:
    site = wifi_site(desks_per_zone=12)
    clock = FakeClock(MORNING + timedelta(minutes=2))
    settings = Settings(database_url=database_url, broker_url=broker.url)
    simulation = Simulation(site, broker.url, speed=60, start=MORNING, tick_s=0.1)
    with ServerThread(create_app(settings, clock=clock, site=site)) as server:
        runtime: Runtime = server.app.state.runtime
        wait_until(
            lambda: httpx.get(f"{server.url}/api/health").json()["broker_connected"],
            what="server subscribed at the broker",
        )
        simulation.start()
        try:
            wifi = runtime.wifi
            assert wifi is not None
            wait_until(
                lambda: len(wifi.store.counts()) == 4,
                timeout=20,
                what="a count from each of the four APs",
            )
            counts = wifi.store.counts()
            floors = httpx.get(f"{server.url}/api/busyness").json()["floors"]
        finally:
            simulation.stop()
    # Mid-morning most of the 24 desks per floor are in use: well over five people per floor.
    assert all(c.stations >= 5 for c in counts), counts
    assert any(c.randomised > 0 for c in counts)  # phones with randomised addresses
    assert all(f["reporting"] and f["people"] >= 10 for f in floors), floors


def test_everyone_has_left_by_night() -> None:
    aps = ApSimulation(wifi_site(desks_per_zone=12), seed=3)
    assert aps.access_points == 4
    assert aps.people_on_wifi(MORNING) >= 20  # of 48 desks
    assert aps.people_on_wifi(MORNING.replace(hour=23)) == 0
    assert aps.people_on_wifi(MORNING.replace(hour=6)) == 0
