"""A device's contact with the server: its state heartbeats, its online/offline status, and the
server giving up on it (an offline will, or the TTL sweep in liveness.py)."""

import json
from dataclasses import replace
from datetime import datetime

from contracts import DeviceState, DeviceStatus, encode
from server.domain.occupancy import DeskReason, sensed
from server.domain.sequencing import Position, ReadingOrigin
from server.services.ingest_batch import BatchOutcome
from server.services.ingest_rows import alive, cursor, device_record, log_received, lose_desk, sense
from server.services.ports import Transaction
from server.services.site_index import SiteIndex

OFFLINE_REASON = DeskReason.SENSOR_OFFLINE
SENSOR_FAULT_REASON = DeskReason.SENSOR_FAULT

CONTACT_LOST = "desk.contact_lost"  # a log record of the TTL sweep, never on the wire


def apply_heartbeat(
    index: SiteIndex,
    tx: Transaction,
    state: DeviceState,
    received_at: datetime,
    outcome: BatchOutcome,
) -> None:
    device = device_record(index, tx, state.device)
    last = cursor(device)
    position = Position(state.epoch, state.seq)
    if last is not None and position < last:
        return  # an older retained heartbeat: it says nothing about now
    device = alive(device, state.epoch, received_at)
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
        sense(tx, desk, present, received_at, outcome, None, reading)
    for desk in state.faulty:  # the device's own word that the desk's sensor is broken
        lose_desk(tx, desk, received_at, SENSOR_FAULT_REASON, outcome)
    if len(outcome.changes) != changed_before:
        # Only heartbeats that moved a desk are logged: the log stays a fold of desk state
        # without keeping every routine heartbeat.
        log_received(
            tx,
            state.device,
            state.type,
            encode(state).decode(),
            state.epoch,
            state.seq,
            received_at,
        )


def apply_status(
    index: SiteIndex,
    tx: Transaction,
    status: DeviceStatus,
    received_at: datetime,
    outcome: BatchOutcome,
    reason: DeskReason = OFFLINE_REASON,
) -> None:
    device = device_record(index, tx, status.device)
    if device.status_epoch is not None and status.epoch < device.status_epoch:
        return  # a late will from an earlier boot must not overwrite the reconnect
    if status.status == "online":
        tx.save_device(alive(device, status.epoch, received_at))
        return
    tx.save_device(replace(device, status="offline", status_epoch=status.epoch))
    log_received(
        tx, status.device, status.type, encode(status).decode(), status.epoch, 0, received_at
    )
    lose_contact(index, tx, device.id, received_at, reason, outcome)


def log_contact_lost(tx: Transaction, device_id: str, at: datetime, reason: DeskReason) -> None:
    """Record that the server gave up on a silent device, so a rebuild can replay it."""
    log_received(tx, device_id, CONTACT_LOST, json.dumps({"reason": reason}), 0, 0, at)


def lose_contact(
    index: SiteIndex,
    tx: Transaction,
    device_id: str,
    at: datetime,
    reason: DeskReason,
    outcome: BatchOutcome,
) -> None:
    """Every desk the device serves becomes unknown."""
    for desk_id in sorted(index.devices[device_id].desks):
        lose_desk(tx, desk_id, at, reason, outcome)
