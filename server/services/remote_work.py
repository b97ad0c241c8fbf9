"""Working remotely today: a person marks (or unmarks) a day, and facilities count the marks."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from server.domain.people import Person
from server.domain.refusals import Refusal, RefusalCode
from server.services.ports import Clock


@dataclass(frozen=True, slots=True)
class RemoteMark:
    """One person's mark for one day, with their department for the figures."""

    staff_id: str
    department: str | None
    day: date


class RemoteStore(Protocol):
    def marked(self, staff_id: str, day: date) -> bool: ...
    def mark(self, staff_id: str, day: date, at: datetime) -> None:
        """Mark the day (a second mark of the same day changes nothing)."""
        ...

    def unmark(self, staff_id: str, day: date) -> bool: ...
    def marks(self, first: date, last: date) -> list[RemoteMark]:
        """Every mark of days first..last (inclusive), with the person's department."""
        ...


@dataclass(frozen=True, slots=True)
class RemoteDay:
    day: date
    remote: bool


class RemoteWork:
    """A person's "working remotely today"; the day is the site's day."""

    def __init__(
        self,
        store: RemoteStore,
        clock: Clock,
        day_of: Callable[[datetime], date],
        desk_held: Callable[[Person], str | None],
    ) -> None:
        """`desk_held(person)`: the desk the person holds today, or None."""
        self._store = store
        self._clock = clock
        self._day_of = day_of
        self._desk_held = desk_held

    def today(self, person: Person) -> RemoteDay:
        day = self._day_of(self._clock.now())
        return RemoteDay(day, self._store.marked(person.staff_id, day))

    def mark(self, person: Person) -> RemoteDay:
        """Mark today as remote; refused while the person holds a desk today."""
        now = self._clock.now()
        day = self._day_of(now)
        desk = self._desk_held(person)
        if desk is not None:
            raise Refusal(RefusalCode.REMOTE_WHILE_SEATED, desk=desk)
        self._store.mark(person.staff_id, day, now)
        return RemoteDay(day, True)

    def unmark(self, person: Person) -> RemoteDay:
        day = self._day_of(self._clock.now())
        self._store.unmark(person.staff_id, day)
        return RemoteDay(day, False)

    def marks(self, first: date, last: date) -> list[RemoteMark]:
        return self._store.marks(first, last)
