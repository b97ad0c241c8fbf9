"""The seat policy: which free desks to suggest to a person, in what order, and why.

Pure and explainable: every suggestion carries the reasons it was chosen, every refusal carries
its facts. The rules, in order of weight:

1. needs: a desk without a need marked hard (accessible) is never suggested; other needs
   (dual-monitor, standing, ...) rank desks that meet more of them first;
2. accessible desks are offered last to people who do not need them, so they stay free;
   then team zone: desks in a zone of the person's department, wherever it is in the
   building, come first, then desks on a floor where the department has a zone;
3. zone consolidation (when the site enables it): zones are filled in the site's order, so
   whole zones at the end of the order stay empty and can be powered down;
4. nearness: only when the person chose to share where they are, nearer desks first;
5. a stable per-person-per-day tie-break, so people arriving together do not all race for
   the same desk.

Anti-fixation: nobody gets the same desk more than `max_same_desk_days` working days in a
row. A working day is a day the person checked in somewhere; days off do not break a streak.
That desk is left out of suggestions and a claim of it is refused, with the reason.
"""

import heapq
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from server.domain.refusals import Refusal, RefusalCode

# Needs that map to desk equipment; `HARD_NEEDS` are never traded away for anything else.
NEED_EQUIPMENT: Mapping[str, str] = {
    "accessible": "accessible",
    "dual-monitor": "dual-monitor",
    "monitor": "monitor",
    "standing": "standing",
    "dock": "dock",
    "phone-booth": "phone-booth",
}
HARD_NEEDS = frozenset({"accessible"})
# Equipment some people cannot do without: such desks go to everyone else last.
RESERVED_EQUIPMENT = frozenset({"accessible"})
# Departments with fewer people than this get no rotation figure (it would single people out).
MIN_GROUP = 5


@dataclass(frozen=True, slots=True)
class DeskOption:
    """A desk that could be offered: where it is and what it has."""

    desk: str
    floor: str
    zone: str
    zone_department: str | None
    equipment: frozenset[str]
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Spot:
    """Where a person is, as they chose to share it."""

    floor: str
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class SeatRules:
    """A site's seating rules (from the site file's `policy`)."""

    max_same_desk_days: int = 3
    consolidate_zones: bool = False
    zone_rank: Mapping[str, int] = field(default_factory=dict)  # zone -> fill order, 0 first


@dataclass(frozen=True, slots=True)
class Seeker:
    """Who is looking for a seat, and the desks they checked in at on their last working days."""

    staff_id: str
    department: str | None
    needs: frozenset[str] = frozenset()
    recent_desks: tuple[str, ...] = ()  # most recent working day first, one desk per day
    near: Spot | None = None
    day: date | None = None
    team_floors: frozenset[str] = frozenset()  # floors with a zone of the person's department


ReasonFact = str | int | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason for (or against) a desk: a stable code and its facts (zone, floor, metres,
    equipment); the API words it for people (`reason.<code>` in the i18n catalogue)."""

    code: str
    facts: Mapping[str, ReasonFact] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Suggestion:
    desk: str
    floor: str
    zone: str
    rank: int
    reasons: tuple[Reason, ...]


def fixation_streak(recent_desks: Sequence[str], desk: str) -> int:
    """How many of the person's latest working days in a row they sat at `desk`."""
    streak = 0
    for previous in recent_desks:
        if previous != desk:
            break
        streak += 1
    return streak


def check_claim(seeker: Seeker, desk: str, rules: SeatRules) -> Refusal | None:
    """Anti-fixation for a desk picked by hand from the map."""
    streak = fixation_streak(seeker.recent_desks, desk)
    if streak >= rules.max_same_desk_days:
        return Refusal(
            RefusalCode.ANTI_FIXATION, desk=desk, days=streak, max_days=rules.max_same_desk_days
        )
    return None


def suggest(
    seeker: Seeker,
    options: Iterable[DeskOption],
    rules: SeatRules,
    limit: int = 5,
    busy: Mapping[str, float] | None = None,
) -> list[Suggestion]:
    """Rank the free desks in `options` for `seeker`; the best first, each with its reasons.

    `busy` is people per desk by zone right now (from Wi-Fi): after the team zone, needs and
    zone consolidation, quieter zones come first.
    """
    busy = busy or {}
    wanted = frozenset(NEED_EQUIPMENT[n] for n in seeker.needs if n in NEED_EQUIPMENT)
    hard = frozenset(NEED_EQUIPMENT[n] for n in seeker.needs & HARD_NEEDS)
    fixed = None
    if seeker.recent_desks:
        last = seeker.recent_desks[0]
        if fixation_streak(seeker.recent_desks, last) >= rules.max_same_desk_days:
            fixed = last
    # Every free desk of a floor is scored on each request: keys are cheap, reasons are only
    # written for the few that are returned.
    scored: list[tuple[tuple[float, ...], str, DeskOption]] = []
    for option in options:
        if option.desk == fixed or not hard <= option.equipment:
            continue
        scored.append((_key(seeker, option, rules, wanted, hard, busy), option.desk, option))
    best = heapq.nsmallest(limit, scored)
    return [
        Suggestion(
            option.desk,
            option.floor,
            option.zone,
            rank,
            _reasons(seeker, option, rules, wanted, hard, busy),
        )
        for rank, (_, _, option) in enumerate(best, start=1)
    ]


def _key(
    seeker: Seeker,
    option: DeskOption,
    rules: SeatRules,
    wanted: frozenset[str],
    hard: frozenset[str],
    busy: Mapping[str, float],
) -> tuple[float, ...]:
    met = len(wanted & option.equipment) if wanted else 0
    spare = bool(option.equipment) and bool((option.equipment & RESERVED_EQUIPMENT) - hard)
    zone_rank = (
        rules.zone_rank.get(option.zone, len(rules.zone_rank)) if rules.consolidate_zones else 0
    )
    return (
        -met,
        1.0 if spare else 0.0,
        float(_team_distance(seeker, option)),
        float(zone_rank),
        float(_busy_level(busy, option.zone)),
        _distance(seeker.near, option),
        _spread(seeker, option.desk),
    )


def _team_distance(seeker: Seeker, option: DeskOption) -> int:
    """0 in a zone of the person's department, 1 on a floor where it has one, 2 elsewhere."""
    if seeker.department is not None and option.zone_department == seeker.department:
        return 0
    return 1 if option.floor in seeker.team_floors else 2


def _distance(near: Spot | None, option: DeskOption) -> float:
    if near is None:
        return 0.0
    if near.floor != option.floor:
        return 1e6
    return math.hypot(option.x - near.x, option.y - near.y)


def _reasons(
    seeker: Seeker,
    option: DeskOption,
    rules: SeatRules,
    wanted: frozenset[str],
    hard: frozenset[str],
    busy: Mapping[str, float],
) -> tuple[Reason, ...]:
    reasons: list[Reason] = []
    met = tuple(sorted(wanted & option.equipment))
    if met:
        reasons.append(Reason("needs", {"equipment": met}))
    missing = tuple(sorted(wanted - option.equipment))
    if missing:
        reasons.append(Reason("needs_missing", {"equipment": missing}))
    where = {"zone": option.zone, "floor": option.floor}
    team = _team_distance(seeker, option)
    if team == 0:
        reasons.append(Reason("team_zone", where))
    elif team == 1:
        reasons.append(Reason("team_floor", where))
    # Only the first zone of the fill order is a reason a person can use; a later one is
    # offered because the earlier ones are full, which the other reasons already say.
    if rules.consolidate_zones and rules.zone_rank.get(option.zone, len(rules.zone_rank)) == 0:
        reasons.append(Reason("consolidation", where))
    if _busy_level(busy, option.zone) >= BUSY_LEVEL:
        reasons.append(Reason("busy_zone", where))
    if seeker.near is not None and seeker.near.floor == option.floor:
        reasons.append(Reason("nearby", {"metres": round(_distance(seeker.near, option))}))
    if (option.equipment & RESERVED_EQUIPMENT) - hard:
        reasons.append(Reason("kept_for_needs"))
    if seeker.recent_desks and seeker.recent_desks[0] == option.desk:
        reasons.append(Reason("familiar"))
    if not reasons:
        # Nothing speaks for it but that it is free: say where, so the person can judge.
        reasons.append(Reason("free_here", where))
    return tuple(reasons)


# People per desk in steps of a quarter: coarse, so that a person or two more in a zone does not
# outweigh being near where someone is. Level 2 (half the desks' worth of people) is "busy".
BUSY_STEPS = 4
BUSY_LEVEL = 2


def _busy_level(busy: Mapping[str, float], zone: str) -> int:
    return min(int(busy.get(zone, 0.0) * BUSY_STEPS), BUSY_STEPS)


def _spread(seeker: Seeker, desk: str) -> float:
    # Same order for one person all day (a second look gives the same answer), different
    # orders for different people, so a crowd arriving at once spreads over equal desks.
    # Python's own hash: fast, and stable for the life of the process, which is all it needs.
    return float(hash((seeker.staff_id, seeker.day, desk)) & 0xFFFFFFFF)


@dataclass(frozen=True, slots=True)
class SatAt:
    """A working day of one person: the desk they checked in at."""

    department: str | None
    staff_id: str
    day: date
    desk: str


@dataclass(frozen=True, slots=True)
class DepartmentRotation:
    """How fixed seating has become in a department over a period.

    `rotation` is the share of a person's working days spent at a different desk from their
    previous working day: 1.0 is full rotation, 0.0 means everyone sits where they sat before.
    A department with fewer than MIN_GROUP people in the period gets no figures at all (every
    field None), never a 0 that reads as a fact.
    """

    department: str | None
    people: int | None
    working_days: int | None
    same_desk_as_before: int | None
    rotation: float | None
    longest_streak: int | None

    @property
    def suppressed(self) -> bool:
        return self.people is None


def rotation_by_department(days: Iterable[SatAt]) -> list[DepartmentRotation]:
    """The rotation figure per department, from each person's working days."""
    per_person: dict[tuple[str | None, str], dict[date, str]] = defaultdict(dict)
    for sat in days:
        per_person[(sat.department, sat.staff_id)][sat.day] = sat.desk
    grouped: dict[str | None, list[list[str]]] = defaultdict(list)
    for (department, _), by_day in per_person.items():
        grouped[department].append([by_day[d] for d in sorted(by_day)])
    out = []
    for department, sequences in sorted(grouped.items(), key=lambda kv: kv[0] or ""):
        transitions = sum(len(s) - 1 for s in sequences)
        repeats = sum(1 for s in sequences for a, b in itertools.pairwise(s) if a == b)
        if len(sequences) < MIN_GROUP:
            out.append(DepartmentRotation(department, None, None, None, None, None))
            continue
        out.append(
            DepartmentRotation(
                department=department,
                people=len(sequences),
                working_days=sum(len(s) for s in sequences),
                same_desk_as_before=repeats,
                rotation=1 - repeats / transitions if transitions else 1.0,
                longest_streak=max(_longest_run(s) for s in sequences),
            )
        )
    return out


def _longest_run(desks: Sequence[str]) -> int:
    best = run = 0
    for index, desk in enumerate(desks):
        run = run + 1 if index and desks[index - 1] == desk else 1
        best = max(best, run)
    return best
