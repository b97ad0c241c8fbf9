"""The TTL sweep: desks whose sensor has gone quiet, or was revoked, become unknown, never free."""

from datetime import datetime, timedelta

from server.domain.occupancy import DeskReason
from server.services.device_contact import log_contact_lost, lose_contact
from server.services.ingest_batch import BatchOutcome
from server.services.ports import Clock, DeviceRecord, Store
from server.services.site_index import SiteIndex


class LivenessSweep:
    """Marks desks unknown when their device's last report is older than its TTL, or when the
    device was revoked (whatever it, or the broker on its behalf, said since)."""

    def __init__(self, index: SiteIndex, store: Store, clock: Clock) -> None:
        self._index = index
        self._store = store
        self._clock = clock

    def run(self) -> BatchOutcome:
        """One sweep at the clock's now; returns the desks it changed (after commit)."""
        now = self._clock.now()
        outcome = BatchOutcome()
        with self._store.transaction() as tx:
            silent = {
                device.id: DeskReason.SENSOR_SILENT
                for device in tx.devices()
                if self._silent(device, now)
            }
            # A revoked device is offline for good, whatever the broker still holds of it.
            for device_id in sorted(tx.revoked_devices()):
                info = self._index.devices.get(device_id)
                if info is not None and info.kind == "desk":
                    silent[device_id] = DeskReason.SENSOR_OFFLINE
            desks = {desk for device_id in silent for desk in self._index.devices[device_id].desks}
            tx.preload(desks=desks, devices=silent)
            for device_id, reason in sorted(silent.items()):
                if reason is DeskReason.SENSOR_SILENT and not self._silent(
                    tx.device(device_id), now
                ):
                    continue  # it reported between the unlocked look and the lock
                before = len(outcome.changes)
                lose_contact(self._index, tx, device_id, now, reason, outcome)
                if len(outcome.changes) != before:
                    log_contact_lost(tx, device_id, now, reason)
        return outcome

    def _silent(self, device: DeviceRecord | None, now: datetime) -> bool:
        if device is None:
            return False
        info = self._index.devices.get(device.id)
        if info is None or info.kind != "desk" or device.last_seen is None:
            return False
        return now - device.last_seen > timedelta(seconds=info.ttl_s)
