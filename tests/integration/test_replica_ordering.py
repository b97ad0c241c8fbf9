"""Two replicas applying one desk's events at once: the newer reading wins, whoever commits last.

Only PostgreSQL runs several replicas (SQLite has one writer at a time), so these tests take the
PostgreSQL half of `database_url`.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from contracts import DeskPresenceChanged, build_topic, encode
from server.adapters.database import make_engine, upgrade
from server.adapters.repository import SqlStore
from server.adapters.tables import EventRow
from server.services.ingest import Ingest
from server.services.ingest_batch import Inbound
from server.services.ports import Transaction
from server.services.site_index import SiteIndex
from tests.fakes import FakeClock
from tests.support import small_site, wait_until

INDEX = SiteIndex.from_site(small_site())
GW = "gw-f1-a"
DESK = "desk-f1-a-01-01"
TOPIC = build_topic("testhall", "desk", GW, "event")
postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


class PausingStore:
    """A replica that stops inside its transaction right after reading the desk."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self.holding = threading.Event()
        self.release = threading.Event()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._store.transaction() as tx:
            yield _Pausing(tx, self)


class _Pausing:
    def __init__(self, tx: Transaction, owner: PausingStore) -> None:
        self._tx = tx
        self._owner = owner

    def desk(self, desk_id: str) -> Any:
        status = self._tx.desk(desk_id)
        if not self._owner.holding.is_set():
            self._owner.holding.set()
            assert self._owner.release.wait(30), "the test never released the replica"
        return status

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)


def presence(seq: int, present: bool, clock: FakeClock) -> Inbound:
    event = DeskPresenceChanged(
        device=GW, epoch=1, seq=seq, at=clock.now(), desk=DESK, present=present, sensor="mmwave"
    )
    return Inbound(TOPIC, encode(event), clock.now())


def waiting_on_a_row_lock(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return bool(waiting)


@postgres_only
@pytest.mark.parametrize("first", ["newer", "older"])
def test_the_newer_reading_wins_whichever_replica_commits_first(
    database_url: str, first: str
) -> None:
    clock = FakeClock()
    upgrade(database_url)
    engine = make_engine(database_url)
    store = SqlStore(engine)
    store.seed_desks(INDEX.desk_floor, clock.now())
    Ingest(INDEX, store).apply_batch([presence(4, False, clock)])
    older, newer = presence(5, False, clock), presence(6, True, clock)

    # Replica one reads the desk and stops there; replica two starts on the same desk.
    paused = PausingStore(store)
    one_message, two_message = (newer, older) if first == "newer" else (older, newer)
    one = threading.Thread(target=Ingest(INDEX, paused).apply_batch, args=([one_message],))
    two = threading.Thread(target=Ingest(INDEX, store).apply_batch, args=([two_message],))
    one.start()
    try:
        assert paused.holding.wait(10), "replica one never read the desk"
        two.start()
        # Replica two must wait for replica one's row: without the lock it would read the same
        # reading and race to overwrite.
        wait_until(
            lambda: waiting_on_a_row_lock(database_url), 10, "replica two to wait on the desk row"
        )
    finally:
        paused.release.set()
        one.join(30)
    two.join(30)

    with store.transaction() as tx:
        desk = tx.desk(DESK)
    assert desk is not None and desk.present is True, "the older reading overwrote the newer"
    assert desk.reading is not None and desk.reading.position.seq == 6
    with engine.connect() as conn:
        applied = {seq: ok for seq, ok in conn.execute(select(EventRow.seq, EventRow.applied))}
    assert applied == {4: True, 5: first == "older", 6: True}
    engine.dispose()
