"""Replicas split ingest by device: each partition of the site's devices has one owner at a time.

With one MQTT shared subscription the broker hands any device's message to any replica, so
every batch of one replica locked the same desk and device rows as the other's, and two
replicas drained a backlog at half the per-CPU rate of one. Here each device belongs to one
of `count` partitions (a hash of its id), and each partition to one replica: the replica
subscribes to those devices' topics alone, so batches of different replicas share no rows.

Ownership lives in PostgreSQL session advisory locks on one connection per replica, so a
replica that dies (its connection closes) frees its partitions at once, and nothing is stored:

- MEMBER (shared): held while this replica's broker link is up; the members share the
  partitions out fairly (ceil(count / members) each).
- OWN(p) (exclusive): this replica owns partition p.
- READY(p) (shared): this replica's subscription to p's topics is acknowledged by the broker.

No message may find no subscriber, so a partition changes hands subscribe-first: the new owner
takes OWN(p), subscribes, takes READY(p); the old one, having released OWN(p), unsubscribes only
once the new owner holds READY(p). Until then both receive p's messages, which is safe: every
event is applied once (its id is unique in the event log) and in order (a desk takes only a
newer reading). A replica that dies keeps its subscriptions in its broker session, so what was
published meanwhile waits there and is applied, harmlessly late, when it comes back.
"""

from __future__ import annotations

import asyncio
import logging
import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import psycopg

from contracts import Channel, build_topic
from server.adapters.pg_notify import Connection, libpq_url, run_connected
from server.services.site_index import SiteIndex

log = logging.getLogger(__name__)

DEFAULT_PARTITIONS = 64
# Advisory-lock key spaces (the first of two int4 keys); the ticker lease uses one int8 key.
MEMBER, OWN, READY = 0x46530000, 0x46530001, 0x46530002
# How long a stopping replica waits for others to take its partitions, in balancing rounds.
HAND_OVER_ROUNDS = 10
_CHANNELS = (Channel.EVENT, Channel.STATE, Channel.STATUS)


def partition_of(device: str, count: int) -> int:
    """The partition a device's messages belong to (stable across processes and restarts)."""
    return zlib.crc32(device.encode()) % count


def partition_filters(index: SiteIndex, count: int) -> dict[int, list[str]]:
    """The topic filters of each partition: every channel a device publishes on, per device."""
    filters: dict[int, list[str]] = {p: [] for p in range(count)}
    for info in index.devices.values():
        filters[partition_of(info.id, count)] += [
            build_topic(index.site_id, info.kind, info.id, channel) for channel in _CHANNELS
        ]
    for prefix, device in index.foreign_prefixes.items():
        filters[partition_of(device, count)].append(f"{prefix}/#")
    for topic, route in index.foreign_topics.items():
        if route.protocol == "zigbee2mqtt":
            # A bridge's own state speaks for every device behind it: rare, so one owner (of
            # partition 0) takes it, though it touches others' rows.
            owner = 0 if route.device is None else partition_of(route.device, count)
            filters[owner].append(topic)
    return filters


class Subscriptions(Protocol):
    """The MQTT side: the bridge, in partitioned mode (`connected` is ours to say)."""

    link_up: bool
    connected: bool

    async def subscribe(self, filters: list[str]) -> None: ...

    async def unsubscribe(self, filters: list[str]) -> None: ...


@dataclass
class LockView:
    """Who holds which partition lock now, by PostgreSQL backend pid."""

    me: int
    members: set[int] = field(default_factory=set)
    owner: dict[int, int] = field(default_factory=dict)
    ready: dict[int, set[int]] = field(default_factory=dict)

    def fair_share(self, count: int) -> int:
        return math.ceil(count / max(len(self.members | {self.me}), 1))


class DevicePartitions:
    """Takes this replica's fair share of partitions and keeps its subscriptions to match."""

    def __init__(
        self,
        url: str,
        *,
        replica: str,
        filters: dict[int, list[str]],
        bridge: Subscriptions,
        retry_s: float = 1.0,
        hand_over_on_stop: bool = False,
    ) -> None:
        """`hand_over_on_stop`: when cancelled, wait (bounded) until others have taken this
        replica's partitions before giving up its subscriptions (a rolling deploy)."""
        self._url = libpq_url(url)
        self._hand_over_on_stop = hand_over_on_stop
        self._filters = filters
        self._bridge = bridge
        self._retry_s = retry_s
        # Each replica tries free partitions in an order of its own, so replicas starting
        # together do not all reach for the same ones.
        self._order = sorted(filters, key=lambda p: zlib.crc32(f"{replica}:{p}".encode()))
        self._conn: Connection | None = None
        self._member = False
        self.owned: set[int] = set()
        self._ready: set[int] = set()
        # Partitions whose topics this replica is subscribed to (owned, or handed over and not
        # yet taken up by the new owner); survives a lost lock connection.
        self.subscribed: set[int] = set()
        self._cleaned = False
        self._free_before: set[int] = set()

    async def run(self) -> None:
        """Balance every `retry_s` until cancelled; reconnect when the database goes away."""
        await run_connected(self._url, self._retry_s, "device partitions", self._balance_on)

    async def _balance_on(self, conn: Connection) -> None:
        self._conn = conn
        try:
            while True:
                try:
                    await self.balance()
                except (ConnectionError, TimeoutError):
                    # The broker link dropped mid-round: what was not acknowledged is retried.
                    log.warning("device partitions: broker did not answer", exc_info=True)
                await asyncio.sleep(self._retry_s)
        except asyncio.CancelledError:
            if self._hand_over_on_stop:
                await self.hand_over(HAND_OVER_ROUNDS * self._retry_s)
            raise
        finally:
            # The locks go with the connection; the subscriptions do not.
            self._bridge.connected = False
            self._conn = None
            self._member = False
            self.owned.clear()
            self._ready.clear()

    async def balance(self) -> None:
        """One round: join or leave, take or give back partitions, follow with subscriptions."""
        if not self._bridge.link_up:
            self._bridge.connected = False
            await self._leave()
            return
        if not self._member:
            await self._lock("pg_advisory_lock_shared", MEMBER, 0)
            self._member = True
        view = await self._view()
        if not self._cleaned:
            await self._drop_stale_subscriptions(view)
        fair = view.fair_share(len(self._filters))
        free = [p for p in self._order if p not in view.owner]
        # A partition free two rounds running is taken whatever the share: no partition may
        # stay without a subscriber because the member that should take it cannot.
        wanted = free[: max(0, fair - len(self.owned))]
        wanted += [p for p in free if p in self._free_before and p not in wanted]
        self._free_before = set(free)
        for p in wanted:
            if await self._try("pg_try_advisory_lock", OWN, p):
                self.owned.add(p)
                view.owner[p] = view.me
        await self._subscribe(self.owned - self.subscribed)
        for p in sorted(self.owned - self._ready):
            await self._lock("pg_advisory_lock_shared", READY, p)
            self._ready.add(p)
        needy = any(
            sum(1 for o in view.owner.values() if o == pid) < fair - 1 for pid in view.members
        )
        if needy and len(self.owned) > fair:
            for p in sorted(self.owned)[fair:]:
                await self._lock("pg_advisory_unlock", OWN, p)
                self.owned.discard(p)
                log.info("device partitions: gave partition %d back for a fair share", p)
        for p in sorted(self.subscribed - self.owned):
            successor = view.owner.get(p)
            if (
                successor is not None
                and successor != view.me
                and successor in view.ready.get(p, ())
            ):
                await self._unsubscribe([p])
        # Healthy once every partition has a subscriber (this replica's or another's).
        covered = self.subscribed | {p for p, pids in view.ready.items() if pids}
        self._bridge.connected = self._bridge.link_up and covered >= set(self._filters)

    async def hand_over(self, timeout_s: float) -> None:
        """Leave, then give up each subscription once another replica is ready for it."""
        await self._require().execute("SELECT pg_advisory_unlock_all()")
        self._member = False
        self.owned.clear()
        self._ready.clear()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self.subscribed and loop.time() < deadline:
            view = await self._view()
            handed = [
                p
                for p in sorted(self.subscribed)
                if view.owner.get(p, view.me) != view.me and view.owner[p] in view.ready.get(p, ())
            ]
            if handed:
                await self._unsubscribe(handed)
            await asyncio.sleep(min(self._retry_s, 0.1))
        if self.subscribed:
            log.warning("device partitions: %s not taken over in time", sorted(self.subscribed))

    async def _leave(self) -> None:
        """Without a broker link this replica receives nothing: let the others take over."""
        if self._conn is None or not self._member:
            return
        await self._conn.execute("SELECT pg_advisory_unlock_all()")
        self._member = False
        self.owned.clear()
        self._ready.clear()
        log.warning("device partitions: broker link down; partitions left to the others")

    async def _drop_stale_subscriptions(self, view: LockView) -> None:
        # A session kept from an earlier run may still hold partitions now owned (and
        # subscribed) elsewhere: give those up, once, so this replica stops receiving them.
        taken = [
            p
            for p, pid in view.owner.items()
            if pid != view.me and pid in view.ready.get(p, ()) and p not in self.subscribed
        ]
        if taken:
            await self._bridge.unsubscribe(_flat(self._filters[p] for p in taken))
        self._cleaned = True

    async def _subscribe(self, partitions: set[int]) -> None:
        if partitions:
            await self._bridge.subscribe(_flat(self._filters[p] for p in sorted(partitions)))
            self.subscribed |= partitions
            log.info("device partitions: subscribed to %s", sorted(partitions))

    async def _unsubscribe(self, partitions: list[int]) -> None:
        await self._bridge.unsubscribe(_flat(self._filters[p] for p in partitions))
        for p in partitions:
            self.subscribed.discard(p)
            if p in self._ready:
                await self._lock("pg_advisory_unlock_shared", READY, p)
                self._ready.discard(p)
        log.info("device partitions: handed over %s", partitions)

    async def _view(self) -> LockView:
        conn = self._require()
        cursor = await conn.execute(
            "SELECT classid::bigint, objid::bigint, pid, pg_backend_pid() FROM pg_locks"
            " WHERE locktype = 'advisory' AND objsubid = 2 AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid::bigint IN (%s, %s, %s)",
            (MEMBER, OWN, READY),
        )
        rows = await cursor.fetchall()
        me = await self._backend_pid(rows)
        view = LockView(me=me)
        for space, key, pid, _ in rows:
            assert isinstance(space, int) and isinstance(key, int) and isinstance(pid, int)
            if space == MEMBER:
                view.members.add(pid)
            elif space == OWN:
                view.owner[key] = pid
            else:
                view.ready.setdefault(key, set()).add(pid)
        return view

    async def _backend_pid(self, rows: list[tuple[object, ...]]) -> int:
        if rows:
            pid = rows[0][3]
        else:
            cursor = await self._require().execute("SELECT pg_backend_pid()")
            found = await cursor.fetchone()
            pid = found[0] if found else None
        assert isinstance(pid, int)
        return pid

    async def _try(self, function: str, space: int, key: int) -> bool:
        cursor = await self._require().execute(f"SELECT {function}(%s, %s)", (space, key))
        row = await cursor.fetchone()
        return row is not None and row[0] is True

    async def _lock(self, function: str, space: int, key: int) -> None:
        await self._require().execute(f"SELECT {function}(%s, %s)", (space, key))

    def _require(self) -> Connection:
        if self._conn is None:
            raise psycopg.OperationalError("no lock connection")
        return self._conn


def _flat(groups: Iterable[list[str]]) -> list[str]:
    return [topic for group in groups for topic in group]
