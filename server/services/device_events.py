"""A device's events: logged once under their event id, applied in device order.

Presence of a desk, a boot, an AP's station count, a room monitor's event: from a freeseat
agent as contract JSON, or numbered by the server for an off-the-shelf device.
"""

from dataclasses import replace
from datetime import datetime, timedelta

from contracts import (
    ApStationsCounted,
    Channel,
    ContractError,
    DeskPresenceChanged,
    DeviceBooted,
    RoomEvent,
    decode,
    encode,
    event_id,
)
from contracts.topics import ROOT, VERSION
from server.domain.sequencing import Position, ReadingOrigin, is_newer, supersedes
from server.services.ingest_batch import BatchOutcome, Inbound
from server.services.ingest_rows import alive_changes, cursor, device_record, sense
from server.services.ports import EventRecord, Transaction
from server.services.room_ports import RoomEventSink
from server.services.site_index import SiteIndex
from server.services.wifi_presence import WifiPresence

# The events kept in the event log under their event id.
LoggedEvent = DeskPresenceChanged | DeviceBooted | ApStationsCounted | RoomEvent

# How far a reading's `at` may be from its receive time before the device's clock is not
# believed (FREESEAT_MAX_CLOCK_SKEW_S): the network and an outbox replay delay a reading by
# seconds, not by hours; a reset RTC or a wrong time zone by much more.
DEFAULT_MAX_CLOCK_SKEW = timedelta(minutes=5)


class DeviceEvents:
    """Logs and applies events; duplicates, stale and conflicting ones are counted apart."""

    def __init__(
        self,
        index: SiteIndex,
        wifi: WifiPresence | None = None,
        rooms: RoomEventSink | None = None,
        max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
    ) -> None:
        self._index = index
        self._max_clock_skew = max_clock_skew
        self._wifi = wifi  # applies AP station counts; None where they need not be kept
        self._rooms = rooms  # applies room-monitor events; None where rooms are not served

    def apply(
        self,
        tx: Transaction,
        event: LoggedEvent,
        received_at: datetime,
        outcome: BatchOutcome,
        payload: bytes | None = None,
    ) -> None:
        """Log and apply one event; `payload` is its wire form when it came as freeseat JSON."""
        device = device_record(self._index, tx, event.device)
        position = Position(event.epoch, event.seq)
        key = event_id(event)
        if isinstance(event, DeskPresenceChanged):
            desk = tx.desk(event.desk)
            # Order matters per desk: a gateway's later event for another desk says nothing here.
            newer = desk is not None and supersedes(event.device, position, desk.reading)
        else:
            newer = is_newer(position, cursor(device))
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
        changes = alive_changes(device, event.epoch, received_at)
        at = event.at
        if abs(event.at - received_at) > self._max_clock_skew:
            # A clock that far off would date the desk's change (and its history) wrongly, a
            # day ahead even: the server's receive time is nearer the truth. Counted, so
            # facilities see which device's clock to fix.
            at = received_at
            changes["clock_skewed"] = device.clock_skewed + 1
            changes["clock_skew_s"] = (event.at - received_at).total_seconds()
        if is_newer(position, cursor(device)):
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
            sense(
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
