"""The TTL sweep: desks whose sensor has gone quiet become unknown, never free."""

from datetime import timedelta

from server.services.ingest import BatchOutcome, Ingest
from server.services.ports import Clock, Store
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
            for device in tx.devices():
                info = self._index.devices.get(device.id)
                if info is None or info.kind != "desk" or device.last_seen is None:
                    continue
                if now - device.last_seen > timedelta(seconds=info.ttl_s):
                    reason = f"sensor silent for over {info.ttl_s:.0f} s"
                    before = len(outcome.changes)
                    self._ingest.lose_contact(tx, device.id, now, reason, outcome)
                    if len(outcome.changes) != before:
                        self._ingest.log_contact_lost(tx, device.id, now, reason)
        return outcome
