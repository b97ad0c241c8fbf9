"""What seating needs from the database: a unit of work over desks and holds, and reads."""

import hashlib
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol

from server.domain.occupancy import DeskReason, DeskStatus, DeskTransition
from server.domain.seat_holds import Hold
from server.domain.seat_policy import SatAt

ConflictKind = Literal["desk", "person", "key"]


class SeatConflict(Exception):
    """The database refused a write because of a uniqueness guard (a lost race)."""

    def __init__(self, kind: ConflictKind) -> None:
        super().__init__(kind)
        self.kind: ConflictKind = kind


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    request: str
    hold_id: int


class SeatingTransaction(Protocol):
    """One unit of work over desks and holds."""

    def lock_desk(self, desk_id: str) -> DeskStatus | None:
        """The desk's live state, with its write lock held until the transaction ends."""
        ...

    def save_desk(self, status: DeskStatus) -> None: ...
    def record_transition(self, transition: DeskTransition, event_id: str | None) -> None: ...
    def hold(self, hold_id: int) -> Hold | None: ...
    def active_hold_of(self, staff_id: str, day: date) -> Hold | None: ...
    def add_hold(self, desk_id: str, staff_id: str, day: date, at: datetime) -> Hold:
        """Insert an active hold; raises SeatConflict when a uniqueness guard refuses it."""
        ...

    def mark_checked_in(self, hold_id: int, at: datetime, how: str) -> None: ...
    def end_hold(self, hold_id: int, at: datetime, reason: DeskReason) -> None: ...
    def recent_desks(self, staff_id: str, before: date, limit: int) -> list[str]: ...
    def answer(self, staff_id: str, key: str) -> StoredAnswer | None: ...
    def remember(
        self, staff_id: str, key: str, request: str, hold_id: int, at: datetime
    ) -> None: ...


class SeatingStore(Protocol):
    def transaction(self) -> AbstractContextManager[SeatingTransaction]: ...
    def due_holds(self, before_day: date, no_show_cutoff: datetime, day: date | None) -> list[Hold]:
        """Active holds of days before `before_day`, unchecked ones claimed at or before the
        cutoff, and every active hold of `day` (when its end has passed)."""
        ...

    def sensed_arrivals(self) -> list[Hold]:
        """Active holds not yet checked in whose desk's sensor has seen the holder arrive."""
        ...

    def long_away(self, cutoff: datetime) -> list[Hold]:
        """Active holds whose holder's desk has shown `away` since `cutoff` or earlier."""
        ...

    def desk(self, desk_id: str) -> DeskStatus | None: ...

    def checked_in_days(self, since: date) -> list[SatAt]: ...
    def recent_desks(self, staff_id: str, before: date, limit: int) -> list[str]: ...
    def everyones_recent_desks(self, before: date, limit: int) -> dict[str, list[str]]:
        """Per person who checked in before `before`: their desks of their last `limit`
        working days, most recent first."""
        ...

    def active_hold_of(self, staff_id: str, day: date) -> Hold | None: ...
    def forget_answers(self, before: datetime) -> int: ...


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    key: str
    request: str

    @classmethod
    def of(cls, key: str, method: str, path: str, body: bytes) -> "IdempotencyKey":
        digest = hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()
        return cls(key, digest)
