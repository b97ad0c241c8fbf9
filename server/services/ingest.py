"""The ingest handler: turns a batch of raw MQTT messages into one committed transaction.

Each message is admitted first (ingest_admission.py), the rows the batch touches are preloaded
in one order (ingest_preload.py), then each goes down its path: events (device_events.py),
heartbeats and status (device_contact.py), off-the-shelf devices (off_the_shelf_ingest.py);
what the broker replayed from what it kept is judged first (retained_replay.py).
"""

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from contracts import Channel, DeviceStatus
from contracts.topics import ROOT
from server.domain.occupancy import DeskReason
from server.domain.sequencing import Position
from server.services import retained_replay
from server.services.device_contact import (
    CONTACT_LOST,
    apply_heartbeat,
    apply_status,
    log_contact_lost,
    lose_contact,
)
from server.services.device_events import DEFAULT_MAX_CLOCK_SKEW, DeviceEvents
from server.services.ingest_admission import Admission, Prepared
from server.services.ingest_batch import BatchOutcome, Inbound
from server.services.ingest_preload import preload_keys
from server.services.ingest_rows import cursor
from server.services.off_the_shelf_ingest import OffTheShelfIngest, foreign_will
from server.services.ports import EventRecord, Store, Transaction
from server.services.room_ports import RoomEventSink
from server.services.site_index import SiteIndex
from server.services.wifi_presence import WifiPresence

_LOGGED_CHANNELS = {"device.state": Channel.STATE, "device.status": Channel.STATUS}


class Ingest:
    """Applies inbound messages exactly once, in device order, in one transaction per batch."""

    def __init__(
        self,
        index: SiteIndex,
        store: Store,
        wifi: WifiPresence | None = None,
        rooms: RoomEventSink | None = None,
        max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
    ) -> None:
        self._index = index
        self._store = store
        self._admission = Admission(index, wifi, rooms)
        self._events = DeviceEvents(index, wifi, rooms, max_clock_skew)
        self._off_the_shelf = OffTheShelfIngest(index, self._events)

    def apply_batch(self, batch: Sequence[Inbound]) -> BatchOutcome:
        """Apply and commit the batch; returns only after the commit, so callers may then ack."""
        outcome = BatchOutcome()
        prepared = [self._admission.prepare(message) for message in batch]
        with self._store.transaction() as tx:
            # One read per table for the whole batch instead of one per message.
            tx.preload(**preload_keys(self._index, prepared))
            for item in prepared:
                self._apply_prepared(tx, item, outcome)
        return outcome

    def replay(self, records: Sequence[EventRecord]) -> BatchOutcome:
        """Apply logged records again, in log order, through the same handlers as live ingest."""
        outcome = BatchOutcome()
        with self._store.transaction() as tx:
            for record in records:
                if record.type == CONTACT_LOST:
                    reason = DeskReason(json.loads(record.payload)["reason"])
                    lose_contact(self._index, tx, record.device, record.at, reason, outcome)
                    log_contact_lost(tx, record.device, record.at, reason)
                    continue
                channel = _LOGGED_CHANNELS.get(record.type, Channel.EVENT)
                info = self._index.devices.get(record.device)
                kind = info.kind if info else "desk"
                topic = f"{ROOT}/v1/{self._index.site_id}/{kind}/{record.device}/{channel.value}"
                inbound = Inbound(topic, record.payload.encode(), record.received_at)
                self._apply_one(tx, inbound, outcome)
        return outcome

    def _apply_one(self, tx: Transaction, message: Inbound, outcome: BatchOutcome) -> None:
        item = self._admission.prepare(message)
        if item.error is not None:
            outcome.quarantine(tx, message, str(item.error), item.error.kind)
            return
        # The log records what was applied then: a revocation since does not rewrite history.
        self._apply_fresh(tx, item, outcome)

    def _apply_prepared(self, tx: Transaction, item: Prepared, outcome: BatchOutcome) -> None:
        message = item.message
        if item.error is not None:
            outcome.quarantine(tx, message, str(item.error), item.error.kind)
            if item.refused is not None:  # kept with its reason: the agent need not send it again
                device, epoch, seq = item.refused
                known = tx.device(device)
                outcome.recorded.add(device, epoch, seq, (known.epoch or 0) if known else 0)
            return
        sender = self._sender(item)
        if sender is not None and sender in tx.revoked_devices():
            # Its credentials are gone, but what the broker kept of it (a retained `online`,
            # a queued heartbeat) is still delivered: it must never make the device alive.
            reason = f"device {sender!r} was revoked: nothing it sends is applied"
            outcome.quarantine(tx, message, reason, "revoked")
            return
        if message.retained and sender is not None:
            self._apply_replayed(tx, item, sender, outcome)
        else:
            self._apply_fresh(tx, item, outcome)

    def _sender(self, item: Prepared) -> str | None:
        """The device a checked message speaks for; None for a bridge or an unrouted topic."""
        if item.body is not None:
            return str(item.body.device)
        route = self._index.foreign_route(item.message.topic)
        return route.device if route is not None else None

    def _apply_replayed(
        self, tx: Transaction, item: Prepared, sender: str, outcome: BatchOutcome
    ) -> None:
        """A message the broker replayed from what it kept: see retained_replay.py."""
        message, body = item.message, item.body
        device = tx.device(sender)
        ttl_s = self._index.devices[sender].ttl_s
        if isinstance(body, DeviceStatus):
            if body.status == "offline":
                self._apply_fresh(tx, item, outcome)  # a will: liveness always wins
                return
            epoch = None if device is None else device.status_epoch
            replay = retained_replay.judge(
                device,
                message.received_at,
                ttl_s,
                newer=epoch is None or body.epoch > epoch,
                said_at=body.at,
            )
        elif body is not None:
            last = None if device is None else cursor(device)
            position = Position(body.epoch, body.seq)
            replay = retained_replay.judge(
                device,
                message.received_at,
                ttl_s,
                newer=last is None or position > last,
                said_at=body.at,
            )
        else:
            if foreign_will(self._index.foreign_route(message.topic), message.payload):
                self._apply_fresh(tx, item, outcome)
                return
            replay = retained_replay.judge(device, message.received_at, ttl_s)
        if not replay.applies:
            outcome.ignored[retained_replay.IGNORED_KIND] += 1
            return
        when = replay.contact or message.received_at
        self._apply_fresh(tx, replace(item, message=replace(message, received_at=when)), outcome)
        after = tx.device(sender)
        if replay.contact is None and after is not None and device is not None:
            # Its content applied, but hearing it again is no news of the device.
            tx.save_device(replace(after, last_seen=device.last_seen))

    def _apply_fresh(self, tx: Transaction, item: Prepared, outcome: BatchOutcome) -> None:
        message = item.message
        if item.channel is None:
            self._off_the_shelf.apply(tx, message, outcome)
            return
        body = item.body
        if item.channel is Channel.EVENT:
            self._events.apply(tx, body, message.received_at, outcome, message.payload)
        elif item.channel is Channel.STATE:
            apply_heartbeat(self._index, tx, body, message.received_at, outcome)
        elif item.channel is Channel.STATUS:
            apply_status(self._index, tx, body, message.received_at, outcome)
        else:
            outcome.quarantine(
                tx, message, "cmd topics are server to device only", "wrong_direction"
            )
