"""Order-safe apply: a device's event counts only if it is newer than the last one applied."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """Where an event sits in a device's stream: boot counter, then sequence within the boot."""

    epoch: int
    seq: int


def is_newer(candidate: Position, last_applied: Position | None) -> bool:
    """True when `candidate` comes after everything applied so far for the device."""
    return last_applied is None or candidate > last_applied
