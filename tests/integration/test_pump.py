"""The pump acks a message only after the transaction that applied it has committed."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select

from contracts import DeskPresenceChanged, build_topic, encode
from server.adapters.database import make_engine, upgrade
from server.adapters.ingest_pump import IngestPump
from server.adapters.live_feed import LiveFeedHub
from server.adapters.mqtt_bridge import Received
from server.adapters.repository import SqlStore, SqlTransaction
from server.adapters.tables import EventRow, QuarantineRow
from server.services.ingest import Ingest
from server.services.ingest_batch import BatchOutcome, Inbound
from server.services.ports import Store
from server.services.site_index import SiteIndex
from tests.fakes import FakeClock
from tests.outage_support import outage_for
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


class SteppedSleep:
    """The pump's sleep: advances the fake clock instead of waiting, and runs a step per call."""

    def __init__(self, clock: FakeClock, step: Callable[[int], None] = lambda _: None) -> None:
        self.clock = clock
        self.delays: list[float] = []
        self._step = step

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.clock.advance(delay)
        self._step(len(self.delays))
        await asyncio.sleep(0)


def make_pump(
    store: Store,
    journal: list[str],
    sleep: SteppedSleep | None = None,
    apply: Callable[[list[Inbound]], Awaitable[BatchOutcome]] | None = None,
) -> IngestPump:
    clock = sleep.clock if sleep is not None else FakeClock()
    return IngestPump(
        queue=asyncio.Queue(),
        ingest=Ingest(INDEX, store),
        store=store,
        ack=lambda m: journal.append(f"ack {m.mid}"),
        live=LiveFeedHub(),
        clock=clock,
        batch_max=100,
        retry_delays=(0, 0),
        apply=apply,
        sleep=sleep or SteppedSleep(clock),
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
    # The batch fails, and so does the empty transaction that probes the database: an outage,
    # waited out; then the database is back.
    store.failures_left = 2
    pump = make_pump(store, journal)
    outcome = await pump.process([message(1), message(2)])
    assert outcome.applied == 2 and outcome.quarantined == 0
    assert journal == ["commit", "ack 1", "ack 2"]
    assert pump.outage is None and pump.outage_retries == 1


async def test_a_message_that_fails_alone_with_the_database_healthy_is_quarantined(
    parts: tuple[JournalingStore, SqlStore, list[str]],
) -> None:
    store, sql, journal = parts
    ingest = Ingest(INDEX, store)
    poison = message(1)

    async def apply(inbound: list[Inbound]) -> BatchOutcome:
        if any(one.payload == poison.payload for one in inbound):
            raise ValueError("this message trips a bug")
        return await asyncio.to_thread(ingest.apply_batch, inbound)

    pump = make_pump(store, journal, apply=apply)
    outcome = await pump.process([poison, message(2)])
    assert outcome.quarantined == 1 and outcome.applied == 1
    assert [entry for entry in journal if entry.startswith("ack")] == ["ack 1", "ack 2"]
    assert pump.outage_retries == 0, "a healthy database is no outage"
    with sql.engine.connect() as conn:
        row = conn.execute(select(QuarantineRow)).one()
    assert row.payload == poison.payload
    assert row.reason == "could not be applied: ValueError: this message trips a bug"


async def test_a_database_outage_holds_the_batch_unacknowledged_and_quarantines_nothing(
    database_url: str,
) -> None:
    """SQLite locked by another writer, or PostgreSQL refusing connections: wait, then apply."""
    outage = outage_for(database_url)
    upgrade(outage.url)
    engine = make_engine(outage.url)
    if engine.dialect.name == "sqlite":
        # Fail fast on the lock instead of SQLite's 30 s busy timeout: the test sees the kind.
        event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA busy_timeout = 50"))
    store = SqlStore(engine)
    store.seed_desks(INDEX.desk_floor, datetime(2026, 11, 30, tzinfo=UTC))
    journal: list[str] = []
    seen: list[tuple[str | None, int]] = []

    def step(n: int) -> None:
        seen.append((pump.outage.reason if pump.outage else None, pump.pending))
        if n == 4:
            outage.end()

    sleep = SteppedSleep(FakeClock(), step)
    pump = make_pump(store, journal, sleep)
    outage.start()
    try:
        outcome = await pump.process([message(1), message(2), message(3)])
    finally:
        outage.end()
    reason = "database_locked" if engine.dialect.name == "sqlite" else "database_unreachable"
    assert seen == [(reason, 3)] * 4, "held, unacknowledged, with the reason"
    assert outcome.applied == 3 and outcome.quarantined == 0
    assert journal == ["ack 1", "ack 2", "ack 3"]
    assert sleep.delays == [0.2, 0.4, 0.8, 1.6], "capped exponential back-off"
    assert pump.outage is None and pump.pending == 0
    assert pump.outage_retries == 4 and pump.outage_seconds() == pytest.approx(3.0)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(QuarantineRow)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(EventRow)).scalar() == 3
    engine.dispose()
