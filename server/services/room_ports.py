"""Ports of the meeting-rooms capability: what its services need from the database."""

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from contracts import RoomEvent
from server.domain.meetings import (
    Booking,
    MeetingSession,
    MonitorLiveness,
    PdfReading,
    RoomStatus,
)
from server.domain.refusals import Refusal
from server.services.ports import Transaction


class BookingOverlap(Exception):
    """The database refused a booking because it overlaps an active one of the same room."""


class RoomBusy(Exception):
    """The database refused a session because the room already has an open one."""


@dataclass(frozen=True, slots=True)
class NewBooking:
    uid: str
    room: str
    title: str
    host: str
    host_name: str
    department: str | None
    starts_at: datetime
    ends_at: datetime
    series: str | None
    created_at: datetime
    host_name_ja: str = ""


@dataclass(frozen=True, slots=True)
class Material:
    id: int
    session_id: int
    kind: str
    filename: str
    size: int
    pages: int
    sha256: str
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class PairingCode:
    id: int
    room: str
    code: str
    issued_at: datetime
    expires_at: datetime
    session_id: int | None


@dataclass(frozen=True, slots=True)
class MaterialOpen:
    viewer: str
    signed_in: bool
    material_id: int | None
    opened_at: datetime


class RoomTransaction(Protocol):
    """One unit of work over the rooms tables."""

    # bookings
    def add_booking(self, booking: NewBooking) -> Booking:
        """Insert an active booking; raises BookingOverlap when the database refuses it."""
        ...

    def change_booking(
        self, booking_id: int, title: str, starts_at: datetime, ends_at: datetime
    ) -> Booking:
        """New title or times (its SEQUENCE goes up); raises BookingOverlap when refused."""
        ...

    def booking(self, booking_id: int) -> Booking | None: ...
    def bookings(self, room: str | None, start: datetime, end: datetime) -> list[Booking]:
        """Bookings (any status) of `room` (or all rooms) that overlap [start, end)."""
        ...

    def series_bookings(self) -> list[Booking]: ...
    def set_booking_status(
        self, booking_id: int, status: str, reason: str | None, at: datetime
    ) -> None: ...
    def due_unstarted(self, now: datetime, ended_after: datetime) -> list[Booking]:
        """Active bookings that have started by `now` and end after `ended_after` (older ones
        were judged long ago: re-reading every past booking each sweep grows without end)."""
        ...

    # sessions
    def add_session(self, session: MeetingSession) -> MeetingSession:
        """Insert an open session; raises RoomBusy when the room has one open already."""
        ...

    def session(self, session_id: int) -> MeetingSession | None: ...
    def session_by_token(self, token: str) -> MeetingSession | None: ...
    def open_session(self, room: str) -> MeetingSession | None: ...
    def open_sessions(self) -> list[MeetingSession]: ...
    def sessions_started(self, start: datetime, end: datetime) -> list[MeetingSession]: ...
    def has_session_between(self, room: str, start: datetime, end: datetime) -> bool: ...
    def end_session(self, session_id: int, at: datetime, reason: str) -> bool:
        """End it if still open; False when it had ended already."""
        ...

    def show_page(self, session_id: int, material_id: int, page: int, at: datetime) -> None: ...
    def shared_pages(self, session_id: int) -> int: ...

    # materials
    def add_material(
        self,
        session_id: int,
        kind: str,
        filename: str,
        content: bytes,
        pages: int,
        sha256: str,
        at: datetime,
    ) -> Material: ...
    def materials(self, session_id: int) -> list[Material]: ...
    def material_content(self, material_id: int) -> tuple[Material, bytes] | None: ...
    def add_open(
        self,
        session_id: int,
        material_id: int | None,
        viewer: str,
        signed_in: bool,
        at: datetime,
    ) -> None: ...
    def opens(self, session_id: int) -> list[MaterialOpen]: ...

    # pairing
    def latest_code(self, room: str) -> PairingCode | None: ...
    def add_code(
        self,
        room: str,
        code: str,
        issued_at: datetime,
        expires_at: datetime,
        session_id: int | None,
    ) -> PairingCode: ...
    def live_codes(self, code: str, now: datetime) -> list[PairingCode]: ...
    def revoke_codes(self, room: str) -> None: ...
    def add_attempt(self, room: str | None, person: str, at: datetime, ok: bool) -> None: ...
    def failures(self, *, since: datetime, person: str) -> int:
        """How many wrong codes `person` typed since `since`, in any room."""
        ...

    def first_failure(self, *, since: datetime, person: str) -> datetime | None:
        """When `person`'s first wrong code since `since` was typed (None: none was)."""
        ...

    def forget_attempts(self, before: datetime) -> None: ...

    # what the room monitor reported
    def status(self, room: str) -> RoomStatus | None: ...
    def statuses(self) -> dict[str, RoomStatus]: ...
    def save_status(self, status: RoomStatus, device: str) -> None: ...
    def monitor(self, device: str) -> MonitorLiveness | None: ...
    def link_secret(self) -> str:
        """The key that signs screen and calendar links, made on first use."""
        ...


class RoomStore(Protocol):
    """Opens room units of work, and joins one to an ingest transaction."""

    def transaction(self) -> AbstractContextManager[RoomTransaction]: ...
    def joined(self, tx: Transaction) -> RoomTransaction:
        """The rooms view of an ingest transaction, so room events commit with it."""
        ...


class PdfInspector(Protocol):
    """Reads an uploaded file as a PDF."""

    def read(self, content: bytes) -> PdfReading | Refusal:
        """Its pages and active content, or why it is not a PDF that opens."""
        ...


class PageRenderer(Protocol):
    """Draws one page of a PDF as an image for screens and phones (cached by the adapter)."""

    def render(self, digest: str, content: bytes, page: int) -> bytes:
        """Page `page` (from 1) of the PDF whose SHA-256 is `digest`, as PNG bytes."""
        ...


class RoomEventSink(Protocol):
    """What ingest hands room-monitor events to (inside its transaction)."""

    def rejects(self, device: str, event: RoomEvent) -> str | None:
        """Why the event must be quarantined (its device does not serve that room), or None."""
        ...

    def apply_event(self, tx: Transaction, event: RoomEvent, received_at: datetime) -> None: ...
