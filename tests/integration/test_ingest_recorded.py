"""What a commit tells the agents (their applied watermark): every event of theirs it recorded,
applied, stale, duplicate or refused, with the newest epoch; nothing for off-the-shelf devices."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from contracts import DeskPresenceChanged, build_topic, encode
from firmware_config.site import Device, EsphomeSource
from server.adapters.database import make_engine, upgrade
from server.adapters.repository import SqlStore
from server.services.ingest import Ingest
from server.services.ingest_batch import BatchOutcome, Inbound
from server.services.site_index import SiteIndex
from tests.off_the_shelf_support import site_with

SITE = site_with(
    [
        Device(
            id="esp-f2-b-01",
            kind="desk",
            sensor="mmwave",
            esphome=EsphomeSource(
                prefix="esp-f2-b-01", binary_sensors={"desk_1_presence": "desk-f2-b-01-01"}
            ),
        )
    ]
)
INDEX = SiteIndex.from_site(SITE)
GW = "gw-f1-a"
AT = datetime(2026, 12, 2, 9, tzinfo=UTC)


@pytest.fixture
def ingest(database_url: str) -> Iterator[Ingest]:
    upgrade(database_url)
    engine = make_engine(database_url)
    store = SqlStore(engine)
    store.seed_desks(INDEX.desk_floor, AT)
    yield Ingest(INDEX, store)
    engine.dispose()


def event(epoch: int, seq: int, desk: str = "desk-f1-a-01-01") -> Inbound:
    body = DeskPresenceChanged(
        device=GW, epoch=epoch, seq=seq, at=AT, desk=desk, present=True, sensor="mmwave"
    )
    return Inbound(build_topic(SITE.site.id, "desk", GW, "event"), encode(body), AT)


def test_a_commit_names_every_agent_event_it_recorded_and_the_newest_epoch(
    ingest: Ingest,
) -> None:
    first = ingest.apply_batch([event(2, 1), event(2, 2)])
    assert first.recorded.seqs == {GW: {2: [1, 2]}}

    outcome = ingest.apply_batch(
        [
            event(2, 2),  # a resend: already logged
            event(1, 7),  # an earlier boot's row: stale
            event(2, 3, desk="desk-f2-a-01-01"),  # not its desk: quarantined
            event(2, 4),
        ]
    )
    assert (outcome.applied, outcome.duplicates, outcome.stale, outcome.quarantined) == (1, 1, 1, 1)
    assert outcome.recorded.seqs == {GW: {2: [2, 3, 4], 1: [7]}}
    assert outcome.recorded.newest == {GW: 2}


def test_off_the_shelf_devices_are_told_nothing(ingest: Ingest) -> None:
    outcome: BatchOutcome = ingest.apply_batch(
        [
            Inbound("esp-f2-b-01/status", b"online", AT),
            Inbound("esp-f2-b-01/binary_sensor/desk_1_presence/state", b"ON", AT),
        ]
    )
    assert outcome.applied == 1
    assert not outcome.recorded
