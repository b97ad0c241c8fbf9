"""Finding a seat: the seat policy's suggestions over the live map's free desks, the
person's recent desks (for anti-fixation), and the per-department rotation figure."""

import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta

from server.domain.people import Person
from server.domain.seat_policy import (
    NEED_EQUIPMENT,
    RESERVED_EQUIPMENT,
    DepartmentRotation,
    DeskOption,
    Seeker,
    Spot,
    Suggestion,
    fixation_streak,
    rotation_by_department,
    suggest,
)
from server.services.ports import Clock
from server.services.seating_ports import SeatingStore
from server.services.seating_site import SeatingSite


class SeatFinder:
    """Suggestions and the reads they need; thread-safe (a day's recent desks are cached)."""

    def __init__(
        self,
        site: SeatingSite,
        store: SeatingStore,
        clock: Clock,
        crowding: Callable[[], Mapping[str, float]] | None = None,
    ) -> None:
        """`crowding`: estimated people per zone now (Wi-Fi busy-ness), to steer people away
        from crowded zones; None where it is not measured."""
        self.site = site
        self._store = store
        self._clock = clock
        self._crowding = crowding
        self._zone_desks = Counter(option.zone for option in site.options.values())
        self._recent: dict[str, tuple[str, ...]] = {}
        self._recent_day: date | None = None
        self._recent_lock = threading.Lock()
        self._team_desks: dict[str, list[DeskOption]] = {}
        self._team_floors: dict[str, frozenset[str]] = {}
        for option in site.options.values():
            if option.zone_department is not None:
                floors = self._team_floors.get(option.zone_department, frozenset())
                self._team_floors[option.zone_department] = floors | {option.floor}
            if option.zone_department is not None and not option.equipment & RESERVED_EQUIPMENT:
                self._team_desks.setdefault(option.zone_department, []).append(option)

    def recent_desks(self, staff_id: str, today: date) -> tuple[str, ...]:
        """The person's desks on their last working days; fixed for the day, so kept for it.

        The first look-up of a day reads everyone's at once: the morning's first requests
        would otherwise each wait for a query of their own.
        """
        if self._recent_day != today:
            with self._recent_lock:
                if self._recent_day != today:
                    limit = self.site.rules.max_same_desk_days
                    self._recent = {
                        person: tuple(desks)
                        for person, desks in self._store.everyones_recent_desks(
                            today, limit
                        ).items()
                    }
                    self._recent_day = today
        return self._recent.get(staff_id, ())

    def seeker(self, person: Person, near: Spot | None) -> Seeker:
        today = self.site.day_of(self._clock.now())
        recent = self.recent_desks(person.staff_id, today)
        return Seeker(
            staff_id=person.staff_id,
            department=person.department,
            needs=person.needs,
            recent_desks=tuple(recent),
            near=near,
            day=today,
            team_floors=self._team_floors.get(person.department or "", frozenset()),
        )

    def suggest(
        self,
        seeker: Seeker,
        is_free: Callable[[DeskOption], bool],
        limit: int,
        *,
        floor: str | None = None,
        zone: str | None = None,
        equipment: Sequence[str] = (),
    ) -> list[Suggestion]:
        """Rank the desks `is_free` accepts (the live map's view) for `seeker`."""
        wanted = set(equipment)

        def fits(option: DeskOption) -> bool:
            return (
                (floor is None or option.floor == floor)
                and (zone is None or option.zone == zone)
                and wanted <= option.equipment
                and is_free(option)
            )

        rules = self.site.rules
        # Without needs to meet, the policy ranks free team-zone desks (not kept for a need)
        # before every other desk: when there are enough of them, the rest need no scoring.
        if seeker.department is not None and not seeker.needs & NEED_EQUIPMENT.keys():
            last = seeker.recent_desks[0] if seeker.recent_desks else None
            fixed = (
                last
                if last is not None
                and fixation_streak(seeker.recent_desks, last) >= rules.max_same_desk_days
                else None
            )
            team = [
                option
                for option in self._team_desks.get(seeker.department, ())
                if option.desk != fixed and fits(option)
            ]
            if len(team) >= limit:
                return suggest(seeker, team, rules, limit, self._busy())
        options = (o for o in self.site.options.values() if fits(o))
        return suggest(seeker, options, rules, limit, self._busy())

    def _busy(self) -> dict[str, float]:
        """People per desk by zone right now; empty when busy-ness is not measured."""
        if self._crowding is None:
            return {}
        people = self._crowding()
        return {zone: people.get(zone, 0.0) / desks for zone, desks in self._zone_desks.items()}

    def rotation(self, days: int) -> list[DepartmentRotation]:
        since = self.site.day_of(self._clock.now()) - timedelta(days=days)
        return rotation_by_department(self._store.checked_in_days(since))
