"""What every AP source parser produces: a station joined or left, or an AP forgot them all.

Each observation says which AP it is about as far as its line does: a radio or AP address
(`bssid`), an AP name, an interface, and the host that logged it (a syslog header). The agent
decides from those, and its config, whether it is about its own AP (see attribution.py).

A parser returns a list of observations for a line it recognises (empty when the line is from a
Wi-Fi program but reports no association: ignored), or None for a line it does not recognise.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

# How vendors write a station's address in their lines, for the parsers' patterns (a match is
# then normalised, and refused if it is no station address, by normalise_mac).
MAC = r"[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}"
DOTTED_MAC = r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}"


@dataclass(frozen=True, slots=True)
class Association:
    """A station joined or left; `station` is a normalised MAC that is hashed at once."""

    station: str
    joined: bool
    bssid: str | None = None
    ap_name: str | None = None
    interface: str | None = None
    host: str | None = None

    def __repr__(self) -> str:
        # Never print the address, not even in a traceback or a debugger.
        return f"Association(joined={self.joined}, where={describe(self)!r})"


@dataclass(frozen=True, slots=True)
class Reset:
    """The AP (or the radio or controller serving it) restarted: all its associations are gone."""

    bssid: str | None = None
    ap_name: str | None = None
    interface: str | None = None
    host: str | None = None


Observation = Association | Reset
Parsed = list[Observation] | None


def describe(observation: Observation) -> str:
    """Which AP the observation names, without any address: `bssid`, `ap_name`, ... or `local`."""
    named = [
        name
        for name in ("bssid", "ap_name", "interface", "host")
        if getattr(observation, name) is not None
    ]
    return "+".join(named) or "local"


def on_host(observations: Parsed, host: str | None) -> Parsed:
    """The observations with the syslog sender's host name added (None stays None)."""
    if observations is None or host is None:
        return observations
    return [replace(o, host=host) for o in observations]
