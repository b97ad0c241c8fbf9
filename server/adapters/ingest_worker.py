"""Ingest in a process of its own (FREESEAT_INGEST_WORKER): the second core applies batches.

One Python process runs one thing at a time: the MQTT client, the acks and the live feed
(~90 µs of CPU per message) and applying a batch (~110–150 µs per message) took turns on a
single core. With the apply in a worker process, the server process reads and acks the next
messages while the worker commits the last batch. Ack-after-commit is unchanged: the server
acks a batch only when the worker's commit has returned.

The worker builds the same ingest handler as the server: the composition root passes the
initializer that builds it from the same settings and site (and calls `install`). It answers
with the batch's outcome (counts and the desks whose state changed, for the live feed). If it
dies, the batch fails like a database error: a new worker is started and the pump retries the
batch. A failure crosses back as a plain exception that keeps its kind: an outage of the
database stays an outage (`DatabaseUnavailable`), so the pump waits instead of quarantining.

The worker dies with its server: it watches its parent and exits when the server is gone, even
after a SIGKILL that gave the server no chance to stop it (and with it goes multiprocessing's
resource tracker, which lives as long as a process holds its pipe).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from server.adapters.database_outage import DatabaseUnavailable, outage_reason
from server.domain.occupancy import DeskReason, DeskState, DeskStatus
from server.domain.sequencing import Position, ReadingOrigin
from server.services.ingest import Ingest
from server.services.ingest_batch import BatchOutcome, Inbound

_ingest: Ingest | None = None  # the worker process's handler, set once by `install`

# How often the worker checks that its server still lives: how long it may outlive a SIGKILL.
PARENT_CHECK_S = 0.5


def install(ingest: Ingest) -> None:
    """In the worker process: the handler every batch is applied with."""
    global _ingest
    _ingest = ingest


class IngestWorker:
    """A one-process pool that applies ingest batches; `apply_batch` awaits the commit.

    `initializer(*initargs)` runs first in the worker and must call `install`; both must be
    picklable (a module-level function and plain values), since the worker is spawned.
    """

    def __init__(self, initializer: Callable[..., None], initargs: tuple[object, ...]) -> None:
        self._initializer = initializer
        self._initargs = initargs
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the server has threads (paho, the event loop's executor) whose locks
        # a forked child would inherit in whatever state they were.
        return ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_in_worker,
            initargs=(os.getpid(), self._initializer, self._initargs),
        )

    def warm_up(self) -> int:
        """Start the worker now (it imports freeseat and opens the database); its pid."""
        pid: int = self._pool.submit(_ready).result()
        return pid

    async def apply_batch(self, batch: Sequence[Inbound]) -> BatchOutcome:
        loop = asyncio.get_running_loop()
        # Plain tuples both ways: pickling dataclasses cost a sixth of the apply time.
        wire = [(m.topic, m.payload, m.received_at, m.retained) for m in batch]
        try:
            return _outcome(await loop.run_in_executor(self._pool, _apply, wire))
        except BrokenProcessPool:
            # The worker died mid-batch; nothing was acked. A fresh one takes the retry.
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            raise

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _start_in_worker(
    server_pid: int, initializer: Callable[..., None], initargs: tuple[object, ...]
) -> None:
    threading.Thread(
        target=_exit_with_server, args=(server_pid,), name="server-watch", daemon=True
    ).start()
    initializer(*initargs)


def _exit_with_server(server_pid: int) -> None:
    # A killed server never tells its pool to stop, and the worker's own end of the call queue
    # keeps it from ever seeing the pipe close: when the server is gone the worker is
    # re-parented, and that is the sign to go. Nothing is lost: what it had not committed was
    # not acknowledged, and the broker gives it to the next server.
    while os.getppid() == server_pid:
        time.sleep(PARENT_CHECK_S)
    os._exit(0)


def _ready() -> int:
    if _ingest is None:
        raise RuntimeError("the ingest worker was not initialised")
    return os.getpid()


# A desk's status as plain values: desk, floor, state, since, reason, present, reading device,
# epoch, seq, contact, holder, checked_in, blocked.
StatusTuple = tuple[
    str,
    str,
    str,
    datetime,
    str,
    bool | None,
    str | None,
    int,
    int,
    bool,
    str | None,
    bool,
    str | None,
]
RecordedTuple = tuple[dict[str, int], dict[str, dict[int, list[int]]]]
OutcomeTuple = tuple[
    int, int, int, int, dict[str, int], list[StatusTuple], dict[str, int], RecordedTuple
]


def _apply(wire: list[tuple[str, bytes, datetime, bool]]) -> OutcomeTuple:
    if _ingest is None:
        raise RuntimeError("the ingest worker was not initialised")
    try:
        outcome = _ingest.apply_batch([Inbound(*message) for message in wire])
    except Exception as exc:
        # The driver's exception may not survive pickling (or arrive as another class): send
        # its kind across in plain strings.
        detail = f"{type(exc).__name__}: {exc}"
        reason = outage_reason(exc)
        if reason is not None:
            raise DatabaseUnavailable(reason, detail) from None
        raise RuntimeError(detail) from None
    changes = [_status_tuple(status) for status in outcome.changes.values()]
    return (
        outcome.applied,
        outcome.stale,
        outcome.duplicates,
        outcome.quarantined,
        dict(outcome.quarantine_kinds),
        changes,
        dict(outcome.ignored),
        (outcome.recorded.newest, outcome.recorded.seqs),
    )


def _status_tuple(s: DeskStatus) -> StatusTuple:
    reading = s.reading
    return (
        s.desk,
        s.floor,
        s.state.value,
        s.since,
        s.reason,
        s.present,
        reading.device if reading else None,
        reading.position.epoch if reading else 0,
        reading.position.seq if reading else 0,
        s.contact,
        s.holder,
        s.checked_in,
        s.blocked,
    )


def _outcome(wire: OutcomeTuple) -> BatchOutcome:
    applied, stale, duplicates, quarantined, kinds, changes, ignored, recorded = wire
    outcome = BatchOutcome(applied, stale, duplicates, quarantined, Counter(kinds))
    outcome.ignored.update(ignored)
    outcome.recorded.newest, outcome.recorded.seqs = recorded
    for (
        desk,
        floor,
        state,
        since,
        reason,
        present,
        device,
        epoch,
        seq,
        contact,
        holder,
        checked_in,
        blocked,
    ) in changes:
        outcome.changes[desk] = DeskStatus(
            desk=desk,
            floor=floor,
            state=DeskState(state),
            since=since,
            reason=DeskReason(reason),
            present=present,
            reading=ReadingOrigin(device, Position(epoch, seq)) if device is not None else None,
            contact=contact,
            holder=holder,
            checked_in=checked_in,
            blocked=blocked,
        )
    return outcome
