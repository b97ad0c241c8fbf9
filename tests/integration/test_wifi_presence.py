"""Wi-Fi presence on a real database: AP counts through ingest, busy-ness, history, retention."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from contracts import ApStationsCounted, build_topic, encode
from server.adapters.database import make_engine, upgrade
from server.adapters.repository import SqlStore
from server.adapters.tables import Base, EventRow, QuarantineRow
from server.adapters.tables_wifi import (
    WifiApCountRow,
    WifiFloorSampleRow,
    WifiLocationLookupRow,
    WifiZoneSampleRow,
)
from server.adapters.wifi_store import SqlWifiStore
from server.services.ingest import Ingest
from server.services.ingest_batch import Inbound
from server.services.site_index import SiteIndex
from server.services.wifi_presence import (
    DEFAULT_RETENTION,
    Lookup,
    Share,
    WifiJobs,
    WifiPresence,
    WifiSettings,
    WifiSiteModel,
)
from tests.fakes import FakeClock
from tests.wifi_support import wifi_site

SITE = wifi_site()


class Harness:
    def __init__(self, engine: object, clock: FakeClock) -> None:
        self.engine = engine
        self.clock = clock
        self.store = SqlStore(engine)  # type: ignore[arg-type]
        self.wifi = WifiPresence(
            WifiSiteModel.from_site(SITE),
            SqlWifiStore(engine),  # type: ignore[arg-type]
            clock,
            WifiSettings(),
        )
        self.ingest = Ingest(SiteIndex.from_site(SITE), self.store, self.wifi)
        self.seq = 0

    def count(
        self,
        ap: str,
        stations: int,
        randomised: int = 0,
        *,
        device: str | None = None,
        seq: int | None = None,
        epoch: int = 1,
    ) -> None:
        device = device or "apagent-" + ap.removeprefix("ap-")
        if seq is None:
            self.seq += 1
            seq = self.seq
        event = ApStationsCounted(
            device=device,
            epoch=epoch,
            seq=seq,
            at=self.clock.now(),
            access_point=ap,
            stations=stations,
            randomised=randomised,
        )
        topic = build_topic("testhall", "ap", device, "event")
        self.ingest.apply_batch([Inbound(topic, encode(event), self.clock.now())])

    def rows(self, table: type[Base]) -> int:
        with self.store.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def harness(database_url: str, clock: FakeClock) -> Iterator[Harness]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield Harness(engine, clock)
    engine.dispose()


def test_counts_become_people_per_zone_and_floor(harness: Harness) -> None:
    harness.count("ap-f1-1", 12, randomised=10)  # 2 laptops + 10 phones at 0.3 = 5 people
    harness.count("ap-f1-2", 20)
    live = harness.wifi.live()
    assert live.floors["f1"] == pytest.approx(25.0)
    assert live.zones["f1-a"] == pytest.approx(5.0)
    assert live.zones["f1-b"] == pytest.approx(20.0)
    assert "f1" in live.reporting and "f2" not in live.reporting
    assert harness.wifi.crowding()["f1-b"] == pytest.approx(20.0)


def test_seat_suggestions_see_new_counts_within_ten_seconds(harness: Harness) -> None:
    harness.count("ap-f1-2", 20)
    assert harness.wifi.crowding()["f1-b"] == pytest.approx(20.0)
    harness.count("ap-f1-2", 40)
    # Within the reuse window the rush's suggestions share one reading of the counts...
    harness.clock.advance(seconds=9)
    assert harness.wifi.crowding()["f1-b"] == pytest.approx(20.0)
    # ...and after it they see the new one.
    harness.clock.advance(seconds=1)
    assert harness.wifi.crowding()["f1-b"] == pytest.approx(40.0)


def test_a_silent_ap_drops_out_after_the_ttl(harness: Harness) -> None:
    harness.count("ap-f1-1", 30)
    harness.count("ap-f1-2", 30)
    harness.clock.advance(minutes=10)
    harness.count("ap-f1-2", 30)
    harness.clock.advance(minutes=10)
    live = harness.wifi.live()
    assert live.zones["f1-a"] == 0 and live.zones["f1-b"] == 30
    assert "f1" not in live.reporting  # a partial floor is not presented as the whole


def test_an_older_count_never_replaces_a_newer_one_and_duplicates_apply_once(
    harness: Harness,
) -> None:
    harness.count("ap-f1-1", 40, seq=5)
    harness.count("ap-f1-1", 3, seq=4)  # late
    harness.count("ap-f1-1", 40, seq=5)  # redelivered
    assert harness.wifi.live().zones["f1-a"] == 40
    assert harness.rows(EventRow) == 2  # seq 4 and 5, once each


def test_an_agent_reporting_another_ap_is_quarantined(harness: Harness) -> None:
    harness.count("ap-f1-2", 99, device="apagent-f1-1")
    assert harness.rows(WifiApCountRow) == 0
    with harness.store.engine.connect() as conn:
        reason = conn.execute(select(QuarantineRow.reason)).scalar_one()
    assert "reports 'ap-f1-1', not 'ap-f1-2'" in reason


def test_history_samples_become_buckets_per_floor_and_zone(harness: Harness) -> None:
    jobs = WifiJobs(harness.wifi)
    start = harness.clock.now()
    for people in (10, 20, 30, 40):
        harness.count("ap-f1-1", people)
        harness.count("ap-f1-2", people)
        jobs.run_due()
        harness.clock.advance(minutes=5)
    points = harness.wifi.floor_history(
        "f1", start, start + timedelta(minutes=20), timedelta(minutes=10)
    )
    assert [people for _, people in points] == [30.0, 70.0]  # means of (20, 40) and (60, 80)
    zones = harness.wifi.zone_history(
        "f1", start, start + timedelta(minutes=20), timedelta(minutes=10)
    )
    assert [people for _, people in zones["f1-a"]] == [15.0, 35.0]
    # Floor f2 never reported: no samples, not zeros.
    empty = harness.wifi.floor_history(
        "f2", start, start + timedelta(minutes=20), timedelta(minutes=10)
    )
    assert [people for _, people in empty] == [None, None]


def test_retention_deletes_only_rows_older_than_each_tables_limit(harness: Harness) -> None:
    now = harness.clock.now()
    store = harness.wifi.store
    # Back-dated rows: one just past each table's limit, one just inside it.
    for age, suffix in ((timedelta(days=1), "new"), (timedelta(days=500), "old")):
        at = now - age
        store.add_samples(at, {"f1-a": ("f1", 7.0)}, {"f1": 7.0})
        store.add_lookup(Lookup(at, "s1", f"viewer-{suffix}", "not_shared", "x"))
    harness.clock.set(now - timedelta(days=31))
    harness.count("ap-f1-1", 5)  # its event-log row and count row are 31 days old
    harness.clock.set(now)
    harness.count("ap-f1-2", 5)
    store.save_share(Share("s-yesterday", now - timedelta(days=1), now - timedelta(hours=2)))
    store.save_share(Share("s-today", now, now + timedelta(hours=10)))
    before = {
        t: harness.rows(t)
        for t in (WifiZoneSampleRow, WifiFloorSampleRow, WifiLocationLookupRow, EventRow)
    }

    deleted = WifiJobs(harness.wifi).enforce_retention(now)

    assert deleted == {
        "wifi_ap_counts": 1,  # the AP silent for 31 days (limit 7)
        "wifi_zone_samples": 1,  # 500 days old (limit 400)
        "wifi_floor_samples": 1,
        "wifi_location_shares": 1,  # yesterday's share, past its end of day
        "wifi_location_lookups": 1,  # 500 days (limit 90)
        "ap_event_log": 1,  # 31 days (limit 30)
    }
    assert harness.rows(WifiZoneSampleRow) == before[WifiZoneSampleRow] - 1
    assert harness.rows(WifiLocationLookupRow) == before[WifiLocationLookupRow] - 1
    assert harness.rows(EventRow) == before[EventRow] - 1
    assert store.share("s-today") is not None and store.share("s-yesterday") is None
    assert set(deleted) == set(DEFAULT_RETENTION)


def test_retention_limits_are_per_table_and_configurable(harness: Harness) -> None:
    now = harness.clock.now()
    harness.wifi.store.add_samples(now - timedelta(days=10), {"f1-a": ("f1", 9.0)}, {"f1": 9.0})
    short = WifiPresence(
        harness.wifi.model,
        harness.wifi.store,
        harness.clock,
        WifiSettings(retention={"wifi_zone_samples": timedelta(days=7)}),
    )
    assert WifiJobs(short).enforce_retention(now) == {"wifi_zone_samples": 1}
    assert harness.rows(WifiFloorSampleRow) == 1  # not named: untouched
    with pytest.raises(ValueError, match="unknown table"):
        WifiSettings(retention={"desks": timedelta(days=1)})
