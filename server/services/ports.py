"""Ports: what the application layer needs from the outside world, as protocols."""

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from server.domain.occupancy import DeskStatus, DeskTransition


class Clock(Protocol):
    """Tells the time; tests inject one they advance."""

    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """The server's view of a device: stream position and liveness."""

    id: str
    kind: str
    epoch: int | None = None
    seq: int | None = None
    status: str = "unknown"
    status_epoch: int | None = None
    last_seen: datetime | None = None
    version: str | None = None
    battery: float | None = None
    rssi: float | None = None
    clock_skewed: int = 0  # readings whose device time was too far off to be believed
    clock_skew_s: float | None = None  # the last such reading's offset, + ahead


@dataclass(frozen=True, slots=True)
class EventRecord:
    event_id: str
    device: str
    epoch: int
    seq: int
    type: str
    payload: str
    at: datetime
    received_at: datetime
    applied: bool


class Transaction(Protocol):
    """One unit of work; nothing is visible to others until the context exits cleanly."""

    def add_event(self, event: EventRecord) -> bool:
        """Store the event; False when its event_id was stored before (a duplicate)."""
        ...

    def logged_payload(self, event_id: str) -> str | None:
        """The payload logged under this event id, None when none is: to tell a redelivery
        from a different event that reuses the id."""
        ...

    def preload(
        self,
        *,
        desks: Iterable[str] = (),
        devices: Iterable[str] = (),
        event_ids: Iterable[str] = (),
    ) -> None:
        """Fetch these rows in bulk up front, and lock them where the database locks rows.

        Reads work without it; but a writer preloads all it may change, so that it takes its
        locks at once and in the one order every writer uses (desks, then devices)."""
        ...

    def device(self, device_id: str) -> DeviceRecord | None: ...
    def devices(self) -> list[DeviceRecord]:
        """Every stored device, unlocked: to list them, or to choose which to preload."""
        ...

    def save_device(self, record: DeviceRecord) -> None: ...
    def desk(self, desk_id: str) -> DeskStatus | None: ...
    def save_desk(self, status: DeskStatus) -> None: ...
    def record_transition(self, transition: DeskTransition, event_id: str | None) -> None: ...
    def quarantine(
        self, topic: str, payload: bytes, reason: str, received_at: datetime
    ) -> None: ...
    def revoked_devices(self) -> frozenset[str]:
        """Devices whose credentials were revoked: nothing they send is applied again."""
        ...


class Store(Protocol):
    """Opens units of work against the database."""

    def transaction(self) -> AbstractContextManager[Transaction]: ...


class EventLog(Protocol):
    """Reads the event log in the order it was written."""

    def log_page(self, after_id: int, limit: int) -> list[tuple[int, EventRecord]]: ...


class LiveFeed(Protocol):
    """Where committed desk changes go so browsers see them."""

    def publish(self, changes: Iterable[DeskStatus]) -> None: ...
