"""Admission: a message decoded and its sender checked, before any transaction begins.

A message that fails is quarantined with the reason; one that passes is applied by its path
(device_events.py, device_contact.py, off_the_shelf_ingest.py).
"""

from dataclasses import dataclass
from typing import Any, Literal

from contracts import (
    ApStationsCounted,
    Channel,
    ContractError,
    DeskPresenceChanged,
    DeviceState,
    RoomEvent,
    decode,
)
from contracts.topics import ROOT, VERSION, Topic
from server.services.ingest_batch import Inbound
from server.services.room_ports import RoomEventSink
from server.services.site_index import SiteIndex
from server.services.wifi_presence import WifiPresence

CONTRACT_TOPICS = f"{ROOT}/{VERSION}/"

RejectionKind = Literal["unknown_device", "wrong_site", "spoofed", "wrong_direction", "revoked"]


class Quarantined(Exception):
    """A message that follows the contract but must not be applied (unknown or spoofed device)."""

    def __init__(self, message: str, kind: RejectionKind) -> None:
        super().__init__(message)
        self.kind: RejectionKind = kind


@dataclass(frozen=True, slots=True)
class Prepared:
    """A message decoded and checked: `body` on `channel`, or the `error` to quarantine it for.

    Neither body nor channel: a message of an off-the-shelf device, read inside the transaction.
    """

    message: Inbound
    body: Any = None
    channel: Channel | None = None
    error: ContractError | Quarantined | None = None
    # A refused event of a known device: (device, epoch, seq), so its outbox may forget it.
    refused: tuple[str, int, int] | None = None


class Admission:
    """Decodes and checks messages against the site file (no database needed)."""

    def __init__(
        self,
        index: SiteIndex,
        wifi: WifiPresence | None = None,
        rooms: RoomEventSink | None = None,
    ) -> None:
        self._index = index
        self._wifi = wifi  # checks AP station counts; None where they need not be kept
        self._rooms = rooms  # checks room-monitor events; None where rooms are not served

    def prepare(self, message: Inbound) -> Prepared:
        """Decode and check a message outside the transaction (no database needed)."""
        if not message.topic.startswith(CONTRACT_TOPICS):
            # An ESPHome node may publish under `freeseat/...` too; the site check keeps it
            # out of `freeseat/v1/`.
            return Prepared(message)
        try:
            decoded = decode(message.topic, message.payload)
            self._check_sender(decoded.topic, decoded.message)
        except ContractError as exc:
            return Prepared(message, error=exc)
        except Quarantined as exc:
            body = decoded.message
            refused = None
            if exc.kind == "spoofed" and decoded.topic.channel is Channel.EVENT:
                refused = (body.device, body.epoch, body.seq)
            return Prepared(message, error=exc, refused=refused)
        return Prepared(message, decoded.message, decoded.topic.channel)

    def _check_sender(self, topic: Topic, body: object) -> None:
        if topic.site != self._index.site_id:
            raise Quarantined(
                f"site {topic.site!r} is not this server's site {self._index.site_id!r}",
                "wrong_site",
            )
        info = self._index.devices.get(topic.device)
        if info is None:
            raise Quarantined(
                f"unknown device {topic.device!r}: it is not in the site file", "unknown_device"
            )
        if info.kind != topic.kind.value:
            raise Quarantined(
                f"device {topic.device!r} is a {info.kind} device"
                f" but published as {topic.kind.value}",
                "spoofed",
            )
        if isinstance(body, DeskPresenceChanged) and body.desk not in info.desks:
            raise Quarantined(
                f"device {topic.device!r} does not serve desk {body.desk!r}", "spoofed"
            )
        if isinstance(body, DeviceState):
            foreign = sorted((set(body.desks) | set(body.faulty)) - info.desks)
            if foreign:
                raise Quarantined(
                    f"device {topic.device!r} does not serve desks {foreign[:5]}", "spoofed"
                )
        if isinstance(body, ApStationsCounted) and self._wifi is not None:
            problem = self._wifi.check(topic.device, body)
            if problem is not None:
                raise Quarantined(problem, "spoofed")
        if isinstance(body, RoomEvent) and self._rooms is not None:
            problem = self._rooms.rejects(topic.device, body)
            if problem is not None:
                raise Quarantined(problem, "spoofed")
