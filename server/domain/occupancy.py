"""Desk occupancy: the states a desk can be in and the transitions sensors and liveness cause."""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from server.domain.sequencing import Reading


class DeskState(StrEnum):
    """What the map shows for a desk."""

    FREE = "free"
    HELD = "held"  # assigned, waiting for the person to arrive
    OCCUPIED = "occupied"
    AWAY = "away"  # assigned, briefly absent
    UNKNOWN = "unknown"  # sensor offline or stale: never shown as free
    BLOCKED = "blocked"  # maintenance


@dataclass(frozen=True, slots=True)
class DeskStatus:
    """The live state of one desk and why it is so."""

    desk: str
    floor: str
    state: DeskState
    since: datetime
    reason: str
    present: bool | None = None  # last sensor reading; None when never reported
    reading: Reading | None = None  # which reading set `present`, to ignore older ones


@dataclass(frozen=True, slots=True)
class Transition:
    """A desk changed state; `reason` is shown to people and kept in history."""

    before: DeskStatus
    after: DeskStatus

    @property
    def desk(self) -> str:
        return self.after.desk


def sensed(
    status: DeskStatus, present: bool, at: datetime, source: str, reading: Reading | None = None
) -> Transition | None:
    """Apply a (debounced) presence reading; None when nothing about the desk changed."""
    after = _after_reading(status, present, at, source)
    if reading is not None:
        after = replace(after, reading=reading)
    return None if after == status else Transition(status, after)


def lost_contact(status: DeskStatus, at: datetime, reason: str) -> Transition | None:
    """The desk's sensor went offline or stale: the desk becomes unknown, never free."""
    if status.state in (DeskState.UNKNOWN, DeskState.BLOCKED):
        return None
    return Transition(status, replace(status, state=DeskState.UNKNOWN, since=at, reason=reason))


def _after_reading(status: DeskStatus, present: bool, at: datetime, source: str) -> DeskStatus:
    if status.state is DeskState.BLOCKED:
        return replace(status, present=present)  # remembered for when maintenance ends
    if present:
        target, reason = DeskState.OCCUPIED, f"{source}: presence detected"
    else:
        target, reason = DeskState.FREE, f"{source}: nobody present"
    if status.state is target:
        return replace(status, present=present)  # `since` keeps counting from the first reading
    return replace(status, state=target, since=at, reason=reason, present=present)
