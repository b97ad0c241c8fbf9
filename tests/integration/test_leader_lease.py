"""The ticker lease on PostgreSQL: one holder at a time, and a stale holder cannot write."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, text

from server.adapters.database import make_engine, upgrade
from server.adapters.leader_lease import TICKER, LeaderLease, StaleLeader, fenced_engine
from server.adapters.repository import SqlStore
from server.adapters.wifi_store import SqlWifiStore
from server.composition.runtime import Runtime
from server.services.room_directory import Actor
from server.services.site_index import SiteIndex
from server.services.wifi_presence import WifiJobs
from server.settings import Settings
from tests.fakes import FakeClock
from tests.room_support import ROOM, room_site
from tests.support import small_site

INDEX = SiteIndex.from_site(small_site())
DESK = "desk-f1-a-01-01"
T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
HOST = Actor("s00005", "Abe Shota", "hr", "staff")
postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def lease(url: str, holder: str) -> LeaderLease:
    return LeaderLease(url, name=TICKER, holder=holder, retry_s=0.1)


def kill_lock_holders(url: str) -> int:
    """End the database sessions holding advisory locks, as a crash or partition would."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_locks"
                        " WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
                        " AND database = (SELECT oid FROM pg_database"
                        "                 WHERE datname = current_database())"
                    )
                ).all()
            )
    finally:
        engine.dispose()


@postgres_only
async def test_one_holder_at_a_time_and_the_epoch_moves_on_at_each_takeover(
    database_url: str,
) -> None:
    upgrade(database_url)
    a, b = lease(database_url, "a"), lease(database_url, "b")
    try:
        assert await a.try_acquire() and a.epoch == 1
        assert not await b.try_acquire() and not b.held
        assert await a.still_held()
        await a.release()
        assert await b.try_acquire() and b.epoch == 2
        assert not await a.try_acquire()
    finally:
        await a.release()
        await b.release()


def blocked(engine: Engine) -> str | None:
    with SqlStore(engine).transaction() as tx:
        desk = tx.desk(DESK)
    assert desk is not None
    return desk.blocked


@postgres_only
async def test_a_leader_that_lost_its_lock_cannot_write_behind_its_successor(
    database_url: str,
) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    SqlStore(engine).seed_desks(INDEX.desk_floor, FakeClock().now())
    a, b = lease(database_url, "a"), lease(database_url, "b")
    try:
        assert await a.try_acquire()
        assert kill_lock_holders(database_url) == 1
        assert await b.try_acquire() and b.epoch == 2
        # `a` has not noticed yet and still believes it leads at epoch 1.
        assert a.epoch == 1
        stale, successor = SqlStore(fenced_engine(engine, a)), SqlStore(fenced_engine(engine, b))
        with pytest.raises(StaleLeader, match="epoch 2"), stale.transaction() as tx:
            desk = tx.desk(DESK)
            assert desk is not None
            tx.save_desk(replace(desk, blocked="written by a stale leader"))
        assert blocked(engine) is None, "the stale leader's write was committed"
        # The successor writes; the stale leader finds out it lost the lease.
        with successor.transaction() as tx:
            desk = tx.desk(DESK)
            assert desk is not None
            tx.save_desk(replace(desk, blocked="maintenance by the ticker"))
        assert blocked(engine) == "maintenance by the ticker"
        assert not await a.still_held() and a.epoch is None
    finally:
        await a.release()
        await b.release()
        engine.dispose()


@postgres_only
async def test_a_replica_without_the_lease_can_neither_release_bookings_nor_purge_history(
    database_url: str,
) -> None:
    """Room and Wi-Fi timed jobs write through the fenced engine, like the sweep and seating."""
    upgrade(database_url)
    clock = FakeClock(T0)
    settings = Settings(database_url=database_url, enable_mqtt=False, scale_out=True)
    rt = Runtime.open(settings, clock, room_site())
    try:
        assert rt.rooms is not None and rt.scale_out is not None
        # Requests are not timed jobs: any replica books.
        rt.rooms.bookings.book(
            HOST, ROOM, "Stand-up", T0 + timedelta(minutes=5), T0 + timedelta(hours=1)
        )
        SqlWifiStore(rt.engine).add_samples(T0 - timedelta(days=500), {}, {"f1": 12.0})
        clock.set(T0 + timedelta(minutes=25))  # nobody started it: past its no-show grace
        # The lease loop never ran here, so this replica holds no epoch: its jobs must not write.
        assert not rt.scale_out.lease.held
        with pytest.raises(StaleLeader, match="holds none"):
            rt.ticker_rooms.jobs.run_due(rt.clock.now())
        with pytest.raises(StaleLeader, match="holds none"):
            WifiJobs(rt.ticker_wifi).enforce_retention(clock.now())
        (booking,) = rt.rooms.bookings.between(ROOM, T0, T0 + timedelta(hours=2))
        assert booking.status == "booked"
        assert len(SqlWifiStore(rt.engine).floor_samples("f1", T0 - timedelta(days=501), T0)) == 1
        # The same jobs through the unfenced request path do run: the refusal is the lease's.
        assert len(rt.rooms.jobs.run_due(rt.clock.now()).released) == 1
    finally:
        rt.close()
