"""The meeting-rooms application layer: the site's rooms, and the services built over them.

`RoomService` builds, over one store and clock, a service per job: `bookings`, `pairing`,
`sessions`, `materials` and `jobs` (timed); it also takes the room monitors' events inside the
ingest transaction. What facilities read from them is server.services.meeting_figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from contracts import RoomCastChanged, RoomDisplayChanged, RoomEvent, RoomOccupancyChanged
from firmware_config.site import Site
from server.domain.meetings import PairingRules, RoomStatus, SessionRules
from server.services.ports import Clock, Transaction
from server.services.room_bookings import RoomBookings
from server.services.room_directory import RoomDirectory
from server.services.room_jobs import RoomJobs
from server.services.room_pairing import RoomPairing
from server.services.room_ports import RoomStore
from server.services.room_sessions import MeetingSessions, RoomMaterials


class RoomService:
    """Every meeting-rooms service of one site over one store, built together."""

    def __init__(
        self,
        site: Site,
        store: RoomStore,
        clock: Clock,
        *,
        pairing: PairingRules | None = None,
        sessions: SessionRules | None = None,
        new_code: Callable[[int], str] | None = None,
    ) -> None:
        self.rules = sessions or SessionRules()
        self.directory = RoomDirectory(site, store, clock)
        self.bookings = RoomBookings(self.directory)
        self.pairing = RoomPairing(self.directory, pairing or PairingRules(), new_code)
        self.sessions = MeetingSessions(self.directory)
        self.materials = RoomMaterials(self.sessions)
        self.jobs = RoomJobs(self.directory, self.rules)

    # -- room monitor events (inside the ingest transaction) ---------------------------------

    def rejects(self, device: str, event: RoomEvent) -> str | None:
        """Why a room event must not be applied (it names a room its device does not serve)."""
        if self.directory.room_of_device.get(device) != event.room:
            return f"device {device!r} does not serve room {event.room!r}"
        return None

    def apply_event(self, tx: Transaction, event: RoomEvent, received_at: datetime) -> None:
        """Fold a room event into the room's status; server receive time drives the timers."""
        rooms = self.directory.store.joined(tx)
        status = rooms.status(event.room) or RoomStatus(room=event.room)
        if isinstance(event, RoomDisplayChanged):
            status = replace(status, display_connected=event.connected)
        elif isinstance(event, RoomCastChanged):
            if event.casting != status.casting or status.cast_changed_at is None:
                status = replace(status, casting=event.casting, cast_changed_at=received_at)
        elif isinstance(event, RoomOccupancyChanged) and (
            event.occupied != status.occupied or status.occupancy_changed_at is None
        ):
            status = replace(status, occupied=event.occupied, occupancy_changed_at=received_at)
        rooms.save_status(status, event.device)
