"""The ingest handler: turns a batch of raw MQTT messages into one committed transaction."""

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from contracts import (
    ApStationsCounted,
    Channel,
    ContractError,
    DeskPresenceChanged,
    DeviceBooted,
    DeviceState,
    DeviceStatus,
    RoomEvent,
    SensorClass,
    decode,
    encode,
    event_id,
)
from contracts.topics import ROOT, VERSION, Topic
from server.domain.occupancy import (
    DeskReason,
    DeskStatus,
    DeskTransition,
    lost_contact,
    sensed,
)
from server.domain.sequencing import Position, ReadingOrigin, is_newer, supersedes
from server.services import retained_replay
from server.services.off_the_shelf import read_foreign
from server.services.ports import DeviceRecord, EventRecord, Store, Transaction
from server.services.recorded import RecordedSeqs
from server.services.room_ports import RoomEventSink
from server.services.site_index import ForeignRoute, SiteIndex
from server.services.wifi_presence import WifiPresence

OFFLINE_REASON = DeskReason.SENSOR_OFFLINE
BRIDGE_OFFLINE_REASON = DeskReason.BRIDGE_OFFLINE
CONTRACT_TOPICS = f"{ROOT}/{VERSION}/"
SENSOR_FAULT_REASON = DeskReason.SENSOR_FAULT


CONTACT_LOST = "desk.contact_lost"  # a log record of the TTL sweep, never on the wire
_LOGGED_CHANNELS = {"device.state": Channel.STATE, "device.status": Channel.STATUS}


# The events kept in the event log under their event id.
LoggedEvent = DeskPresenceChanged | DeviceBooted | ApStationsCounted | RoomEvent

# How far a reading's `at` may be from its receive time before the device's clock is not
# believed (FREESEAT_MAX_CLOCK_SKEW_S): the network and an outbox replay delay a reading by
# seconds, not by hours; a reset RTC or a wrong time zone by much more.
DEFAULT_MAX_CLOCK_SKEW = timedelta(minutes=5)

# ESPHome and Zigbee2MQTT devices have no boot counter; their stream is one server-numbered epoch.
FOREIGN_EPOCH = 0


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message as it came off the broker."""

    topic: str
    payload: bytes
    received_at: datetime
    # Replayed by the broker from what it kept, not just published: see retained_replay.py.
    retained: bool = False


@dataclass
class BatchOutcome:
    """What a committed batch did; `changes` are the desks whose visible state moved."""

    applied: int = 0
    stale: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantine_kinds: Counter[str] = field(default_factory=Counter)
    changes: dict[str, DeskStatus] = field(default_factory=dict)
    # Messages of known devices that carry nothing to apply (a node's other entities, its log,
    # a cleared retained topic), by kind: counted, never quarantined.
    ignored: Counter[str] = field(default_factory=Counter)
    # Agents' events now in the log or quarantine, for their outboxes (the applied watermark).
    recorded: RecordedSeqs = field(default_factory=RecordedSeqs)

    def quarantine(self, tx: Transaction, message: Inbound, reason: str, kind: str) -> None:
        """Keep a rejected message with its reason; it is acked like any other."""
        tx.quarantine(message.topic, message.payload, reason, message.received_at)
        self.quarantined += 1
        self.quarantine_kinds[kind] += 1

    def merge(self, part: "BatchOutcome") -> None:
        self.applied += part.applied
        self.stale += part.stale
        self.duplicates += part.duplicates
        self.quarantined += part.quarantined
        self.quarantine_kinds.update(part.quarantine_kinds)
        self.changes.update(part.changes)
        self.ignored.update(part.ignored)
        self.recorded.merge(part.recorded)

    def add(self, transition: DeskTransition | None) -> None:
        if transition is not None and transition.visible:
            self.changes[transition.desk] = transition.after


RejectionKind = Literal["unknown_device", "wrong_site", "spoofed", "wrong_direction", "revoked"]


class Quarantined(Exception):
    """A message that follows the contract but must not be applied (unknown or spoofed device)."""

    def __init__(self, message: str, kind: RejectionKind) -> None:
        super().__init__(message)
        self.kind: RejectionKind = kind


@dataclass(frozen=True, slots=True)
class Prepared:
    """A message decoded and checked: `body` on `channel`, or the `error` to quarantine it for.

    Neither body nor channel: a message of an off-the-shelf device, read inside the transaction.
    """

    message: Inbound
    body: Any = None
    channel: Channel | None = None
    error: ContractError | Quarantined | None = None
    # A refused event of a known device: (device, epoch, seq), so its outbox may forget it.
    refused: tuple[str, int, int] | None = None


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
        self._max_clock_skew = max_clock_skew
        self._store = store
        self._wifi = wifi  # applies AP station counts; None where they need not be kept
        self._rooms = rooms  # applies room-monitor events; None where rooms are not served

    def apply_batch(self, batch: Sequence[Inbound]) -> BatchOutcome:
        """Apply and commit the batch; returns only after the commit, so callers may then ack."""
        outcome = BatchOutcome()
        prepared = [self._prepare(message) for message in batch]
        with self._store.transaction() as tx:
            # One read per table for the whole batch instead of one per message.
            tx.preload(**self._keys(prepared))
            for item in prepared:
                self._apply_prepared(tx, item, outcome)
        return outcome

    def _keys(self, prepared: Sequence[Prepared]) -> dict[str, set[str]]:
        """Every desk, device and event id the batch may read or change, to preload at once.

        Not only for speed: a row first read later is locked later, out of the desks-then-
        devices order, and on PostgreSQL that deadlocked a batch against the liveness sweep.
        So an offline status brings all its device's desks (they all become unknown).
        """
        desks: set[str] = set()
        devices: set[str] = set()
        event_ids: set[str] = set()
        for item in prepared:
            body = item.body
            if body is None:
                route = None if item.error else self._index.foreign_route(item.message.topic)
                for device in route.served() if route is not None else ():
                    # An off-the-shelf device may go offline: all its desks.
                    devices.add(device)
                    desks.update(self._index.devices[device].desks)
                continue
            devices.add(body.device)
            if isinstance(body, DeskPresenceChanged):
                desks.add(body.desk)
            elif isinstance(body, DeviceState):
                desks.update(body.desks, body.faulty)
            elif isinstance(body, DeviceStatus) and body.status == "offline":
                desks.update(self._index.devices[body.device].desks)
            if hasattr(body, "seq") and item.channel is Channel.EVENT:
                event_ids.add(event_id(body))
        return {"desks": desks, "devices": devices, "event_ids": event_ids}

    def replay(self, records: Sequence[EventRecord]) -> BatchOutcome:
        """Apply logged records again, in log order, through the same handlers as live ingest."""
        outcome = BatchOutcome()
        with self._store.transaction() as tx:
            for record in records:
                if record.type == CONTACT_LOST:
                    reason = DeskReason(json.loads(record.payload)["reason"])
                    self.lose_contact(tx, record.device, record.at, reason, outcome)
                    self.log_contact_lost(tx, record.device, record.at, reason)
                    continue
                channel = _LOGGED_CHANNELS.get(record.type, Channel.EVENT)
                info = self._index.devices.get(record.device)
                kind = info.kind if info else "desk"
                topic = f"{ROOT}/v1/{self._index.site_id}/{kind}/{record.device}/{channel.value}"
                inbound = Inbound(topic, record.payload.encode(), record.received_at)
                self._apply_one(tx, inbound, outcome)
        return outcome

    def _apply_one(self, tx: Transaction, message: Inbound, outcome: BatchOutcome) -> None:
        item = self._prepare(message)
        if item.error is not None:
            outcome.quarantine(tx, message, str(item.error), item.error.kind)
            return
        # The log records what was applied then: a revocation since does not rewrite history.
        self._apply_fresh(tx, item, outcome)

    def _prepare(self, message: Inbound) -> "Prepared":
        """Decode and check a message outside the transaction (no database needed)."""
        if not message.topic.startswith(CONTRACT_TOPICS):
            # An ESPHome node may publish under `freeseat/...` too; the site check keeps it
            # out of `freeseat/v1/`.
            return Prepared(message)
        try:
            decoded = decode(message.topic, message.payload)
            self._check_sender(decoded.topic, decoded.message)
        except ContractError as exc:
            return Prepared(message, error=exc)
        except Quarantined as exc:
            body = decoded.message
            refused = None
            if exc.kind == "spoofed" and decoded.topic.channel is Channel.EVENT:
                refused = (body.device, body.epoch, body.seq)
            return Prepared(message, error=exc, refused=refused)
        return Prepared(message, decoded.message, decoded.topic.channel)

    def _apply_prepared(self, tx: Transaction, item: "Prepared", outcome: BatchOutcome) -> None:
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

    def _sender(self, item: "Prepared") -> str | None:
        """The device a checked message speaks for; None for a bridge or an unrouted topic."""
        if item.body is not None:
            return str(item.body.device)
        route = self._index.foreign_route(item.message.topic)
        return route.device if route is not None else None

    def _apply_replayed(
        self, tx: Transaction, item: "Prepared", sender: str, outcome: BatchOutcome
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
            cursor = None if device is None else _cursor(device)
            position = Position(body.epoch, body.seq)
            replay = retained_replay.judge(
                device,
                message.received_at,
                ttl_s,
                newer=cursor is None or position > cursor,
                said_at=body.at,
            )
        else:
            if _foreign_will(self._index.foreign_route(message.topic), message.payload):
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

    def _apply_fresh(self, tx: Transaction, item: "Prepared", outcome: BatchOutcome) -> None:
        message = item.message
        if item.channel is None:
            self._apply_foreign(tx, message, outcome)
            return
        body = item.body
        if item.channel is Channel.EVENT:
            self._event(tx, body, message.received_at, outcome, message.payload)
        elif item.channel is Channel.STATE:
            self._heartbeat(tx, body, message.received_at, outcome)
        elif item.channel is Channel.STATUS:
            self._status(tx, body, message.received_at, outcome)
        else:
            outcome.quarantine(
                tx, message, "cmd topics are server to device only", "wrong_direction"
            )

    def _apply_foreign(self, tx: Transaction, message: Inbound, outcome: BatchOutcome) -> None:
        route = self._index.foreign_route(message.topic)
        try:
            if route is None:
                raise Quarantined(
                    "no device in the site file publishes on this topic", "unknown_device"
                )
            reading = read_foreign(route, message.payload)
        except (ContractError, Quarantined) as exc:
            outcome.quarantine(tx, message, str(exc), exc.kind)
            return
        if reading.ignored is not None:
            outcome.ignored[reading.ignored] += 1
        at = message.received_at
        if route.device is None:
            if reading.online is False:  # a dead coordinator: nothing behind it reports
                for device_id in route.behind:
                    status = DeviceStatus(
                        device=device_id, epoch=FOREIGN_EPOCH, status="offline", at=at
                    )
                    self._status(tx, status, at, outcome, BRIDGE_OFFLINE_REASON)
            return
        if not reading.alive:
            return
        device = self._device(tx, route.device)
        if reading.online is not None:
            status = DeviceStatus(
                device=route.device,
                epoch=FOREIGN_EPOCH,
                status="online" if reading.online else "offline",
                at=at,
            )
            self._status(tx, status, at, outcome)
        elif reading.present is not None and route.desk is not None:
            # No sequence numbers on the wire: the server numbers them in broker order.
            info = self._index.devices[route.device]
            event = DeskPresenceChanged(
                device=route.device,
                epoch=FOREIGN_EPOCH,
                seq=(device.seq or 0) + 1,
                at=at,
                desk=route.desk,
                present=reading.present,
                sensor=info.sensor or SensorClass.PIR,
            )
            self._event(tx, event, at, outcome)
        else:
            tx.save_device(self._alive(device, FOREIGN_EPOCH, at))
        if reading.reported:
            # Battery, signal and version ride along with whatever else the message said.
            saved = tx.device(route.device) or device
            tx.save_device(replace(saved, **reading.reported))  # type: ignore[arg-type]

    def _check_sender(self, topic: Topic, body: object) -> None:
        if topic.site != self._index.site_id:
            raise Quarantined(
                f"site {topic.site!r} is not this server's site {self._index.site_id!r}",
                "wrong_site",
            )
        info = self._index.devices.get(topic.device)
        if info is None:
            raise Quarantined(
                f"unknown device {topic.device!r}: it is not in the site file", "unknown_device"
            )
        if info.kind != topic.kind.value:
            raise Quarantined(
                f"device {topic.device!r} is a {info.kind} device"
                f" but published as {topic.kind.value}",
                "spoofed",
            )
        if isinstance(body, DeskPresenceChanged) and body.desk not in info.desks:
            raise Quarantined(
                f"device {topic.device!r} does not serve desk {body.desk!r}", "spoofed"
            )
        if isinstance(body, DeviceState):
            foreign = sorted((set(body.desks) | set(body.faulty)) - info.desks)
            if foreign:
                raise Quarantined(
                    f"device {topic.device!r} does not serve desks {foreign[:5]}", "spoofed"
                )
        if isinstance(body, ApStationsCounted) and self._wifi is not None:
            problem = self._wifi.check(topic.device, body)
            if problem is not None:
                raise Quarantined(problem, "spoofed")
        if isinstance(body, RoomEvent) and self._rooms is not None:
            problem = self._rooms.rejects(topic.device, body)
            if problem is not None:
                raise Quarantined(problem, "spoofed")

    def _device(self, tx: Transaction, device_id: str) -> DeviceRecord:
        record = tx.device(device_id)
        if record is None:
            record = DeviceRecord(id=device_id, kind=self._index.devices[device_id].kind)
        return record

    def _event(
        self,
        tx: Transaction,
        event: DeskPresenceChanged | DeviceBooted | ApStationsCounted | RoomEvent,
        received_at: datetime,
        outcome: BatchOutcome,
        payload: bytes | None = None,
    ) -> None:
        """Log and apply one event; `payload` is its wire form when it came as freeseat JSON."""
        device = self._device(tx, event.device)
        position = Position(event.epoch, event.seq)
        key = event_id(event)
        if isinstance(event, DeskPresenceChanged):
            desk = tx.desk(event.desk)
            # Order matters per desk: a gateway's later event for another desk says nothing here.
            newer = desk is not None and supersedes(event.device, position, desk.reading)
        else:
            newer = is_newer(position, _cursor(device))
        # The bytes as received are valid contract JSON (they decoded): no re-encoding.
        wire = payload.decode() if payload is not None else encode(event).decode()
        stored = tx.add_event(
            EventRecord(
                event_id=key,
                device=event.device,
                epoch=event.epoch,
                seq=event.seq,
                type=event.type,
                payload=wire,
                at=event.at,
                received_at=received_at,
                applied=newer,
            )
        )
        if payload is not None:  # an agent's event, now logged: its outbox may forget it
            outcome.recorded.add(event.device, event.epoch, event.seq, device.epoch or 0)
        if not stored:
            logged = tx.logged_payload(key)
            if logged is not None and not self._same_event(logged, event, wire):
                # The id says "seen", the content says otherwise: a device that reused a
                # sequence number (a reset counter, a second device with its id). Not applied,
                # and not hidden among the duplicates either.
                reason = f"event {key} was logged before with different content"
                inbound = Inbound(self._event_topic(event.device), wire.encode(), received_at)
                outcome.quarantine(tx, inbound, reason, "conflict")
                return
            outcome.duplicates += 1
            return
        changes = _alive_changes(device, event.epoch, received_at)
        at = event.at
        if abs(event.at - received_at) > self._max_clock_skew:
            # A clock that far off would date the desk's change (and its history) wrongly, a
            # day ahead even: the server's receive time is nearer the truth. Counted, so
            # facilities see which device's clock to fix.
            at = received_at
            changes["clock_skewed"] = device.clock_skewed + 1
            changes["clock_skew_s"] = (event.at - received_at).total_seconds()
        if is_newer(position, _cursor(device)):
            changes |= {"epoch": event.epoch, "seq": event.seq}
        if isinstance(event, DeviceBooted) and newer:
            changes["version"] = event.version
        tx.save_device(replace(device, **changes))  # one copy: replace() is costly per event
        if not newer:
            outcome.stale += 1
            return
        outcome.applied += 1
        if isinstance(event, ApStationsCounted) and self._wifi is not None:
            self._wifi.apply(tx, event, received_at)
        if isinstance(event, RoomEvent) and self._rooms is not None:
            self._rooms.apply_event(tx, event, received_at)
        if isinstance(event, DeskPresenceChanged):
            reading = ReadingOrigin(event.device, position)
            self._sense(
                tx,
                event.desk,
                event.present,
                at,
                outcome,
                key,
                reading,
            )

    def _same_event(self, logged: str, event: LoggedEvent, wire: str) -> bool:
        """Whether the logged payload is this event: the same text, or the same fields (an
        agent of another version may write the same event with other spacing or key order)."""
        if logged == wire:
            return True
        try:
            before = decode(self._event_topic(event.device), logged).message
        except ContractError:
            return False
        return bool(before == event)

    def _event_topic(self, device: str) -> str:
        info = self._index.devices.get(device)
        kind = info.kind if info else "desk"
        return f"{ROOT}/{VERSION}/{self._index.site_id}/{kind}/{device}/{Channel.EVENT.value}"

    def _heartbeat(
        self, tx: Transaction, state: DeviceState, received_at: datetime, outcome: BatchOutcome
    ) -> None:
        device = self._device(tx, state.device)
        last = _cursor(device)
        position = Position(state.epoch, state.seq)
        if last is not None and position < last:
            return  # an older retained heartbeat: it says nothing about now
        device = self._alive(device, state.epoch, received_at)
        device = replace(
            device,
            epoch=state.epoch,
            seq=state.seq,
            version=state.version or device.version,
            battery=state.battery,
            rssi=state.rssi,
        )
        tx.save_device(device)
        reading = ReadingOrigin(state.device, position)
        changed_before = len(outcome.changes)
        for desk, present in state.desks.items():
            current = tx.desk(desk)
            if current is None or (
                current.reading is not None
                and current.reading.device == state.device
                and current.reading.position > position
            ):
                continue
            # A heartbeat that only confirms what the desk shows changes nothing, not even its
            # reading: so only heartbeats that move a desk need logging, and the log stays a
            # complete fold of desk state.
            if sensed(current, present, received_at) is None:
                continue
            self._sense(tx, desk, present, received_at, outcome, None, reading)
        for desk in state.faulty:  # the device's own word that the desk's sensor is broken
            self._lose_desk(tx, desk, received_at, SENSOR_FAULT_REASON, outcome)
        if len(outcome.changes) != changed_before:
            # Only heartbeats that moved a desk are logged: the log stays a fold of desk state
            # without keeping every routine heartbeat.
            self._log(
                tx,
                state.device,
                state.type,
                encode(state).decode(),
                state.epoch,
                state.seq,
                received_at,
            )

    def _status(
        self,
        tx: Transaction,
        status: DeviceStatus,
        received_at: datetime,
        outcome: BatchOutcome,
        reason: DeskReason = OFFLINE_REASON,
    ) -> None:
        device = self._device(tx, status.device)
        if device.status_epoch is not None and status.epoch < device.status_epoch:
            return  # a late will from an earlier boot must not overwrite the reconnect
        if status.status == "online":
            tx.save_device(self._alive(device, status.epoch, received_at))
            return
        tx.save_device(replace(device, status="offline", status_epoch=status.epoch))
        self._log(
            tx, status.device, status.type, encode(status).decode(), status.epoch, 0, received_at
        )
        self.lose_contact(tx, device.id, received_at, reason, outcome)

    @staticmethod
    def _log(
        tx: Transaction,
        device: str,
        kind: str,
        payload: str,
        epoch: int,
        seq: int,
        received_at: datetime,
    ) -> None:
        tx.add_event(
            EventRecord(
                event_id=f"{device}:{kind}:{epoch}:{seq}:{received_at.isoformat()}",
                device=device,
                epoch=epoch,
                seq=seq,
                type=kind,
                payload=payload,
                at=received_at,
                received_at=received_at,
                applied=True,
            )
        )

    def log_contact_lost(
        self, tx: Transaction, device_id: str, at: datetime, reason: DeskReason
    ) -> None:
        """Record that the server gave up on a silent device, so a rebuild can replay it."""
        self._log(tx, device_id, CONTACT_LOST, json.dumps({"reason": reason}), 0, 0, at)

    def lose_contact(
        self,
        tx: Transaction,
        device_id: str,
        at: datetime,
        reason: DeskReason,
        outcome: BatchOutcome,
    ) -> None:
        """Every desk the device serves becomes unknown."""
        for desk_id in sorted(self._index.devices[device_id].desks):
            self._lose_desk(tx, desk_id, at, reason, outcome)

    @staticmethod
    def _lose_desk(
        tx: Transaction, desk_id: str, at: datetime, reason: DeskReason, outcome: BatchOutcome
    ) -> None:
        status = tx.desk(desk_id)
        if status is None:
            return
        transition = lost_contact(status, at, reason)
        if transition is not None:
            tx.save_desk(transition.after)
            tx.record_transition(transition, None)
            outcome.add(transition)

    @staticmethod
    def _alive(device: DeviceRecord, epoch: int, received_at: datetime) -> DeviceRecord:
        return replace(device, **_alive_changes(device, epoch, received_at))

    def _sense(
        self,
        tx: Transaction,
        desk_id: str,
        present: bool,
        at: datetime,
        outcome: BatchOutcome,
        cause: str | None,
        reading: ReadingOrigin,
    ) -> None:
        status = tx.desk(desk_id)
        if status is None:
            return
        transition = sensed(status, present, at, reading)
        if transition is None:
            return
        tx.save_desk(transition.after)
        if transition.visible:
            tx.record_transition(transition, cause)
        outcome.add(transition)


def _foreign_will(route: ForeignRoute | None, payload: bytes) -> bool:
    """An off-the-shelf device's (or its bridge's) offline message: it always applies."""
    if route is None:
        return False
    try:
        return read_foreign(route, payload).online is False
    except ContractError:
        return False  # the normal path quarantines it


def _cursor(device: DeviceRecord) -> Position | None:
    return None if device.epoch is None else Position(device.epoch, device.seq or 0)


def _alive_changes(device: DeviceRecord, epoch: int, received_at: datetime) -> dict[str, Any]:
    """What hearing from the device changes: last seen, and online unless an older boot spoke."""
    status_epoch = device.status_epoch
    if status_epoch is None or epoch >= status_epoch:
        return {"status": "online", "status_epoch": epoch, "last_seen": received_at}
    return {"last_seen": received_at}
