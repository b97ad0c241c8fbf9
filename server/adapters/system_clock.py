"""The real clock."""

from datetime import UTC, datetime


class SystemClock:
    """UTC wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)
