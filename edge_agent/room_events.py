"""What a room monitor reports: its display, the host's cast input and the room's presence."""

from __future__ import annotations

from datetime import datetime

from contracts import RoomCastChanged, RoomDisplayChanged, RoomOccupancyChanged
from edge_agent.runtime import DevicePublisher


class RoomReporter:
    """Emits one room's events through its monitor's publisher (outbox first, QoS 1)."""

    def __init__(self, publisher: DevicePublisher, room: str) -> None:
        self.publisher = publisher
        self.room = room

    def display(self, connector: str, connected: bool, at: datetime) -> None:
        """A display connector was plugged in or out."""
        self.publisher.emit(
            lambda epoch, seq: RoomDisplayChanged(
                device=self.publisher.device,
                epoch=epoch,
                seq=seq,
                at=at,
                room=self.room,
                connector=connector,
                connected=connected,
            )
        )

    def cast(self, casting: bool, source: str, at: datetime) -> None:
        """A host's laptop started or stopped showing on the room's display."""
        self.publisher.emit(
            lambda epoch, seq: RoomCastChanged(
                device=self.publisher.device,
                epoch=epoch,
                seq=seq,
                at=at,
                room=self.room,
                casting=casting,
                source=source,
            )
        )

    def occupancy(self, occupied: bool, at: datetime) -> None:
        """The room's presence sensor changed."""
        self.publisher.emit(
            lambda epoch, seq: RoomOccupancyChanged(
                device=self.publisher.device,
                epoch=epoch,
                seq=seq,
                at=at,
                room=self.room,
                occupied=occupied,
            )
        )
