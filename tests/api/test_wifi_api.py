"""Busy-ness and opt-in location over HTTP: suppression, sharing, BSSID reports, audit."""

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from server.adapters.database import make_engine, upgrade
from server.adapters.wifi_store import SqlWifiStore
from server.api.app import create_app
from server.composition.runtime import Runtime
from server.services.wifi_presence import Lookup
from server.settings import Settings
from tests.fakes import FakeClock
from tests.signin import sign_in
from tests.support import ServerThread, wait_until
from tests.wifi_support import BSSIDS, report_stations, wifi_site


@pytest.fixture
def server(database_url: str, clock: FakeClock) -> Iterator[ServerThread]:
    settings = Settings(database_url=database_url, enable_mqtt=False, demo_mode=True)
    with ServerThread(create_app(settings, clock=clock, site=wifi_site())) as running:
        yield running


def runtime_of(server: ServerThread) -> Runtime:
    rt: Runtime = server.app.state.runtime
    return rt


def report(server: ServerThread, clock: FakeClock, counts: dict[str, int], seq: int) -> None:
    report_stations(runtime_of(server).ingest, clock.now(), counts, seq)


def test_busyness_shows_zones_of_five_or_more_and_hides_smaller_groups(
    server: ServerThread, clock: FakeClock
) -> None:
    report(server, clock, {"ap-f1-1": 3, "ap-f1-2": 9, "ap-f2-1": 8, "ap-f2-2": 12}, seq=1)
    with httpx.Client(base_url=server.url) as client:
        body = client.get("/api/busyness").json()
    assert body["min_group"] == 5
    f1, f2 = body["floors"]
    assert (f1["floor"], f1["people"], f1["reporting"]) == ("f1", 12, True)
    # Zone a has 3: hidden. Zone b (9) would then follow from 12 - 3, so it is hidden too.
    assert {z["zone"]: (z["people"], z["suppressed"]) for z in f1["zones"]} == {
        "f1-a": (None, True),
        "f1-b": (None, True),
    }
    assert {z["zone"]: z["people"] for z in f2["zones"]} == {"f2-a": 8, "f2-b": 12}


def test_a_floor_under_five_people_is_suppressed_and_a_silent_floor_is_unknown(
    server: ServerThread, clock: FakeClock
) -> None:
    report(server, clock, {"ap-f1-1": 2, "ap-f1-2": 2, "ap-f2-1": 30}, seq=1)
    with httpx.Client(base_url=server.url) as client:
        f1 = client.get("/api/floors/f1/busyness").json()
        f2 = client.get("/api/floors/f2/busyness").json()
        missing = client.get("/api/floors/f9/busyness")
    assert (f1["people"], f1["suppressed"]) == (None, True)
    assert all(z["people"] is None and z["suppressed"] for z in f1["zones"])
    # ap-f2-2 never reported: the floor is not presented as if it had 30 people.
    assert (f2["people"], f2["reporting"]) == (None, False)
    assert missing.status_code == 404 and "known floors: f1, f2" in missing.json()["detail"]


def test_floor_history_over_time_with_suppressed_buckets(
    server: ServerThread, clock: FakeClock
) -> None:
    start = clock.now()
    # 20 min of 2+2 people (suppressed), then 40 min of 20+20.
    for minute in range(0, 60, 5):
        people = 2 if minute < 20 else 20
        report(server, clock, {"ap-f1-1": people, "ap-f1-2": people}, seq=minute + 1)
        runtime_of(server).wifi.store.add_samples(  # type: ignore[union-attr]
            clock.now(), {"f1-a": ("f1", people), "f1-b": ("f1", people)}, {"f1": 2 * people}
        )
        clock.advance(minutes=5)
    with httpx.Client(base_url=server.url) as client:
        body = client.get(
            "/api/floors/f1/busyness/history",
            params={"since": start.isoformat(), "until": clock.now().isoformat(), "bucket_min": 20},
        ).json()
        bad = client.get(
            "/api/floors/f1/busyness/history",
            params={"since": clock.now().isoformat(), "until": start.isoformat()},
        )
    assert [(p["people"], p["suppressed"]) for p in body["points"]] == [
        (None, True),
        (40, False),
        (40, False),
    ]
    assert [p["people"] for p in body["zones"]["f1-a"]] == [None, 20, 20]
    assert bad.status_code == 422 and "since must be before until" in bad.json()["detail"]


def test_find_a_colleague_only_after_they_opt_in_and_every_lookup_is_audited(
    server: ServerThread, clock: FakeClock
) -> None:
    with httpx.Client(base_url=server.url) as abe, httpx.Client(base_url=server.url) as ito:
        sign_in(abe, "s00005")
        sign_in(ito, "s00006")

        hidden = ito.get("/api/presence/colleagues/s00005").json()
        assert hidden["found"] is False and hidden["zone"] is None

        refused = abe.post("/api/presence/whereami", json={"bssid": BSSIDS["f2", 2][1]})
        assert refused.status_code == 409 and "turn it on first" in refused.json()["detail"]

        shared = abe.post("/api/presence/share").json()
        assert shared["sharing"] is True
        bssid = BSSIDS["f2", 2][1].upper().replace(":", "-")  # as Windows prints it
        here = abe.post("/api/presence/whereami", json={"bssid": bssid}).json()
        assert (here["floor"], here["zone"]) == ("f2", "f2-b")

        unknown = abe.post("/api/presence/whereami", json={"bssid": "0a:99:99:99:99:99"})
        assert unknown.status_code == 422 and "not one of this site's" in unknown.json()["detail"]
        garbage = abe.post("/api/presence/whereami", json={"bssid": "not-a-mac"})
        assert garbage.status_code == 422 and "aa:bb:cc:dd:ee:ff" in garbage.json()["detail"]

        found = ito.get("/api/presence/colleagues/s00005").json()
        assert (found["found"], found["floor"], found["zone"]) == (True, "f2", "f2-b")

        audit = abe.get("/api/presence/lookups").json()
        assert [(a["viewer"], a["outcome"]) for a in audit] == [
            ("s00006", "found"),
            ("s00006", "not_shared"),
        ]

        # Sharing ends by itself at the end of the local day (Asia/Tokyo midnight).
        until = shared["until"]
        clock.set(clock.now().fromisoformat(until) + timedelta(seconds=1))
        assert ito.get("/api/presence/colleagues/s00005").json()["found"] is False
        assert abe.get("/api/presence/share").json()["sharing"] is False


def test_turning_sharing_off_forgets_the_place_at_once(server: ServerThread) -> None:
    with httpx.Client(base_url=server.url) as abe, httpx.Client(base_url=server.url) as ito:
        sign_in(abe, "s00005")
        sign_in(ito, "s00006")
        abe.post("/api/presence/share")
        abe.post("/api/presence/whereami", json={"bssid": BSSIDS["f1", 1][0]})
        assert abe.delete("/api/presence/share").json()["sharing"] is False
        assert ito.get("/api/presence/colleagues/s00005").json()["found"] is False
        assert runtime_of(server).wifi.store.share("s00005") is None  # type: ignore[union-attr]


def test_location_needs_sign_in_and_the_csrf_token(server: ServerThread) -> None:
    with httpx.Client(base_url=server.url) as anonymous:
        assert anonymous.get("/api/presence/colleagues/s00005").status_code == 401
    with httpx.Client(base_url=server.url) as abe:
        sign_in(abe, "s00005")
        del abe.headers["X-CSRF-Token"]
        assert abe.post("/api/presence/share").status_code == 403


def test_the_server_runs_retention_on_its_own_at_start(database_url: str, clock: FakeClock) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        store = SqlWifiStore(engine)
        store.add_lookup(Lookup(clock.now() - timedelta(days=120), "s1", "s2", "found", "x"))
        store.add_lookup(Lookup(clock.now() - timedelta(days=2), "s1", "s3", "found", "x"))
        settings = Settings(database_url=database_url, enable_mqtt=False)
        with ServerThread(create_app(settings, clock=clock, site=wifi_site())):
            wait_until(
                lambda: len(store.lookups("s1", clock.now() - timedelta(days=400))) == 1,
                what="the 120-day-old lookup deleted by the retention job",
            )
        assert [item.viewer for item in store.lookups("s1", clock.now() - timedelta(days=400))] == [
            "s3"
        ]
    finally:
        engine.dispose()
