"""The pump acks a message only after the transaction that applied it has committed."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from contracts import DeskPresenceChanged, build_topic, encode
from server.adapters.database import make_engine, upgrade
from server.adapters.ingest_pump import IngestPump
from server.adapters.live_feed import LiveFeedHub
from server.adapters.mqtt_bridge import Received
from server.adapters.repository import SqlStore, SqlTransaction
from server.adapters.tables import QuarantineRow
from server.services.ingest import Ingest
from server.services.site_index import SiteIndex
from tests.fakes import FakeClock
from tests.support import small_site

INDEX = SiteIndex.from_site(small_site())
TOPIC = build_topic("testhall", "desk", "gw-f1-a", "event")


class JournalingStore:
    """The real store, writing down when each transaction commits; can fail on demand."""

    def __init__(self, store: SqlStore, journal: list[str]) -> None:
        self._store = store
        self._journal = journal
        self.failures_left = 0

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        with self._store.transaction() as tx:
            yield tx
            if self.failures_left:
                self.failures_left -= 1
                raise RuntimeError("database went away")
        self._journal.append("commit")


def message(seq: int) -> Received:
    event = DeskPresenceChanged(
        device="gw-f1-a",
        epoch=1,
        seq=seq,
        at=datetime(2026, 11, 30, 9, tzinfo=UTC),
        desk="desk-f1-a-01-01",
        present=seq % 2 == 1,
        sensor="mmwave",
    )
    return Received(TOPIC, encode(event), mid=seq, qos=1)


@pytest.fixture
def parts(database_url: str) -> Iterator[tuple[JournalingStore, SqlStore, list[str]]]:
    url = database_url
    upgrade(url)
    engine = make_engine(url)
    store = SqlStore(engine)
    store.seed_desks(INDEX.desk_floor, datetime(2026, 11, 30, tzinfo=UTC))
    journal: list[str] = []
    yield JournalingStore(store, journal), store, journal
    engine.dispose()


def make_pump(store: JournalingStore, journal: list[str]) -> IngestPump:
    return IngestPump(
        queue=asyncio.Queue(),
        ingest=Ingest(INDEX, store),
        store=store,
        ack=lambda m: journal.append(f"ack {m.mid}"),
        live=LiveFeedHub(),
        clock=FakeClock(),
        batch_max=100,
        retry_delays=(0, 0),
    )


async def test_acks_follow_the_commit(parts: tuple[JournalingStore, SqlStore, list[str]]) -> None:
    store, _, journal = parts
    outcome = await make_pump(store, journal).process([message(1), message(2), message(3)])
    assert outcome.applied == 3
    assert journal == ["commit", "ack 1", "ack 2", "ack 3"]


async def test_nothing_is_acked_while_commits_fail(
    parts: tuple[JournalingStore, SqlStore, list[str]],
) -> None:
    store, _, journal = parts
    store.failures_left = 2  # two failed attempts, then the database is back
    outcome = await make_pump(store, journal).process([message(1), message(2)])
    assert outcome.applied == 2
    assert journal == ["commit", "ack 1", "ack 2"]


async def test_a_message_that_always_fails_is_quarantined_and_the_rest_flow(
    parts: tuple[JournalingStore, SqlStore, list[str]],
) -> None:
    store, sql, journal = parts
    # Batch fails 3 times (initial + 2 retries), then message 1 alone fails 3 times and is
    # quarantined; message 2 alone commits.
    store.failures_left = 6
    outcome = await make_pump(store, journal).process([message(1), message(2)])
    assert outcome.quarantined == 1 and outcome.applied == 1
    assert journal == ["commit", "ack 1", "commit", "ack 2"]
    with sql.engine.connect() as conn:
        row = conn.execute(select(QuarantineRow)).one()
    assert row.payload == message(1).payload and "could not be applied" in row.reason
