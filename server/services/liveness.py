"""The TTL sweep: desks whose sensor has gone quiet become unknown, never free."""

from datetime import datetime, timedelta

from server.domain.occupancy import DeskReason
from server.services.ingest import BatchOutcome, Ingest
from server.services.ports import Clock, DeviceRecord, Store
from server.services.site_index import SiteIndex


class LivenessSweep:
    """Marks desks unknown when their device's last report is older than its TTL."""

    def __init__(self, index: SiteIndex, store: Store, ingest: Ingest, clock: Clock) -> None:
        self._index = index
        self._store = store
        self._ingest = ingest
        self._clock = clock

    def run(self) -> BatchOutcome:
        """One sweep at the clock's now; returns the desks it changed (after commit)."""
        now = self._clock.now()
        outcome = BatchOutcome()
        with self._store.transaction() as tx:
            silent = [device.id for device in tx.devices() if self._silent(device, now)]
            desks = {desk for device_id in silent for desk in self._index.devices[device_id].desks}
            tx.preload(desks=desks, devices=silent)
            for device_id in silent:
                device = tx.device(device_id)
                if device is None or not self._silent(device, now):
                    continue  # it reported between the unlocked look and the lock
                reason = DeskReason.SENSOR_SILENT
                before = len(outcome.changes)
                self._ingest.lose_contact(tx, device_id, now, reason, outcome)
                if len(outcome.changes) != before:
                    self._ingest.log_contact_lost(tx, device_id, now, reason)
        return outcome

    def _silent(self, device: DeviceRecord, now: datetime) -> bool:
        info = self._index.devices.get(device.id)
        if info is None or info.kind != "desk" or device.last_seen is None:
            return False
        return now - device.last_seen > timedelta(seconds=info.ttl_s)
