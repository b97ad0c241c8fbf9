"""When a device's retained heartbeat is due: every interval, and at once when asked."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class HeartbeatSchedule:
    """Runs on real (monotonic) time, because the broker expires heartbeats in real time.

    `request()` may come from any thread (paho's, on online or a resync command); the agent's
    own thread `take()`s a due heartbeat on its tick.
    """

    def __init__(self, interval_s: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self._monotonic = monotonic
        self._started = monotonic()
        self._next = self._started + interval_s
        self._requested = threading.Event()

    def request(self) -> None:
        """Ask for a heartbeat on the next tick."""
        self._requested.set()

    def take(self) -> bool:
        """True when a heartbeat is due (the interval passed or someone asked); the next one
        is then an interval away, whether or not this one could be sent."""
        mono = self._monotonic()
        if mono < self._next and not self._requested.is_set():
            return False
        self._requested.clear()
        self._next = mono + self.interval_s
        return True

    def uptime_s(self) -> float:
        """Seconds since the schedule (the device) started."""
        return max(0.0, self._monotonic() - self._started)
