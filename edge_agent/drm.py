"""Display connectors from Linux DRM sysfs (`/sys/class/drm/<card>-<connector>/status`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_DRM_ROOT = Path("/sys/class/drm")


@dataclass(frozen=True, slots=True)
class ConnectorChange:
    """One connector whose status differs from the previous reading."""

    connector: str
    connected: bool


class DrmConnectors:
    """Reads every connector's status afresh on each call.

    Hot-plug adds and removes connector directories (USB-C docks, DisplayLink), so the tree is
    listed again on every read rather than remembered; a connector that vanished counts as
    disconnected.
    """

    def __init__(self, root: Path = DEFAULT_DRM_ROOT) -> None:
        self.root = root
        self._last: dict[str, bool] = {}

    def read(self) -> dict[str, bool]:
        """Connector name -> connected, for every connector that has a status file now."""
        found: dict[str, bool] = {}
        for status in sorted(self.root.glob("*/status")):
            try:
                text = status.read_text(encoding="ascii").strip()
            except OSError:
                continue  # unplugged between listing and reading: absent this time
            # "unknown" is what some drivers say for a port they cannot probe: not a display.
            found[status.parent.name] = text == "connected"
        return found

    def changes(self) -> list[ConnectorChange]:
        """What changed since the previous call (the first call reports connected ones only)."""
        now = self.read()
        out = []
        for name in sorted(set(now) | set(self._last)):
            before = self._last.get(name, False)
            after = now.get(name, False)
            if before != after:
                out.append(ConnectorChange(name, after))
        self._last = now
        return out

    @property
    def current(self) -> dict[str, bool]:
        """The reading the last `changes()` call compared against."""
        return dict(self._last)
