"""Debouncing raw presence into changes worth publishing: occupied fast, free slowly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from firmware_config.site import HoldTimes


@dataclass(frozen=True, slots=True)
class DebouncedChange:
    """The debounced presence of a desk changed at `at` (when the hold time was met)."""

    present: bool
    at: datetime


class Debouncer:
    """One desk's debounced presence; pure, every call takes the time explicitly.

    The state becomes occupied after `occupied_after_s` of continuous presence and free after
    `free_after_s` of continuous absence; it is None (unknown) until the first such decision.
    """

    __slots__ = ("_free_after", "_occupied_after", "_raw", "_raw_since", "state")

    def __init__(self, hold: HoldTimes) -> None:
        self._occupied_after = timedelta(seconds=hold.occupied_after_s)
        self._free_after = timedelta(seconds=hold.free_after_s)
        self.state: bool | None = None
        self._raw: bool | None = None
        self._raw_since: datetime | None = None

    @property
    def deadline(self) -> datetime | None:
        """When the pending change takes effect if the raw reading holds; None if none pends."""
        if self._raw is None or self._raw == self.state or self._raw_since is None:
            return None
        return self._raw_since + (self._occupied_after if self._raw else self._free_after)

    def observe(self, present: bool, at: datetime) -> list[DebouncedChange]:
        """Record a raw reading taken at `at`; returns the changes completed up to then.

        A reading older than the last raw change is ignored: sources report oldest first,
        and a straggler must not restart a hold that is already running.
        """
        if self._raw_since is not None and at < self._raw_since:
            return []
        changes = self.poll(at)
        if present != self._raw:
            self._raw = present
            self._raw_since = at
            changes += self.poll(at)
        return changes

    def poll(self, now: datetime) -> list[DebouncedChange]:
        """The change whose hold time has passed by `now`, if any."""
        due = self.deadline
        if due is None or now < due:
            return []
        self.state = self._raw
        assert self.state is not None
        return [DebouncedChange(self.state, due)]
