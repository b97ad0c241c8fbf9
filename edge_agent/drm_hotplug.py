"""Kernel hot-plug events for display connectors, from a netlink uevent socket.

The kernel multicasts a uevent on NETLINK_KOBJECT_UEVENT (group 1) for every device change,
as `ACTION@DEVPATH` followed by NUL-separated `KEY=VALUE` pairs (lib/kobject_uevent.c); a DRM
card's hot-plug is `change@/devices/.../drm/card0` with `SUBSYSTEM=drm` and `HOTPLUG=1`. udev
re-broadcasts the same on group 2 after its rules ran; reading the kernel's needs no udev and
no library. Where the socket cannot be opened (no netlink in the container, a non-Linux
system), the room agent polls sysfs instead.
"""

from __future__ import annotations

import logging
import socket

log = logging.getLogger(__name__)

NETLINK_KOBJECT_UEVENT = 15
KERNEL_GROUP = 1
MAX_DATAGRAM = 16384


def uevent_fields(datagram: bytes) -> dict[str, str]:
    """The KEY=VALUE pairs of a kernel uevent (empty for anything else, e.g. udev's)."""
    head, _, rest = datagram.partition(b"\0")
    if b"@" not in head or head.startswith(b"libudev"):
        return {}
    fields = {}
    for item in rest.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            fields[key.decode("ascii", "replace")] = value.decode("utf-8", "replace")
    return fields


class UeventMonitor:
    """A non-blocking kernel uevent socket; says whether any DRM device changed since asked."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.events = 0  # every uevent read, DRM or not
        self.drm_events = 0

    @classmethod
    def open(cls) -> UeventMonitor | None:
        """The monitor, or None (logged) where the kernel's uevents cannot be read."""
        family = getattr(socket, "AF_NETLINK", None)
        if family is None:
            return None
        try:
            sock = socket.socket(
                family, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT
            )
        except OSError as exc:
            log.info("no kernel uevents (%s): polling DRM connectors instead", exc.strerror)
            return None
        try:
            sock.bind((0, KERNEL_GROUP))
        except OSError as exc:
            sock.close()
            log.info("no kernel uevents (%s): polling DRM connectors instead", exc.strerror)
            return None
        return cls(sock)

    def drm_changed(self) -> bool:
        """True when a DRM uevent arrived since the last call (reads all that are queued)."""
        changed = False
        while True:
            try:
                datagram = self._sock.recv(MAX_DATAGRAM)
            except BlockingIOError:
                return changed
            except OSError as exc:
                # ENOBUFS: the queue overflowed and events were lost; a re-read covers them.
                log.debug("uevent socket: %s", exc)
                return True
            self.events += 1
            if uevent_fields(datagram).get("SUBSYSTEM") == "drm":
                self.drm_events += 1
                changed = True

    def close(self) -> None:
        self._sock.close()
