"""Outbox rows to the broker, in order, and the one place that decides when a row may go."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from edge_agent.runtime.outbox import Outbox

log = logging.getLogger(__name__)

# PUBACK reasons that will never change on a retry: the row is dropped (and counted).
_PERMANENT_REFUSALS = frozenset({0x87, 0x90, 0x95, 0x99})  # not authorized, bad topic, size, format

# Tags of publishes that are not outbox rows (outbox row ids start at 1).
OTHER = 0
ONLINE = -1


class OutboxDelivery:
    """Hands one device's outbox rows to paho in id order and settles them on the broker's answer.

    Rows flow only while the gate is open: from the broker's PUBACK of this connection's `online`
    status until the next disconnect, so new rows never overtake paho's resends. Every publish
    of the device is tracked by mid, because paho may report an ack before publish() returns.
    """

    def __init__(
        self,
        outbox: Outbox,
        client: mqtt.Client,
        *,
        device: str,
        window: int,
        on_online: Callable[[], None],
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
            if len(rows) < limit:
                # All caught up; a row appended meanwhile set _pump_requested, so pump loops.
                return

    def _settle(self, tag: int, reason: ReasonCode) -> None:
        if tag == ONLINE:
            self._gate.set()
            self._on_online()
            self.pump()
            return
        if tag == OTHER:
            return
        with self._mid_lock:
            self._outstanding -= 1
        # The broker has the row: it leaves the outbox. A refusal that a retry cannot change
        # drops it too (counted); any other refusal keeps it for the next start.
        if not reason.is_failure:
            self._outbox.delete(tag)
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
                    "%s: broker refused event row %d (%s); kept for the next start",
                    self._device,
                    tag,
                    reason.getName(),
                )
        self.pump()
