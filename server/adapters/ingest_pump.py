"""The ingest pump: drains the bridge queue in batches; commit, then ack, then live feed."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from server.adapters.mqtt_bridge import Received
from server.services.ingest import BatchOutcome, Inbound, Ingest
from server.services.ports import Clock, LiveFeed, Store
from server.services.recorded import RecordedSeqs

log = logging.getLogger(__name__)

RETRY_DELAYS_S = (0.2, 1.0, 5.0)


class IngestPump:
    """Applies messages in commit-sized batches; an ack never precedes its commit."""

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
        self._watermarks = watermarks
        self.totals = BatchOutcome()
        self.batches = 0

    async def run(self) -> None:
        """Two batches in flight: the next one is being applied while this one is acked.

        Acks and live-feed changes still follow each batch's own commit, in batch order. The
        overlap keeps an ingest worker busy while this process acks; commits themselves never
        overlap (one worker process, or one thread at a time).
        """
        finishing: asyncio.Future[BatchOutcome] | None = None
        commit: asyncio.Future[BatchOutcome | None] | None = None
        try:
            while True:
                batch = [await self._queue.get()]
                while len(batch) < self._batch_max and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                inbound = self._inbound(batch)
                commit = asyncio.ensure_future(self._commit(inbound))
                if finishing is not None:
                    await finishing
                finishing = asyncio.ensure_future(self._finish(batch, inbound, commit))
        finally:
            for pending in (commit, finishing):
                if pending is not None:
                    pending.cancel()

    async def process(self, batch: Sequence[Received]) -> BatchOutcome:
        """Commit, ack, publish one batch; a failing batch is retried, then split."""
        inbound = self._inbound(batch)
        return await self._finish(batch, inbound, asyncio.ensure_future(self._commit(inbound)))

    def _inbound(self, batch: Sequence[Received]) -> list[Inbound]:
        received_at = self._clock.now()
        return [Inbound(m.topic, m.payload, received_at) for m in batch]

    async def _finish(
        self,
        batch: Sequence[Received],
        inbound: list[Inbound],
        commit: Awaitable[BatchOutcome | None],
    ) -> BatchOutcome:
        """Once the batch's commit is done: ack it and publish its changes (or split it)."""
        outcome = await commit
        if outcome is None:
            outcome = BatchOutcome()
            for message, one in zip(batch, inbound, strict=True):
                single = await self._commit([one]) or await self._quarantine_failed(one)
                outcome.merge(single)
                self._ack(message)
        else:
            for message in batch:
                self._ack(message)
        if self._watermarks is not None and outcome.recorded:
            self._watermarks(outcome.recorded)  # committed: agents may forget these events
        self.batches += 1
        self.totals.merge(outcome)
        self.totals.changes.clear()  # totals count; the changes went to the live feed
        self.totals.recorded.clear()
        self._live.publish(outcome.changes.values())
        return outcome

    async def _commit(self, inbound: list[Inbound]) -> BatchOutcome | None:
        for delay in (*self._retry_delays, None):
            try:
                return await self._apply(inbound)
            except Exception:
                log.exception("applying %d message(s) failed", len(inbound))
                if delay is None:
                    return None
                await asyncio.sleep(delay)
        return None

    async def _apply_in_thread(self, inbound: list[Inbound]) -> BatchOutcome:
        # One transaction at a time, as in a worker process: two concurrent batches would take
        # desk and device rows in different orders (deadlocks) and race to insert new devices.
        async with self._one_commit:
            return await asyncio.to_thread(self._ingest.apply_batch, inbound)

    async def _quarantine_failed(self, one: Inbound) -> BatchOutcome:
        # The message itself breaks the transaction: keep it with the reason, never drop it.
        # If even that fails the database is down, so wait for it rather than lose anything.
        delay = 1.0
        while True:
            try:
                await asyncio.to_thread(self._quarantine, one)
                failed = BatchOutcome(quarantined=1)
                failed.quarantine_kinds["internal_error"] += 1
                return failed
            except Exception:
                log.exception("database unavailable; holding message on %s", one.topic)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    def _quarantine(self, one: Inbound) -> None:
        with self._store.transaction() as tx:
            tx.quarantine(
                one.topic, one.payload, "could not be applied (internal error)", one.received_at
            )
