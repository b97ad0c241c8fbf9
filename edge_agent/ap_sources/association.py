"""What every AP source parser produces: a station joined or left, or an AP forgot them all."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Association:
    """A station joined or left; `station` is a normalised MAC that is hashed at once.

    `bssid` (a normalised AP radio address) says which AP, when the line says so; a line
    that does not comes from the AP the agent runs on.
    """

    station: str
    joined: bool
    bssid: str | None = None

    def __repr__(self) -> str:
        # Never print the address, not even in a traceback or a debugger.
        where = "bssid" if self.bssid else "local"
        return f"Association(joined={self.joined}, where={where!r})"


@dataclass(frozen=True, slots=True)
class Reset:
    """The AP (or the controller serving it) restarted: every association it had is gone."""

    bssid: str | None = None


Observation = Association | Reset
