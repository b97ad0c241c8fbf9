"""Desk occupancy: the states a desk can be in and the transitions sensors and liveness cause."""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from server.domain.refusals import Refusal, RefusalCode
from server.domain.sequencing import ReadingOrigin


class DeskReason(StrEnum):
    """Why a desk is in its state: a kind anyone may see, never naming a person.

    Who a change was about (the holder) is kept apart, in `DeskTransition.person`, so the
    live map, the lobby board and the live feed carry states and kinds only.
    """

    NO_REPORT = "no_report"  # its sensor has not reported yet
    WALK_IN = "walk_in"  # presence at a desk nobody holds
    PRESENT = "present"  # presence at a held desk: its holder is there
    STEPPED_AWAY = "stepped_away"  # the holder checked in and is briefly gone
    NOBODY_PRESENT = "nobody_present"
    SENSOR_OFFLINE = "sensor_offline"  # the device said it went away (or its will did)
    SENSOR_SILENT = "sensor_silent"  # nothing heard from the device within its TTL
    BRIDGE_OFFLINE = "bridge_offline"  # the Zigbee2MQTT bridge its sensor talks through went
    SENSOR_FAULT = "sensor_fault"  # its device says the sensor sends nothing valid
    HELD = "held"  # claimed for today, waiting for the person
    CHECKED_IN_QR = "checked_in_qr"
    CHECKED_IN_APP = "checked_in_app"
    CHECKED_IN = "checked_in"  # any other way of checking in
    RELEASED_BY_HAND = "released_by_hand"
    NO_SHOW = "no_show"  # nobody checked in within the grace
    END_OF_DAY = "end_of_day"
    HOLDER_LEFT = "holder_left"  # the holder left the directory (`freeseat staff sync`)
    AWAY_TOO_LONG = "away_too_long"  # checked in, nobody present past the site's limit

    @classmethod
    def checked_in_by(cls, how: str) -> "DeskReason":
        """The kind of a check-in made `how` ("qr", "app", or proven: "qr + desk sensor")."""
        made = how.split(" + ", 1)[0]
        return {"qr": cls.CHECKED_IN_QR, "app": cls.CHECKED_IN_APP}.get(made, cls.CHECKED_IN)


class DeskState(StrEnum):
    """What the map shows for a desk."""

    FREE = "free"
    HELD = "held"  # assigned, waiting for the person to arrive
    OCCUPIED = "occupied"
    AWAY = "away"  # assigned, briefly absent
    UNKNOWN = "unknown"  # sensor offline or stale: never shown as free
    BLOCKED = "blocked"  # maintenance


@dataclass(frozen=True, slots=True)
class DeskStatus:
    """The live state of one desk, the facts it follows from, and why it is so.

    `state` is derived from the facts (see `_derive`); `since` and `reason` tell when and why
    it last changed.
    """

    desk: str
    floor: str
    state: DeskState
    since: datetime
    reason: DeskReason
    present: bool | None = None  # last sensor reading; None when never reported
    reading: ReadingOrigin | None = None  # which reading set `present`, to ignore older ones
    contact: bool = False  # False while the sensor is offline, silent, or never heard from
    holder: str | None = None  # who the desk is assigned to today
    checked_in: bool = False  # the holder has arrived (QR scan or sensed presence)
    blocked: str | None = None  # why it is out of service, when it is

    @property
    def walk_in(self) -> bool:
        """Someone sits at a desk nobody holds: shown as taken."""
        return self.state is DeskState.OCCUPIED and self.holder is None


@dataclass(frozen=True, slots=True)
class DeskTransition:
    """A desk changed; `after.reason` is shown to anyone and kept in history."""

    before: DeskStatus
    after: DeskStatus

    @property
    def desk(self) -> str:
        return self.after.desk

    @property
    def person(self) -> str | None:
        """Whom the change is about: the holder, or the one whose hold just ended. History
        keeps it apart from the reason, readable only as the site allows, and for a while."""
        return self.after.holder or self.before.holder

    @property
    def visible(self) -> bool:
        """True when the map shows something different (state or holder)."""
        return (self.before.state, self.before.holder) != (self.after.state, self.after.holder)


def _derive(status: DeskStatus) -> DeskState:
    return _state_of(
        status.blocked, status.contact, status.present, status.holder, status.checked_in
    )


def _state_of(
    blocked: str | None, contact: bool, present: bool | None, holder: str | None, checked_in: bool
) -> DeskState:
    if blocked is not None:
        return DeskState.BLOCKED
    if not contact or (present is None and holder is None):
        return DeskState.UNKNOWN
    if present:
        return DeskState.OCCUPIED
    if holder is not None:
        return DeskState.AWAY if checked_in else DeskState.HELD
    return DeskState.FREE


def _settle(
    before: DeskStatus, after: DeskStatus, at: datetime, reason: DeskReason
) -> DeskTransition | None:
    state = _derive(after)
    if state is not before.state:
        after = replace(after, state=state, since=at, reason=reason)
    elif after.holder != before.holder:
        after = replace(after, reason=reason)
    return None if after == before else DeskTransition(before, after)


def sensed(
    status: DeskStatus,
    present: bool,
    at: datetime,
    reading: ReadingOrigin | None = None,
) -> DeskTransition | None:
    """Apply a (debounced) presence reading; None when nothing about the desk changed."""
    # The holder arrived: presence checks them in.
    checked_in = status.checked_in or (present and status.holder is not None)
    state = _state_of(status.blocked, True, present, status.holder, checked_in)
    moved = state is not status.state
    if not moved:
        reason = status.reason
    elif present:
        reason = DeskReason.WALK_IN if status.holder is None else DeskReason.PRESENT
    elif status.holder is not None and checked_in:
        reason = DeskReason.STEPPED_AWAY
    else:
        reason = DeskReason.NOBODY_PRESENT
    # Built once with the constructor: this runs for every sensor event ingested, and
    # dataclasses.replace (twice, as _settle would) was a tenth of the ingest worker's time.
    after = DeskStatus(
        desk=status.desk,
        floor=status.floor,
        state=state,
        since=at if moved else status.since,
        reason=reason,
        present=present,
        reading=reading if reading is not None else status.reading,
        contact=True,
        holder=status.holder,
        checked_in=checked_in,
        blocked=status.blocked,
    )
    return None if after == status else DeskTransition(status, after)


def with_commands(rebuilt: DeskStatus, live: DeskStatus) -> DeskStatus:
    """A desk rebuilt from the sensor log, with the live desk's hold and block.

    Holds (seat_holds) and blocks are commands kept outside the sensor event log, so a desk
    folded from the log alone would lose them: they are carried over, and the state follows.
    """
    after = replace(
        rebuilt,
        holder=live.holder,
        checked_in=live.checked_in or (rebuilt.present is True and live.holder is not None),
        blocked=live.blocked,
    )
    state = _derive(after)
    if state is rebuilt.state:
        return after
    # The commands decide the state (held, blocked): when and why is what the live desk says.
    return replace(after, state=state, since=live.since, reason=live.reason)


def lost_contact(status: DeskStatus, at: datetime, reason: DeskReason) -> DeskTransition | None:
    """The desk's sensor went offline or stale: the desk becomes unknown, never free."""
    if not status.contact:
        return None
    return _settle(status, replace(status, contact=False), at, reason)


def assign(
    status: DeskStatus, person: str, at: datetime, *, sitting_there: bool = False
) -> DeskTransition | Refusal:
    """Hold the desk for `person` until they arrive. `sitting_there`: the person scanned the
    desk where the sensor sees someone nobody holds, so the walk-in is them."""
    if status.blocked is not None:
        return Refusal(RefusalCode.DESK_OUT_OF_SERVICE, desk=status.desk, why=status.blocked)
    if status.holder is not None:
        return Refusal(RefusalCode.DESK_HELD, desk=status.desk)
    if status.present and not sitting_there:
        return Refusal(RefusalCode.DESK_TAKEN, desk=status.desk)
    return _changed(_settle(status, replace(status, holder=person), at, DeskReason.HELD))


def check_in(status: DeskStatus, person: str, at: datetime, how: str) -> DeskTransition | Refusal:
    """The holder arrived (`how`: a QR scan, the sensor, ...)."""
    if status.holder != person:
        return Refusal(RefusalCode.NOT_HOLDER, desk=status.desk)
    if status.checked_in:
        return Refusal(RefusalCode.ALREADY_CHECKED_IN, desk=status.desk)
    after = replace(status, checked_in=True)
    return _changed(_settle(status, after, at, DeskReason.checked_in_by(how)))


def _changed(transition: DeskTransition | None) -> DeskTransition:
    # For commands that always change a fact: _settle only returns None for no change at all.
    assert transition is not None
    return transition


def release(status: DeskStatus, at: datetime, reason: DeskReason) -> DeskTransition | None:
    """End the hold (by hand, end of day, no-show); the desk shows what its sensor says."""
    if status.holder is None:
        return None
    return _settle(status, replace(status, holder=None, checked_in=False), at, reason)
