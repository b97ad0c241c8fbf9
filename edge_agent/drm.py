"""Display connectors from Linux DRM sysfs, by names that survive card renumbering.

The kernel names a connector directory `card<N>-<connector>` (`/sys/class/drm/card0-HDMI-A-1`),
and N follows probe order: a USB dock or DisplayLink adapter plugged in again, or a second GPU,
can turn card0 into card1. So a connector is known by its connector name (`HDMI-A-1`, `DP-2`),
and, when two cards have one of the same name, by that name and its card's device
(`HDMI-A-1@0000:00:02.0`, the card's `device` link in sysfs); a config may name either. The
`status` file says `connected`, `disconnected` or `unknown` (the driver cannot probe the port):
unknown is no reading, never "disconnected".
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DRM_ROOT = Path("/sys/class/drm")
_STATES = {"connected": True, "disconnected": False}


@dataclass(frozen=True, slots=True)
class ConnectorChange:
    """One connector whose status differs from the last one read."""

    connector: str
    connected: bool


@dataclass(frozen=True, slots=True)
class Connector:
    """One connector as read now: its names, and whether a display is there (None: unknown)."""

    name: str  # `HDMI-A-1`
    device: str  # the card's device, e.g. `0000:00:02.0`
    connected: bool | None

    @property
    def key(self) -> str:
        """The name that tells it from every other connector: `HDMI-A-1@0000:00:02.0`."""
        return f"{self.name}@{self.device}"


def stable_name(name: str) -> str:
    """A config's connector name without a card index (`card0-HDMI-A-1` -> `HDMI-A-1`)."""
    card, sep, rest = name.partition("-")
    return rest if sep and card.startswith("card") and card[4:].isdigit() else name


class DrmConnectors:
    """Reads every connector's status afresh on each call.

    Hot-plug adds and removes connector directories (USB-C docks, DisplayLink), so the tree is
    listed again on every read rather than remembered; a connector that vanished counts as
    disconnected, one that says `unknown` keeps its last known state.
    """

    def __init__(self, root: Path = DEFAULT_DRM_ROOT) -> None:
        self.root = root
        self._known: dict[str, bool] = {}  # by key
        self._names: dict[str, str] = {}  # key -> the name it is reported by
        self.unknown_readings = 0

    def read(self) -> list[Connector]:
        """Every connector that has a status file now."""
        found = []
        for status in sorted(self.root.glob("card*-*/status")):
            try:
                text = status.read_text(encoding="ascii").strip()
            except OSError:
                continue  # unplugged between listing and reading: absent this time
            card, _, name = status.parent.name.partition("-")
            found.append(Connector(name, self._device(card), _STATES.get(text)))
        return found

    def _device(self, card: str) -> str:
        try:
            return Path(os.path.realpath(self.root / card / "device")).name or card
        except OSError:
            return card

    def changes(self) -> list[ConnectorChange]:
        """What changed since the previous call (the first call reports connected ones only)."""
        connectors = self.read()
        clashes = Counter(c.name for c in connectors)
        seen = set()
        out = []
        for connector in connectors:
            seen.add(connector.key)
            self._names[connector.key] = (
                connector.key if clashes[connector.name] > 1 else connector.name
            )
            if connector.connected is None:
                self.unknown_readings += 1
                continue
            if self._known.get(connector.key, False) != connector.connected:
                out.append(ConnectorChange(self._names[connector.key], connector.connected))
            self._known[connector.key] = connector.connected
        for key in sorted(set(self._known) - seen):
            if self._known.pop(key):
                out.append(ConnectorChange(self._names[key], False))
        return out

    @property
    def current(self) -> dict[str, bool]:
        """Each connector's last known state, by the name it is reported by."""
        return {self._names[key]: state for key, state in self._known.items()}

    def matches(self, reported: str, configured: list[str]) -> bool:
        """Whether the connector reported as `reported` is one of `configured` (by its short
        or its full name, with or without a card index)."""
        wanted = {stable_name(name) for name in configured}
        key = next((k for k, name in self._names.items() if name == reported), reported)
        return reported in wanted or key in wanted or key.partition("@")[0] in wanted
