"""Outbox rows to the broker, in order, and the one place that decides when a row may go.

A broker PUBACK only says the broker holds a row, in memory until its next autosave; the row
leaves the outbox when the server's applied watermark names it (`applied_ranges`). Rows the
broker took but the server has not recorded go again after a reconnect, or when the oldest of
them has waited `resend_after_s` although the server has since recorded later rows (the broker
dropped it); event ids make a copy harmless. While the server records nothing at all (it is
down, its backlog waits in the broker) the wait is four times longer: resending then would only
grow the backlog. Each resend of the same oldest row doubles the wait, up to 16 times.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from contracts import AppliedRange
from edge_agent.runtime.outbox import Outbox

log = logging.getLogger(__name__)

# PUBACK reasons that will never change on a retry: the row is dropped (and counted).
_PERMANENT_REFUSALS = frozenset({0x87, 0x90, 0x95, 0x99})  # not authorized, bad topic, size, format

# Tags of publishes that are not outbox rows (outbox row ids start at 1).
OTHER = 0
ONLINE = -1

# Resends of an unrecorded row back off up to this many times the timeout.
_MAX_BACKOFF = 16
# While no watermark has come since the oldest row went out, the wait is this many times longer.
_SILENT_FACTOR = 4
# Hand-off times are kept per this many seconds of sending, not per row.
_MARK_GRANULARITY_S = 1.0


class OutboxDelivery:
    """Hands one device's outbox rows to paho in id order and settles them on the broker's answer.

    Rows flow only while the gate is open: from the broker's PUBACK of this connection's `online`
    status until the next disconnect, so new rows never overtake paho's resends. Every publish
    of the device is tracked by mid, because paho may report an ack before publish() returns.
    Each new connection hands the whole outbox again from its oldest row.
    """

    def __init__(
        self,
        outbox: Outbox,
        client: mqtt.Client,
        *,
        device: str,
        window: int,
        on_online: Callable[[], None],
        resend_after_s: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._outbox = outbox
        self._client = client
        self._device = device
        self._window = window
        self._on_online = on_online
        # Only one thread pumps at a time, and nobody ever waits for the lock, because paho's
        # thread pumps from inside on_publish while holding paho's own message lock.
        self._send_lock = threading.Lock()
        self._pump_requested = False
        self._handed_upto = 0
        self._gate = threading.Event()
        # mid -> outbox row id (or a tag), and acks that arrived before publish() returned.
        self._mid_lock = threading.Lock()
        self._tracked: dict[int, int] = {}
        self._early: dict[int, ReasonCode] = {}
        self._outstanding = 0
        self._counter_lock = threading.Lock()
        self.acked = 0
        self.refused = 0
        self.applied = 0
        self.resends = 0
        self._resend_after_s = resend_after_s
        self._monotonic = monotonic
        # Set to hand the outbox again from its oldest row on the next pump.
        self._restart = False
        # (highest row id handed, when): coarse hand-off times, to age the oldest waiting row.
        self._marks: deque[tuple[int, float]] = deque()
        self._oldest: int | None = None
        self._backoff = 1
        self._last_heard: float | None = None  # when the last watermark came
        # Whether this run handed a row of the outbox's current epoch: until then, a server
        # that reports our epoch saw it from an earlier life of the device (a wiped outbox).
        self.handed_this_epoch = False

    @property
    def gate(self) -> threading.Event:
        """Set while rows may flow (the broker acknowledged this connection's `online`)."""
        return self._gate

    def pump(self) -> None:
        """Hand outbox rows newer than the last handed one to paho, in id order."""
        self._pump_requested = True
        while self._pump_requested:
            if not self._send_lock.acquire(blocking=False):
                return  # the holder re-checks the request after releasing
            try:
                self._pump_requested = False
                self._pump_locked()
            finally:
                self._send_lock.release()

    def restart(self) -> None:
        """Hand every row again from the oldest, e.g. after a new connection."""
        self._restart = True
        self.pump()

    def applied_ranges(self, ranges: Iterable[AppliedRange]) -> int:
        """The server recorded these events: their rows leave the outbox. Returns how many."""
        deleted = sum(self._outbox.delete_applied(r.epoch, r.first, r.last) for r in ranges)
        self._last_heard = self._monotonic()
        with self._counter_lock:
            self.applied += deleted
        return deleted

    def resend_if_due(self) -> bool:
        """Hand the outbox again when its oldest row has waited too long for the server;
        True if it did. Called on the agent's tick (see the module's docstring for the waits)."""
        if not self._gate.is_set():
            return False  # the next connection hands everything again anyway
        oldest = self._outbox.first_id()
        if oldest != self._oldest:
            self._oldest, self._backoff = oldest, 1  # progress: the server recorded the oldest
        if oldest is None:
            return False
        with self._mid_lock:
            while self._marks and self._marks[0][0] < oldest:
                self._marks.popleft()
            if not self._marks:
                return False  # not handed yet in this pass
            handed_at = self._marks[0][1]
        heard = self._last_heard is not None and self._last_heard > handed_at
        factor = min(self._backoff * (1 if heard else _SILENT_FACTOR), _MAX_BACKOFF)
        if self._monotonic() - handed_at < self._resend_after_s * factor:
            return False
        self._backoff = min(self._backoff * 2, _MAX_BACKOFF)
        with self._counter_lock:
            self.resends += 1
        log.info(
            "%s: the server has not recorded outbox row %d yet; sending the outbox again",
            self._device,
            oldest,
        )
        self.restart()
        return True

    def track(self, mid: int, tag: int) -> None:
        """Remember what a publish was: an outbox row id, OTHER or ONLINE."""
        with self._mid_lock:
            reason = self._early.pop(mid, None)
            if reason is None:
                self._tracked[mid] = tag
                return
        self._settle(tag, reason)

    def on_publish(
        self, client: mqtt.Client, userdata: object, mid: int, reason: ReasonCode, props: object
    ) -> None:
        """paho's callback (paho's thread): the broker answered one publish."""
        with self._mid_lock:
            tag = self._tracked.pop(mid, None)
            if tag is None:
                self._early[mid] = reason
                return
        self._settle(tag, reason)

    def _pump_locked(self) -> None:
        if self._restart:
            self._restart = False
            self._handed_upto = 0
            with self._mid_lock:
                self._marks.clear()
        while self._gate.is_set():
            room = self._window - self._outstanding
            if room <= 0:
                return  # the next PUBACK pumps again
            limit = min(room, 500)
            rows = self._outbox.pending(after_id=self._handed_upto, limit=limit)
            for row in rows:
                if not self._gate.is_set():
                    return  # disconnected: the rest waits for the next online
                info = self._client.publish(row.topic, row.payload, qos=1)
                with self._mid_lock:
                    self._outstanding += 1
                self.track(info.mid, row.id)
                self._handed_upto = row.id
                if row.epoch == self._outbox.epoch:
                    self.handed_this_epoch = True
            if rows:
                self._mark(self._handed_upto)
            if len(rows) < limit:
                # All caught up; a row appended meanwhile set _pump_requested, so pump loops.
                return

    def _mark(self, upto: int) -> None:
        now = self._monotonic()
        with self._mid_lock:
            if self._marks and now - self._marks[-1][1] < _MARK_GRANULARITY_S:
                # Same second: the earlier time stands for the lot, so a resend is at most
                # that much early.
                self._marks[-1] = (upto, self._marks[-1][1])
            else:
                self._marks.append((upto, now))

    def _settle(self, tag: int, reason: ReasonCode) -> None:
        if tag == ONLINE:
            self._gate.set()
            self._on_online()
            # What the broker took before may be lost with it: the outbox goes again in order.
            self.restart()
            return
        if tag == OTHER:
            return
        with self._mid_lock:
            self._outstanding -= 1
        # The broker has the row, but only the server's watermark lets it leave the outbox. A
        # refusal that a retry cannot change drops it (counted); any other refusal keeps it.
        if not reason.is_failure:
            with self._counter_lock:
                self.acked += 1
        else:
            with self._counter_lock:
                self.refused += 1
            if reason.value in _PERMANENT_REFUSALS:
                log.error(
                    "%s: broker refused event row %d for good (%s); dropped",
                    self._device,
                    tag,
                    reason.getName(),
                )
                self._outbox.delete(tag)
            else:
                log.warning(
                    "%s: broker refused event row %d (%s); kept to send again",
                    self._device,
                    tag,
                    reason.getName(),
                )
        self.pump()
