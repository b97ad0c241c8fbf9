"""Who holds a desk, said only to signed-in people, only as the site's policy allows, and
every read that names someone other than the reader is logged for that person to see (the
log of colleague lookups)."""

from collections.abc import Callable
from dataclasses import dataclass

from server.domain.naming import NamePolicy, may_name
from server.domain.people import Person
from server.services.ports import Clock
from server.services.seating_ports import SeatingStore
from server.services.wifi_presence import Lookup


@dataclass(frozen=True, slots=True)
class DeskHolder:
    """The answer for one desk: whether it is held today, and by whom when that may be said."""

    desk: str
    held: bool
    person: Person | None  # None unless the policy lets the viewer see who


class DeskNames:
    """Reads a desk's holder for a viewer under a `NamePolicy`."""

    def __init__(
        self,
        policy: NamePolicy,
        store: SeatingStore,
        people: Callable[[str], Person | None],
        audit: Callable[[Lookup], None],
        clock: Clock,
    ) -> None:
        self.policy = policy
        self._store = store
        self._people = people
        self._audit = audit
        self._clock = clock

    def holder(self, desk: str, viewer: Person) -> DeskHolder:
        """Who holds `desk` today, as `viewer` may know it; a naming read is audited first."""
        status = self._store.desk(desk)
        if status is None or status.holder is None:
            return DeskHolder(desk, held=False, person=None)
        subject = self._people(status.holder)
        if subject is None or not may_name(self.policy, viewer, subject):
            return DeskHolder(desk, held=True, person=None)
        if subject.staff_id != viewer.staff_id:
            # Logged before it is said: a read that cannot be logged names nobody.
            self._audit(
                Lookup(
                    self._clock.now(),
                    subject.staff_id,
                    viewer.staff_id,
                    "named",
                    f"saw you hold desk {desk}",
                )
            )
        return DeskHolder(desk, held=True, person=subject)
