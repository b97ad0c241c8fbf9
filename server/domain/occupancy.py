"""Desk occupancy: the states a desk can be in and the transitions sensors and liveness cause."""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


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


@dataclass(frozen=True, slots=True)
class Transition:
    """A desk changed state; `reason` is shown to people and kept in history."""

    before: DeskStatus
    after: DeskStatus

    @property
    def desk(self) -> str:
        return self.after.desk


def sensed(status: DeskStatus, present: bool, at: datetime, source: str) -> Transition | None:
    """Apply a (debounced) presence reading; None when nothing a person would see changed."""
    if status.state is DeskState.BLOCKED:
        return _record_reading(status, present)
    if present:
        target = DeskState.OCCUPIED
        reason = f"{source}: presence detected"
    else:
        target = DeskState.FREE
        reason = f"{source}: nobody present"
    return _move(status, target, at, reason, present)


def lost_contact(status: DeskStatus, at: datetime, reason: str) -> Transition | None:
    """The desk's sensor went offline or stale: the desk becomes unknown, never free."""
    if status.state in (DeskState.UNKNOWN, DeskState.BLOCKED):
        return None
    return _move(status, DeskState.UNKNOWN, at, reason, status.present)


def _move(
    status: DeskStatus, target: DeskState, at: datetime, reason: str, present: bool | None
) -> Transition | None:
    if status.state is target:
        if status.present == present:
            return None
        # Same state, new reading: keep `since`, remember the reading silently.
        return Transition(status, replace(status, present=present))
    return Transition(status, replace(status, state=target, since=at, reason=reason, present=present))


def _record_reading(status: DeskStatus, present: bool) -> Transition | None:
    if status.present == present:
        return None
    return Transition(status, replace(status, present=present))
