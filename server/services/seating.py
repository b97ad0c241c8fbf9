"""Seating commands: claim a desk, check in, release; the timed releases; suggestions.

Every command is one transaction that takes the desk's write lock first, applies the desk
state machine (server.domain.occupancy) and the seat policy (server.domain.seat_policy), writes
the hold, the desk's new live state and its transition with the reason; the caller publishes
the returned desk changes to the live feed after the commit. The database's partial unique
indexes (one active hold per desk, one per person per day) decide every race: a command that
loses one is refused (`desk_just_taken`, `seat_already_held`).
"""

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from server.domain.occupancy import (
    DeskReason,
    DeskState,
    DeskStatus,
    DeskTransition,
    assign,
    check_in,
    release,
)
from server.domain.people import Person
from server.domain.refusals import Refusal, RefusalCode
from server.domain.seat_holds import (
    BY_SENSOR,
    Hold,
    away_too_long,
    claims_closed,
    judge_scan,
    release_due,
)
from server.domain.seat_policy import (
    DeskOption,
    Seeker,
    check_claim,
)
from server.services.ports import Clock
from server.services.seat_finder import SeatFinder
from server.services.seating_ports import (
    IdempotencyKey,
    SeatConflict,
    SeatingStore,
    SeatingTransaction,
)
from server.services.seating_site import SeatingSite

# Refusals of one desk that leave others worth trying ("find me a seat" moves on to the next).
ANOTHER_DESK_MAY_DO = frozenset(
    {
        RefusalCode.DESK_OUT_OF_SERVICE,
        RefusalCode.DESK_HELD,
        RefusalCode.DESK_TAKEN,
        RefusalCode.DESK_JUST_TAKEN,
        RefusalCode.DESK_BEING_CLAIMED,
        RefusalCode.ANTI_FIXATION,
    }
)


@dataclass(frozen=True, slots=True)
class SeatView:
    """A person's seat today, as the API shows it."""

    hold: Hold
    option: DeskOption | None
    checked_in: bool
    check_in_by: datetime | None
    releases_at: datetime
    # A scan that did not count yet: what will check the person in (the desk's sensor).
    waiting_for: str | None = None


@dataclass
class SeatOutcome:
    """What a command did: the seat it left, and the desks whose live state moved."""

    seat: SeatView | None
    changes: list[DeskStatus] = field(default_factory=list)
    replayed: bool = False


class Seating:
    """The seating service; thread-safe (all state is in the database)."""

    def __init__(
        self,
        site: SeatingSite,
        store: SeatingStore,
        clock: Clock,
        crowding: Callable[[], Mapping[str, float]] | None = None,
        located: Callable[[str], tuple[str, datetime] | None] | None = None,
    ) -> None:
        """`crowding`: estimated people per zone now (Wi-Fi busy-ness), to steer people away
        from crowded zones; None where it is not measured. `located`: the floor where a person
        who shares their location last reported Wi-Fi, and when (a QR scan's other proof)."""
        self.site = site
        self._store = store
        self._clock = clock
        self._located = located
        # Suggestions and anti-fixation's memory of where people sat (server.services.seat_finder).
        self.finder = SeatFinder(site, store, clock, crowding)
        # Holders of the holds this process made: lets a claim of a desk the live map shows as
        # someone's be refused without queueing for the database's write lock.
        self._holders: dict[str, str] = {}
        self._claiming: set[str] = set()
        self._claiming_lock = threading.Lock()

    def holder_elsewhere(self, desk_id: str, staff_id: str) -> bool:
        """True when this process knows `desk_id` is held by someone other than `staff_id`."""
        holder = self._holders.get(desk_id)
        return holder is not None and holder != staff_id

    # -- time ---------------------------------------------------------------------------------

    def today(self, now: datetime | None = None) -> date:
        return self.site.day_of(now or self._clock.now())

    def claims_window(self) -> tuple[datetime, bool]:
        """When today's holds end, and whether a desk can still be claimed now."""
        return self.site.claims_window(self._clock.now())

    # -- reads --------------------------------------------------------------------------------

    def my_seat(self, person: Person) -> SeatView | None:
        hold = self._store.active_hold_of(person.staff_id, self.today())
        if hold is None:
            return None
        # The desk's sensor may have checked the person in before the next sweep records it.
        status = None if hold.checked_in_at is not None else self._store.desk(hold.desk)
        return self._view(hold, status)

    # -- commands -----------------------------------------------------------------------------

    def claim(
        self, person: Person, desk_id: str, idempotency: IdempotencyKey | None = None
    ) -> SeatOutcome:
        """Hold `desk_id` for `person` today."""
        self._known(desk_id)
        with self._claiming_lock:
            if desk_id in self._claiming:
                # Another claim of this desk is between its lock and its commit: this one would
                # only queue for the database to be told the same.
                raise Refusal(RefusalCode.DESK_BEING_CLAIMED, desk=desk_id)
            self._claiming.add(desk_id)
        try:
            return self._claim_once(person, desk_id, idempotency)
        finally:
            with self._claiming_lock:
                self._claiming.discard(desk_id)

    def being_claimed(self, desk_id: str) -> bool:
        """A claim of `desk_id` is in progress in this process."""
        return desk_id in self._claiming

    def _claim_once(
        self, person: Person, desk_id: str, idempotency: IdempotencyKey | None
    ) -> SeatOutcome:
        now = self._clock.now()
        today = self.today(now)
        try:
            with self._store.transaction() as tx:
                if idempotency is not None:
                    replay = self._replay(tx, person, idempotency)
                    if replay is not None:
                        return replay
                outcome = self._claim(tx, person, desk_id, now, today)
                if idempotency is not None and outcome.seat is not None:
                    tx.remember(
                        person.staff_id,
                        idempotency.key,
                        idempotency.request,
                        outcome.seat.hold.id,
                        now,
                    )
                return outcome
        except SeatConflict as conflict:
            raise self._conflict(conflict, person, desk_id) from None

    def check_in(self, person: Person, desk_id: str, how: str) -> SeatOutcome:
        """`person` scanned `desk_id`: a person with no seat today gets it claimed (a desk
        where the sensor sees someone nobody holds included: people sit down, then scan),
        and the scan counts as arrival when the desk's sensor or the person's Wi-Fi confirms
        it (seat_holds.judge_scan); otherwise the sensor checks them in when it sees them."""
        self._known(desk_id)
        now = self._clock.now()
        today = self.today(now)
        try:
            with self._store.transaction() as tx:
                hold = tx.active_hold_of(person.staff_id, today)
                if hold is None:
                    claimed = self._claim(tx, person, desk_id, now, today, scanned=True)
                    assert claimed.seat is not None
                    hold = claimed.seat.hold
                    changes = claimed.changes
                else:
                    changes = []
                if hold.desk != desk_id:
                    raise Refusal(RefusalCode.SEAT_ELSEWHERE, desk=hold.desk, scanned=desk_id)
                if hold.checked_in_at is not None:
                    return SeatOutcome(self._view(hold, None))
                status = tx.lock_desk(desk_id)
                verdict = judge_scan(
                    how,
                    sensor_live=desk_id in self.site.sensed
                    and status is not None
                    and status.contact,
                    present=status is not None and status.present is True,
                    wifi_on_floor=self._on_floor(person, desk_id, now),
                )
                if not verdict.arrived:
                    return SeatOutcome(
                        replace(self._view(hold, None), waiting_for=BY_SENSOR), changes
                    )
                if status is not None and status.holder == person.staff_id:
                    result = check_in(status, person.staff_id, now, verdict.how)
                    if isinstance(result, DeskTransition):
                        self._apply(tx, result, changes)
                tx.mark_checked_in(hold.id, now, verdict.how)
                hold = replace(hold, checked_in_at=now, check_in_how=verdict.how)
                return SeatOutcome(self._view(hold, None), changes)
        except SeatConflict as conflict:
            raise self._conflict(conflict, person, desk_id) from None

    def _on_floor(self, person: Person, desk_id: str, now: datetime) -> bool:
        """The person shares their location and their laptop reported Wi-Fi on the desk's floor
        within the grace."""
        found = self._located(person.staff_id) if self._located is not None else None
        if found is None:
            return False
        floor, reported_at = found
        return floor == self.site.options[desk_id].floor and now - reported_at <= self.site.grace

    def release(self, person: Person) -> SeatOutcome:
        """`person` gives their desk back by hand."""
        now = self._clock.now()
        with self._store.transaction() as tx:
            hold = tx.active_hold_of(person.staff_id, self.today(now))
            if hold is None:
                raise Refusal(RefusalCode.NO_SEAT)
            changes = self._end(tx, hold, now, DeskReason.RELEASED_BY_HAND)
            return SeatOutcome(None, changes)

    def release_leavers(self, staff_ids: Iterable[str]) -> list[DeskStatus]:
        """Release the desks still held by people who left (disabled by `freeseat staff sync`)."""
        now = self._clock.now()
        changes: list[DeskStatus] = []
        for staff_id in staff_ids:
            with self._store.transaction() as tx:
                hold = tx.active_hold_of(staff_id, self.today(now))
                if hold is not None:
                    changes += self._end(tx, hold, now, DeskReason.HOLDER_LEFT)
        return changes

    def sweep(self) -> list[DeskStatus]:
        """Sensor check-ins, no-show and end-of-day releases due at the clock's now."""
        now = self._clock.now()
        today = self.today(now)
        changes: list[DeskStatus] = []
        for hold in self._store.sensed_arrivals():
            with self._store.transaction() as tx:
                status = tx.lock_desk(hold.desk)
                current = tx.hold(hold.id)
                if (
                    current is not None
                    and current.active
                    and current.checked_in_at is None
                    and status is not None
                    and status.holder == hold.staff_id
                    and status.checked_in
                ):
                    tx.mark_checked_in(hold.id, now, "desk sensor")
        day_over = now >= self.site.day_ends_at(today)
        due = self._store.due_holds(today, now - self.site.grace, today if day_over else None)
        for hold in due:
            reason = release_due(hold, now, self.site.grace, self.site.day_ends_at(hold.day))
            if reason is None:
                continue
            with self._store.transaction() as tx:
                current = tx.hold(hold.id)
                if current is None or not current.active:
                    continue
                # Re-checked under the lock: a check-in may have landed since the query.
                status = tx.lock_desk(hold.desk)
                if (
                    status is not None
                    and status.holder == hold.staff_id
                    and status.checked_in
                    and current.checked_in_at is None
                ):
                    tx.mark_checked_in(hold.id, now, "desk sensor")
                    current = tx.hold(hold.id) or current
                reason = release_due(current, now, self.site.grace, self.site.day_ends_at(hold.day))
                if reason is not None:
                    changes += self._end(tx, current, now, reason)
        if self.site.away_release:
            changes += self._release_long_away(now)
        self._store.forget_answers(now - timedelta(days=1))
        return changes

    def away_too_long(self) -> list[tuple[Hold, datetime]]:
        """Checked-in desks with nobody present past the site's limit now, and since when."""
        now = self._clock.now()
        out = []
        for hold in self._store.long_away(now - self.site.away_limit):
            status = self._store.desk(hold.desk)
            if status is not None and status.holder == hold.staff_id:
                out.append((hold, status.since))
        return out

    def _release_long_away(self, now: datetime) -> list[DeskStatus]:
        changes: list[DeskStatus] = []
        for hold in self._store.long_away(now - self.site.away_limit):
            with self._store.transaction() as tx:
                status = tx.lock_desk(hold.desk)
                current = tx.hold(hold.id)
                if current is None or not current.active or status is None:
                    continue
                # Re-checked under the lock: the person may have sat down since the query.
                if status.holder != hold.staff_id or status.state is not DeskState.AWAY:
                    continue
                reason = away_too_long(status.since, now, self.site.away_limit)
                if reason is not None:
                    changes += self._end(tx, current, now, reason)
        return changes

    # -- internals ----------------------------------------------------------------------------

    def _known(self, desk_id: str) -> None:
        if desk_id not in self.site.options:
            raise Refusal(RefusalCode.DESK_UNKNOWN, desk=desk_id)

    def _replay(
        self, tx: SeatingTransaction, person: Person, idempotency: IdempotencyKey
    ) -> SeatOutcome | None:
        stored = tx.answer(person.staff_id, idempotency.key)
        if stored is None:
            return None
        if stored.request != idempotency.request:
            raise Refusal(RefusalCode.IDEMPOTENCY_KEY_REUSED)
        hold = tx.hold(stored.hold_id)
        assert hold is not None
        return SeatOutcome(self._view(hold, None), replayed=True)

    def _claim(
        self,
        tx: SeatingTransaction,
        person: Person,
        desk_id: str,
        now: datetime,
        today: date,
        *,
        scanned: bool = False,
    ) -> SeatOutcome:
        closed = claims_closed(now, self.site.day_ends_at(today))
        if closed is not None:
            raise closed
        status = tx.lock_desk(desk_id)
        if status is None:
            raise Refusal(RefusalCode.DESK_NOT_READY, desk=desk_id)
        # The cheap refusal first: under a rush most refused claims are of desks just taken.
        # A scan at a desk whose live sensor sees someone nobody holds: that someone is them.
        sitting = scanned and status.holder is None and status.contact and status.present is True
        result = assign(status, person.staff_id, now, sitting_there=sitting)
        if isinstance(result, Refusal) and status.holder != person.staff_id:
            raise result
        if status.holder == person.staff_id:
            raise Refusal(RefusalCode.DESK_ALREADY_YOURS, desk=desk_id)
        # A hold elsewhere today is refused by the one-per-person-per-day index on insert.
        refused = check_claim(
            Seeker(
                person.staff_id,
                person.department,
                recent_desks=self.finder.recent_desks(person.staff_id, today),
            ),
            desk_id,
            self.site.rules,
        )
        if refused is not None:
            raise refused
        if isinstance(result, Refusal):
            raise result
        hold = tx.add_hold(desk_id, person.staff_id, today, now)
        self._holders[desk_id] = person.staff_id
        changes: list[DeskStatus] = []
        self._apply(tx, result, changes)
        return SeatOutcome(self._view(hold, result.after), changes)

    def _end(
        self, tx: SeatingTransaction, hold: Hold, now: datetime, reason: DeskReason
    ) -> list[DeskStatus]:
        changes: list[DeskStatus] = []
        # The desk first, as in a claim: the same lock order everywhere means no deadlock.
        status = tx.lock_desk(hold.desk)
        tx.end_hold(hold.id, now, reason)
        self._holders.pop(hold.desk, None)
        if status is not None and status.holder == hold.staff_id:
            transition = release(status, now, reason)
            if transition is not None:
                self._apply(tx, transition, changes)
        return changes

    @staticmethod
    def _apply(
        tx: SeatingTransaction, transition: DeskTransition, changes: list[DeskStatus]
    ) -> None:
        tx.save_desk(transition.after)
        # Every hold change is history, even when the map shows the same state (unknown desk).
        tx.record_transition(transition, None)
        if transition.visible:
            changes.append(transition.after)

    def _view(self, hold: Hold, status: DeskStatus | None) -> SeatView:
        checked_in = hold.checked_in_at is not None or (
            status is not None and status.holder == hold.staff_id and status.checked_in
        )
        return SeatView(
            hold=hold,
            option=self.site.options.get(hold.desk),
            checked_in=checked_in,
            check_in_by=None if checked_in else hold.claimed_at + self.site.grace,
            releases_at=self.site.day_ends_at(hold.day),
        )

    def _conflict(self, conflict: SeatConflict, person: Person, desk_id: str) -> Refusal:
        if conflict.kind == "desk":
            return Refusal(RefusalCode.DESK_JUST_TAKEN, desk=desk_id)
        if conflict.kind == "person":
            held = self._store.active_hold_of(person.staff_id, self.today())
            return Refusal(RefusalCode.SEAT_ALREADY_HELD, desk=held.desk if held else None)
        return Refusal(RefusalCode.IDEMPOTENCY_KEY_IN_USE)
