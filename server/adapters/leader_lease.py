"""Singleton jobs (the ticker) on exactly one replica: an advisory lock with a fencing epoch.

The lock is a PostgreSQL session advisory lock held on a connection of its own, so it is
released the moment its replica dies (the kernel closes the socket, PostgreSQL ends the
session) and another replica takes it within `retry_s`. Each takeover increments the epoch in
the `leader_leases` row; a job's transaction re-reads that row (FOR SHARE) as it commits, and
is refused when the epoch is no longer its own. So a replica that lost the lock without
noticing yet (a stalled process, a network partition) cannot write behind its successor's back.
"""

import asyncio
import hashlib
import logging

import psycopg
from sqlalchemy import Connection, Engine, event, text

from server.adapters.pg_notify import libpq_url

log = logging.getLogger(__name__)

TICKER = "ticker"


class StaleLeader(Exception):
    """This replica no longer holds the lease; its job must not write."""


def lock_key(name: str) -> int:
    """A stable 64-bit advisory-lock key per lease name."""
    digest = hashlib.sha256(f"freeseat-lease:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class LeaderLease:
    """Holds (or keeps trying for) one named lease; `epoch` is set only while it is held."""

    def __init__(self, url: str, *, name: str, holder: str, retry_s: float = 1.0) -> None:
        self._url = libpq_url(url)
        self.name = name
        self.holder = holder
        self._retry_s = retry_s
        self._key = lock_key(name)
        self._conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self.epoch: int | None = None

    @property
    def held(self) -> bool:
        return self.epoch is not None

    async def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; on success the lease's epoch moves on by one."""
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
        cursor = await self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,))
        row = await cursor.fetchone()
        if row is None or row[0] is not True:
            return False
        cursor = await self._conn.execute(
            "INSERT INTO leader_leases (name, holder, epoch, acquired_at)"
            " VALUES (%s, %s, 1, now())"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
            " epoch = leader_leases.epoch + 1, acquired_at = excluded.acquired_at"
            " RETURNING epoch",
            (self.name, self.holder),
        )
        row = await cursor.fetchone()
        assert row is not None and isinstance(row[0], int)
        self.epoch = row[0]
        log.info("%s took the %s lease at epoch %d", self.holder, self.name, self.epoch)
        return True

    async def still_held(self) -> bool:
        """False (and the epoch forgotten) once the lock's connection is gone."""
        if self._conn is None or self.epoch is None:
            return False
        try:
            await self._conn.execute("SELECT 1")
        except (psycopg.Error, OSError):
            log.warning("%s lost the %s lease (epoch %d)", self.holder, self.name, self.epoch)
            await self.release()
            return False
        return True

    async def release(self) -> None:
        """Unlock and close the lock's connection (a crash drops it by closing alone)."""
        held = self.epoch is not None
        self.epoch = None
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            try:
                if held:
                    # Unlock explicitly: the server notices a closed connection only some time
                    # after the client closed it, and a successor trying meanwhile would fail.
                    await conn.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
                await conn.close()
            except (psycopg.Error, OSError):
                log.debug("closing the lease connection failed", exc_info=True)

    async def run(self) -> None:
        """Hold the lease, or keep trying for it, until cancelled."""
        try:
            while True:
                try:
                    if self.held:
                        await self.still_held()
                    else:
                        await self.try_acquire()
                except (psycopg.Error, OSError):
                    log.warning("%s lease: database unavailable", self.name, exc_info=True)
                    await self.release()
                await asyncio.sleep(self._retry_s)
        finally:
            await asyncio.shield(self.release())


def fenced_engine(engine: Engine, lease: LeaderLease) -> Engine:
    """`engine` (same pool), except that every commit first checks `lease` is still ours.

    The check runs inside the transaction, just before it commits, and takes the lease row
    FOR SHARE: a takeover's epoch bump waits for this commit, or this commit sees the bump and
    is refused (StaleLeader; the transaction rolls back). So however long a job ran, it writes
    only if its replica still held the lease at the moment of writing.
    """
    fenced = engine.execution_options()  # listeners added to it stay local to it

    def check(conn: Connection) -> None:
        mine = lease.epoch
        current = conn.execute(
            text("SELECT epoch FROM leader_leases WHERE name = :name FOR SHARE"),
            {"name": lease.name},
        ).scalar_one_or_none()
        if mine is None or current != mine:
            raise StaleLeader(
                f"the {lease.name} lease is at epoch {current};"
                f" this replica {'holds none' if mine is None else f'held epoch {mine}'}"
            )

    event.listen(fenced, "commit", check)
    return fenced
