"""Retention: how long personal and bulky rows are kept, enforced by a job on the ticker.

Per purpose (FREESEAT_RETENTION_DAYS overrides any of them):

- `desk_history`: who held or used a desk. After this, history keeps the desk's states and
  reason kinds but no longer whom they were about (`desk_transitions.person` is cleared), and
  released seat holds (a person, a desk, a day) are deleted. Anti-fixation looks back a few
  working days and the figures at most 90, so they are unaffected by the default.
- `materials`: the PDF bytes of meeting materials, counted from the end of their session (the
  attendees' link dies 15 minutes after it). Page counts and sizes stay for the paperless figure.
- `quarantine`: rejected MQTT messages (their first 4 KiB, size and hash).

The log of who looked whom up (colleague lookups and desk naming reads) is Wi-Fi presence's
`wifi_location_lookups` (FREESEAT_WIFI_RETENTION_DAYS, 90 days by default).
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

from server.services.ports import Clock

DEFAULT_LIMITS: Mapping[str, timedelta] = {
    "desk_history": timedelta(days=90),
    "materials": timedelta(days=30),
    "quarantine": timedelta(days=30),
}


class RetentionStore(Protocol):
    def forget_desk_people(self, before: datetime) -> int:
        """Clear whom desk history before `before` was about, delete seat holds released
        before it; returns rows changed."""
        ...

    def purge_materials(self, ended_before: datetime) -> int:
        """Drop the PDF bytes of sessions that ended before `ended_before`; returns how many."""
        ...

    def purge_quarantine(self, before: datetime) -> int:
        """Delete messages quarantined before `before`; returns how many."""
        ...


class Retention:
    """Runs each purpose's purge at most every `every`, on the injected clock."""

    def __init__(
        self,
        store: RetentionStore,
        clock: Clock,
        limits: Mapping[str, timedelta] = DEFAULT_LIMITS,
        every: timedelta = timedelta(hours=1),
    ) -> None:
        unknown = sorted(set(limits) - set(DEFAULT_LIMITS))
        if unknown:
            raise ValueError(f"no retention purpose {unknown}; known: {list(DEFAULT_LIMITS)}")
        self._store = store
        self._clock = clock
        self.limits = {**DEFAULT_LIMITS, **limits}
        self._every = every
        self._next: datetime | None = None

    def run_due(self) -> dict[str, int]:
        """Enforce every limit if the interval has passed; rows changed per purpose."""
        now = self._clock.now()
        if self._next is not None and now < self._next:
            return {}
        self._next = now + self._every
        return self.enforce(now)

    def enforce(self, now: datetime) -> dict[str, int]:
        limits = self.limits
        return {
            "desk_history": self._store.forget_desk_people(now - limits["desk_history"]),
            "materials": self._store.purge_materials(now - limits["materials"]),
            "quarantine": self._store.purge_quarantine(now - limits["quarantine"]),
        }
