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


@dataclass(frozen=True, slots=True)
class ReadingOrigin:
    """Which device reading set a desk's presence last, and where it sat in that device's stream."""

    device: str
    position: Position


def supersedes(device: str, position: Position, last: ReadingOrigin | None) -> bool:
    """True when a reading from `device` at `position` is newer than the desk's last reading.

    Order only means something within one device's stream; a reading from another device
    (a sensor swapped for a new one) always counts.
    """
    return last is None or last.device != device or position > last.position
