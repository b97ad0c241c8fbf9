"""Room displays as the kernel shows them: renumbered cards, `unknown` ports, hot-plug events.

A fake /sys/class/drm laid out as the kernel lays it out (drivers/gpu/drm/drm_sysfs.c:
`card<N>` with a `device` link to its bus device, `card<N>-<connector>/status` holding
`connected`, `disconnected` or `unknown`), read by a real RoomMonitor that publishes to a
real Mosquitto; and the real kernel uevent socket of this machine.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts import RoomCastChanged, RoomDisplayChanged
from edge_agent.drm import DrmConnectors
from edge_agent.drm_hotplug import UeventMonitor, uevent_fields
from edge_agent.room_agent import RoomAgentConfig, RoomMonitor
from edge_agent.runtime import ConnectionSettings, Outbox, SystemWallClock
from server.adapters.embedded_broker import MosquittoBroker
from tests.support import ContractListener, wait_until

GPU = "0000:00:02.0"
DOCK = "3-1:1.0"  # a DisplayLink dock on USB port 3-1


class Sysfs:
    """A /sys/class/drm tree: cards linked to their devices, connectors with a status."""

    def __init__(self, root: Path) -> None:
        self.root = root / "class" / "drm"
        self.devices = root / "devices"
        self.root.mkdir(parents=True)

    def card(self, number: int, device: str) -> None:
        target = self.devices / device
        target.mkdir(parents=True, exist_ok=True)
        (self.root / f"card{number}").mkdir(exist_ok=True)
        os.symlink(target, self.root / f"card{number}" / "device")

    def unplug_card(self, number: int) -> None:
        for path in self.root.glob(f"card{number}*"):
            for child in path.iterdir():
                child.unlink()
            path.rmdir()

    def status(self, card: int, connector: str, status: str) -> None:
        folder = self.root / f"card{card}-{connector}"
        folder.mkdir(exist_ok=True)
        (folder / "status").write_text(f"{status}\n")


def test_a_renumbered_card_keeps_its_connectors_names_and_states(tmp_path: Path) -> None:
    sysfs = Sysfs(tmp_path)
    sysfs.card(0, GPU)
    sysfs.status(0, "HDMI-A-1", "connected")
    sysfs.card(1, DOCK)
    sysfs.status(1, "DP-1", "disconnected")
    drm = DrmConnectors(sysfs.root)
    assert [(c.connector, c.connected) for c in drm.changes()] == [("HDMI-A-1", True)]
    # The dock is plugged again and comes back as card2: the same connector, nothing changed.
    sysfs.unplug_card(1)
    sysfs.card(2, DOCK)
    sysfs.status(2, "DP-1", "disconnected")
    assert drm.changes() == []
    sysfs.status(2, "DP-1", "connected")  # a laptop on the dock
    assert [(c.connector, c.connected) for c in drm.changes()] == [("DP-1", True)]
    assert drm.matches("DP-1", ["card1-DP-1"])  # an old config's card-indexed name still works


def test_unknown_is_no_reading_and_two_cards_sharing_a_name_are_told_apart(
    tmp_path: Path,
) -> None:
    sysfs = Sysfs(tmp_path)
    sysfs.card(0, GPU)
    sysfs.status(0, "HDMI-A-1", "connected")
    drm = DrmConnectors(sysfs.root)
    drm.changes()
    sysfs.status(0, "HDMI-A-1", "unknown")  # e.g. a KVM or a driver that cannot probe
    assert drm.changes() == []
    assert drm.current == {"HDMI-A-1": True} and drm.unknown_readings == 1
    sysfs.card(1, DOCK)
    sysfs.status(1, "HDMI-A-1", "connected")
    assert [(c.connector, c.connected) for c in drm.changes()] == [(f"HDMI-A-1@{DOCK}", True)]
    assert drm.matches(f"HDMI-A-1@{DOCK}", [f"HDMI-A-1@{DOCK}"])
    assert not drm.matches(f"HDMI-A-1@{GPU}", [f"HDMI-A-1@{DOCK}"])


@pytest.fixture
def room_events(broker: MosquittoBroker) -> Iterator[ContractListener]:
    listener = ContractListener(broker.host, broker.port, "freeseat/v1/+/room/+/event")
    yield listener
    listener.close()


def test_a_laptop_on_a_renumbered_dock_starts_the_cast_and_unknown_ends_nothing(
    tmp_path: Path, broker: MosquittoBroker, room_events: ContractListener
) -> None:
    sysfs = Sysfs(tmp_path)
    sysfs.card(0, GPU)
    sysfs.status(0, "HDMI-A-1", "connected")
    sysfs.card(1, DOCK)
    sysfs.status(1, "DP-1", "disconnected")
    config = RoomAgentConfig(
        device="display-f1-1",
        site="testhall",
        room="room-f1-1",
        outbox=tmp_path / "room.sqlite",
        drm_root=sysfs.root,
        cast_connectors=["DP-1"],
    )
    monitor = RoomMonitor(
        config,
        Outbox(config.outbox),
        ConnectionSettings(broker_url=broker.url),
        SystemWallClock(),
    )
    monitor.start()
    try:
        monitor.tick()
        sysfs.unplug_card(1)
        sysfs.card(2, DOCK)  # renumbered
        sysfs.status(2, "DP-1", "connected")
        monitor.tick()
        sysfs.status(0, "HDMI-A-1", "unknown")
        monitor.tick()
        wait_until(lambda: any(isinstance(e, RoomCastChanged) for e in room_events.messages))
        kinds = [
            (type(e).__name__, getattr(e, "connector", None), getattr(e, "connected", None))
            for e in room_events.messages
            if isinstance(e, RoomDisplayChanged | RoomCastChanged)
        ]
        assert kinds == [
            ("RoomDisplayChanged", "HDMI-A-1", True),
            ("RoomCastChanged", None, None),
        ]
        cast = next(e for e in room_events.messages if isinstance(e, RoomCastChanged))
        assert (cast.casting, cast.source) == (True, "DP-1")
    finally:
        monitor.stop()


# A DRM hot-plug uevent as the kernel sends it (lib/kobject_uevent.c: `ACTION@DEVPATH`, then
# NUL-separated KEY=VALUE; drivers/gpu/drm/drm_sysfs.c drm_sysfs_hotplug_event sets HOTPLUG=1).
DRM_UEVENT = (
    b"change@/devices/pci0000:00/0000:00:02.0/drm/card0\0ACTION=change\0"
    b"DEVPATH=/devices/pci0000:00/0000:00:02.0/drm/card0\0SUBSYSTEM=drm\0HOTPLUG=1\0"
    b"DEVNAME=dri/card0\0DEVTYPE=drm_minor\0SEQNUM=2937\0MAJOR=226\0MINOR=0\0"
)


def test_kernel_uevents_are_read_from_this_machine_s_netlink_socket() -> None:
    assert uevent_fields(DRM_UEVENT)["SUBSYSTEM"] == "drm"
    assert uevent_fields(b"libudev\0\xfe\xed\xca\xfe...") == {}
    monitor = UeventMonitor.open()
    if monitor is None:
        pytest.skip("no NETLINK_KOBJECT_UEVENT here: the room agent polls sysfs instead")
    try:
        assert monitor.drm_changed() is False
        # A real kernel uevent, of another subsystem: read, and not taken for a display.
        try:
            Path("/sys/class/net/lo/uevent").write_text("change")
        except OSError:
            pytest.skip("cannot ask the kernel for a uevent here (needs root)")
        wait_until(lambda: monitor.drm_changed() or monitor.events > 0, 5, "the kernel's uevent")
        assert monitor.drm_events == 0
    finally:
        monitor.close()
