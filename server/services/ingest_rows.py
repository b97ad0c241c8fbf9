"""The rows every ingest path writes: a device's record, a desk's state, a log record.

Shared by the event path (device_events.py), the status and state path (device_contact.py)
and off-the-shelf devices (off_the_shelf_ingest.py), so each moves them the same way.
"""

from dataclasses import replace
from datetime import datetime
from typing import Any

from server.domain.occupancy import DeskReason, lost_contact, sensed
from server.domain.sequencing import Position, ReadingOrigin
from server.services.ingest_batch import BatchOutcome
from server.services.ports import DeviceRecord, EventRecord, Transaction
from server.services.site_index import SiteIndex


def device_record(index: SiteIndex, tx: Transaction, device_id: str) -> DeviceRecord:
    """The device's record, or a new one for a device not heard from before."""
    record = tx.device(device_id)
    if record is None:
        record = DeviceRecord(id=device_id, kind=index.devices[device_id].kind)
    return record


def cursor(device: DeviceRecord) -> Position | None:
    return None if device.epoch is None else Position(device.epoch, device.seq or 0)


def alive_changes(device: DeviceRecord, epoch: int, received_at: datetime) -> dict[str, Any]:
    """What hearing from the device changes: last seen, and online unless an older boot spoke."""
    status_epoch = device.status_epoch
    if status_epoch is None or epoch >= status_epoch:
        return {"status": "online", "status_epoch": epoch, "last_seen": received_at}
    return {"last_seen": received_at}


def alive(device: DeviceRecord, epoch: int, received_at: datetime) -> DeviceRecord:
    return replace(device, **alive_changes(device, epoch, received_at))


def sense(
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


def lose_desk(
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


def log_received(
    tx: Transaction,
    device: str,
    kind: str,
    payload: str,
    epoch: int,
    seq: int,
    received_at: datetime,
) -> None:
    """Log what is not an event (a heartbeat, a status, lost contact) under its receive time."""
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
