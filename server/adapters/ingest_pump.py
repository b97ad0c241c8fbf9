"""The ingest pump: drains the bridge queue in batches; commit, then ack, then live feed."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from server.adapters.database_outage import outage_reason
from server.adapters.mqtt_bridge import Received
from server.services.ingest import Ingest
from server.services.ingest_batch import BatchOutcome, Inbound
from server.services.ports import Clock, LiveFeed, Store
from server.services.recorded import RecordedSeqs

log = logging.getLogger(__name__)

# A failure that may be the message's own: tried again this often, then message by message.
RETRY_DELAYS_S = (0.2, 1.0, 5.0)
# While the database is out: the first wait and the longest (doubling in between), so the
# pump notices soon that it is back without hammering it meanwhile.
OUTAGE_BACKOFF_S = (0.2, 5.0)


@dataclass
class Outage:
    """The database cannot take the pump's writes: why, since when, how often tried since."""

    reason: str  # machine-readable, e.g. "database_full" (see database_outage.py)
    detail: str
    since: datetime
    retries: int = 0


class IngestPump:
    """Applies messages in commit-sized batches; an ack never precedes its commit.

    A database outage never costs a message: the batch is held unacknowledged and tried again
    until the database takes it (`outage` says why meanwhile). Only a message that fails on its
    own, with the database healthy, is quarantined (and then acknowledged).
    """

    def __init__(
        self,
        *,
        queue: asyncio.Queue[Received],
        ingest: Ingest,
        store: Store,
        ack: Callable[[Received], None],
        live: LiveFeed,
        clock: Clock,
        batch_max: int,
        retry_delays: Sequence[float] = RETRY_DELAYS_S,
        apply: Callable[[list[Inbound]], Awaitable[BatchOutcome]] | None = None,
        outage_backoff: tuple[float, float] = OUTAGE_BACKOFF_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        watermarks: Callable[[RecordedSeqs], None] | None = None,
    ) -> None:
        """`apply` commits a batch elsewhere (an ingest worker process); default: a thread.
        `watermarks` tells agents what each commit recorded (server/adapters/watermarks.py)."""
        self._queue = queue
        self._ingest = ingest
        self._apply = apply or self._apply_in_thread
        self._one_commit = asyncio.Lock()
        self._store = store
        self._ack = ack
        self._live = live
        self._clock = clock
        self._batch_max = batch_max
        self._retry_delays = tuple(retry_delays)
        self._outage_backoff = outage_backoff
        self._backoff = outage_backoff[0]
        self._sleep = sleep
        self._watermarks = watermarks
        self.totals = BatchOutcome()
        self.batches = 0
        # Taken off the queue and not yet acknowledged (held while the database is out).
        self.pending = 0
        self.outage: Outage | None = None
        self.outage_retries = 0
        self._past_outages_s = 0.0

    def outage_seconds(self) -> float:
        """How long the pump has waited for the database, in all, since it started."""
        current = self.outage
        now = (self._clock.now() - current.since).total_seconds() if current else 0.0
        return self._past_outages_s + now

    async def run(self) -> None:
        """Two batches in flight: the next one is being applied while this one is acked.

        Acks and live-feed changes still follow each batch's own commit, in batch order. The
        overlap keeps an ingest worker busy while this process acks; commits themselves never
        overlap (one worker process, or one thread at a time).
        """
        finishing: asyncio.Future[BatchOutcome] | None = None
        commit: asyncio.Future[BatchOutcome | Exception] | None = None
        try:
            while True:
                batch = [await self._queue.get()]
                while len(batch) < self._batch_max and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                self.pending += len(batch)
                inbound = self._inbound(batch)
                commit = asyncio.ensure_future(self._commit(inbound, after=commit))
                if finishing is not None:
                    await finishing
                finishing = asyncio.ensure_future(self._finish(batch, inbound, commit))
        finally:
            for pending in (commit, finishing):
                if pending is not None:
                    pending.cancel()

    async def process(self, batch: Sequence[Received]) -> BatchOutcome:
        """Commit, ack, publish one batch; a failing batch is retried, then split."""
        self.pending += len(batch)
        inbound = self._inbound(batch)
        return await self._finish(batch, inbound, asyncio.ensure_future(self._commit(inbound)))

    def _inbound(self, batch: Sequence[Received]) -> list[Inbound]:
        received_at = self._clock.now()
        return [Inbound(m.topic, m.payload, received_at, m.retained) for m in batch]

    async def _finish(
        self,
        batch: Sequence[Received],
        inbound: list[Inbound],
        commit: Awaitable[BatchOutcome | Exception],
    ) -> BatchOutcome:
        """Once the batch's commit is done: ack it and publish its changes (or split it)."""
        outcome = await commit
        if not isinstance(outcome, BatchOutcome):
            outcome = BatchOutcome()
            for message, one in zip(batch, inbound, strict=True):
                single = await self._commit([one])
                if not isinstance(single, BatchOutcome):
                    single = await self._quarantine_failed(one, single)
                outcome.merge(single)
                self._ack(message)
                self.pending -= 1
        else:
            for message in batch:
                self._ack(message)
            self.pending -= len(batch)
        if self._watermarks is not None and outcome.recorded:
            self._watermarks(outcome.recorded)  # committed: agents may forget these events
        self.batches += 1
        self.totals.merge(outcome)
        self.totals.changes.clear()  # totals count; the changes went to the live feed
        self.totals.recorded.clear()
        self._live.publish(outcome.changes.values())
        return outcome

    async def _commit(
        self,
        inbound: list[Inbound],
        after: "asyncio.Future[BatchOutcome | Exception] | None" = None,
    ) -> BatchOutcome | Exception:
        """The committed outcome; or, when the batch fails with the database healthy, the
        failure (after the retries). During an outage this waits, however long it lasts.

        The first attempt goes at once, queued behind the batch before (`after`), so a worker
        never idles between batches; a retry waits until that batch is through, so batches
        held by an outage are applied in the order they came.
        """
        failures = 0
        while True:
            try:
                outcome = await self._apply(inbound)
            except Exception as exc:
                if after is not None and not after.done():
                    await asyncio.wait([after])
                    continue
                if await self._held_by_outage(exc):
                    continue
                log.exception("applying %d message(s) failed", len(inbound))
                if failures == len(self._retry_delays):
                    return exc
                await self._sleep(self._retry_delays[failures])
                failures += 1
                continue
            self._database_back()
            return outcome

    async def _held_by_outage(self, failure: Exception) -> bool:
        """True, after one back-off step, when `failure` is the database's and not the batch's.

        A failure of the database or the system says so by its kind; for any other, a probe
        transaction decides: if even an empty one fails, the database is out.
        """
        reason = outage_reason(failure)
        if reason is None:
            try:
                await asyncio.to_thread(self._probe)
            except Exception as probe_failure:
                reason, failure = (
                    outage_reason(probe_failure) or "database_unavailable",
                    probe_failure,
                )
            else:
                return False
        await self._wait_out(reason, failure)
        return True

    def _probe(self) -> None:
        with self._store.transaction():
            pass

    async def _wait_out(self, reason: str, failure: BaseException) -> None:
        detail = f"{type(failure).__name__}: {failure}"[:500]
        if self.outage is None:
            log.error(
                "database unavailable (%s), holding messages unacknowledged: %s", reason, detail
            )
            self.outage = Outage(reason, detail, self._clock.now())
            self._backoff = self._outage_backoff[0]
        else:
            self.outage.reason, self.outage.detail = reason, detail
        self.outage.retries += 1
        self.outage_retries += 1
        delay = self._backoff
        self._backoff = min(delay * 2, self._outage_backoff[1])
        await self._sleep(delay)

    def _database_back(self) -> None:
        outage = self.outage
        if outage is None:
            return
        waited = (self._clock.now() - outage.since).total_seconds()
        self._past_outages_s += waited
        self.outage = None
        log.warning(
            "database back after %.1f s (%s, %d retries); ingest resumes",
            waited,
            outage.reason,
            outage.retries,
        )

    async def _apply_in_thread(self, inbound: list[Inbound]) -> BatchOutcome:
        # One transaction at a time, as in a worker process: two concurrent batches would take
        # desk and device rows in different orders (deadlocks) and race to insert new devices.
        async with self._one_commit:
            return await asyncio.to_thread(self._ingest.apply_batch, inbound)

    async def _quarantine_failed(self, one: Inbound, failure: Exception) -> BatchOutcome:
        # The message fails alone with the database healthy: keep it with the reason, never
        # drop it. If even that write fails the database is out: wait for it.
        reason = f"could not be applied: {type(failure).__name__}: {failure}"
        while True:
            try:
                await asyncio.to_thread(self._quarantine, one, reason)
            except Exception as exc:
                await self._wait_out(outage_reason(exc) or "database_unavailable", exc)
                continue
            self._database_back()
            failed = BatchOutcome(quarantined=1)
            failed.quarantine_kinds["internal_error"] += 1
            return failed

    def _quarantine(self, one: Inbound, reason: str) -> None:
        with self._store.transaction() as tx:
            tx.quarantine(one.topic, one.payload, reason, one.received_at)
