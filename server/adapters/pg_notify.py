"""Live-feed deltas across replicas: PostgreSQL NOTIFY names the desks that changed.

Every replica, the one that committed the change included, LISTENs and re-reads the named desks
from the database before giving them to its own live-feed hub. Reading rather than trusting the
message makes the order of notifications irrelevant: two replicas that commit changes to one
desk may notify in either order, and every replica still ends on the committed state.

Versions are numbered by each replica's hub: a client's snapshot and the deltas after it come
from the one replica it is connected to, so they stay consecutive on every replica; a client
that reconnects, to any replica, starts again from a snapshot.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator

import psycopg
from psycopg import sql
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from server.adapters.live_feed import LiveFeedHub, desk_view
from server.adapters.repository import desk_status
from server.adapters.tables import DeskRow
from server.domain.occupancy import DeskStatus

log = logging.getLogger(__name__)

CHANNEL = "freeseat_live"
# NOTIFY payloads must stay under 8000 bytes; desk ids are at most 24 characters.
IDS_PER_NOTIFY = 250
READ_CHUNK = 500


Connection = psycopg.AsyncConnection[tuple[object, ...]]


async def run_connected(
    url: str, retry_s: float, what: str, session: Callable[[Connection], Awaitable[None]]
) -> None:
    """Run `session` on an autocommit connection to `url`, reconnecting every time the
    database goes away, until cancelled."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await session(conn)
        except (psycopg.Error, OSError):
            log.exception("%s lost the database; reconnecting", what)
        await asyncio.sleep(retry_s)


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as psycopg takes it (no `+psycopg` driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class DeskChangeNotifier:
    """The LiveFeed of a replica: after a commit, tells every replica which desks changed."""

    def __init__(self, url: str, retry_s: float = 1.0) -> None:
        self._url = libpq_url(url)
        self._retry_s = retry_s
        self._pending: set[str] = set()
        self._wake = asyncio.Event()
        self.sent = 0

    def publish(self, changes: Iterable[DeskStatus]) -> None:
        """Queue the desks for the next NOTIFY; never blocks the event loop."""
        before = len(self._pending)
        self._pending.update(status.desk for status in changes)
        if len(self._pending) != before:
            self._wake.set()

    async def run(self) -> None:
        """Send queued desk ids forever; while the database is away they wait, coalesced."""
        await run_connected(self._url, self._retry_s, "live-feed notifier", self._notify)

    async def _notify(self, conn: Connection) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, set()
            try:
                for chunk in _chunks(sorted(batch), IDS_PER_NOTIFY):
                    await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, ",".join(chunk)))
                    self.sent += 1
            except BaseException:
                self._pending |= batch
                self._wake.set()
                raise


class DeskChangeListener:
    """Brings this replica's hub up to the database for every desk another replica names."""

    def __init__(self, url: str, engine: Engine, hub: LiveFeedHub, retry_s: float = 1.0) -> None:
        self._url = libpq_url(url)
        self._engine = engine
        self._hub = hub
        self._retry_s = retry_s
        self._pending: set[str] = set()
        self._resync = True
        self._wake = asyncio.Event()
        self.listening = False

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._listen())
            group.create_task(self._refresh())

    async def _listen(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._url, autocommit=True
                ) as conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
                    # Whatever was committed before LISTEN took effect (at start, or while the
                    # connection was down) was never announced to us: re-read every desk.
                    self._resync = True
                    self._wake.set()
                    self.listening = True
                    async for notification in conn.notifies():
                        self._pending.update(notification.payload.split(","))
                        self._wake.set()
            except (psycopg.Error, OSError):
                log.exception("live-feed listener lost the database; reconnecting")
            finally:
                self.listening = False
            await asyncio.sleep(self._retry_s)

    async def _refresh(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            resync, self._resync = self._resync, False
            wanted, self._pending = self._pending, set()
            try:
                statuses = await asyncio.to_thread(self._read, None if resync else wanted)
            except Exception:
                log.exception("could not read changed desks; retrying")
                self._pending |= wanted
                self._resync |= resync
                await asyncio.sleep(self._retry_s)
                self._wake.set()
                continue
            states = self._hub.states
            moved = [s for s in statuses if states(s.floor).get(s.desk) != desk_view(s)]
            self._hub.publish(moved)

    def _read(self, desks: set[str] | None) -> list[DeskStatus]:
        """The named desks as committed (every desk when `desks` is None)."""
        with Session(self._engine) as session:
            if desks is None:
                return [desk_status(row) for row in session.scalars(select(DeskRow))]
            statuses = []
            for chunk in _chunks(sorted(desks), READ_CHUNK):
                rows = session.scalars(select(DeskRow).where(DeskRow.id.in_(chunk)))
                statuses += [desk_status(row) for row in rows]
            return statuses


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
