"""Where agents read the time of day: an injectable wall clock, the system's UTC one by default."""

from datetime import UTC, datetime
from typing import Protocol


class WallClock(Protocol):
    """Anything that tells the current aware time; events and statuses are stamped with it."""

    def now(self) -> datetime: ...


class SystemWallClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)
