"""Wi-Fi busy-ness: devices per AP to estimated people per zone and floor, and suppression.

Pure: geometry and counts in, numbers out. An AP serves the zones whose centre is nearer to
it than to any other AP of the floor, shared in proportion to their desks (or area).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

# Counts of fewer people than this are never shown: a small group could be identified.
MIN_GROUP = 5


@dataclass(frozen=True, slots=True)
class ZonePlace:
    """A zone's footprint on its floor, in metres, and how many desks it has."""

    id: str
    floor: str
    x: float
    y: float
    w: float
    h: float
    desks: int = 0

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2

    def contains(self, x: float, y: float) -> bool:
        return self.x <= x <= self.x + self.w and self.y <= y <= self.y + self.h

    def distance(self, x: float, y: float) -> float:
        """From a point to the nearest edge (0 inside)."""
        dx = max(self.x - x, 0.0, x - (self.x + self.w))
        dy = max(self.y - y, 0.0, y - (self.y + self.h))
        return math.hypot(dx, dy)


@dataclass(frozen=True, slots=True)
class ApPlace:
    """An access point's position on its floor."""

    id: str
    floor: str
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class ApCount:
    """The newest station count of one AP."""

    access_point: str
    stations: int
    randomised: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Estimator:
    """How devices become people.

    Staff carry a laptop, which keeps its real address on the office network; phones mostly
    use randomised addresses and are counted only in part so a person is not counted twice.
    """

    devices_per_person: float = 1.0
    randomised_weight: float = 0.3
    count_ttl: timedelta = timedelta(minutes=15)

    def people(self, count: ApCount) -> float:
        steady = max(0, count.stations - count.randomised)
        weighted = steady + self.randomised_weight * count.randomised
        return weighted / self.devices_per_person


@dataclass(frozen=True, slots=True)
class Busyness:
    """Estimated people per zone and per floor at one moment (not yet suppressed)."""

    at: datetime
    zones: dict[str, float]
    floors: dict[str, float]
    # Floors whose APs have all reported recently; the others' figures are unknown.
    reporting: frozenset[str]

    def shown_floor(
        self, floor: str, zone_ids: Iterable[str]
    ) -> tuple[int | None, dict[str, int | None]]:
        """The floor's figure and its zones' as anyone may see them (None: hidden or unknown).

        A floor whose APs are not all reporting shows nothing: a partial sum would understate
        it.
        """
        zones = list(zone_ids)
        if floor not in self.reporting:
            return None, dict.fromkeys(zones)
        total = shown(self.floors.get(floor, 0.0))
        return total, suppress_zones({z: self.zones.get(z, 0.0) for z in zones}, total)


def zone_shares(zones: Iterable[ZonePlace], aps: Iterable[ApPlace]) -> dict[str, dict[str, float]]:
    """For each AP, the zones it serves and the share of its people each gets (sums to 1)."""
    by_floor: dict[str, list[ApPlace]] = {}
    for ap in aps:
        by_floor.setdefault(ap.floor, []).append(ap)
    served: dict[str, dict[str, float]] = {ap.id: {} for aps_ in by_floor.values() for ap in aps_}
    for zone in zones:
        candidates = by_floor.get(zone.floor)
        if not candidates:
            continue
        cx, cy = zone.centre
        nearest = min(candidates, key=lambda ap: (math.hypot(ap.x - cx, ap.y - cy), ap.id))
        served[nearest.id][zone.id] = float(zone.desks) if zone.desks else zone.w * zone.h
    shares: dict[str, dict[str, float]] = {}
    for ap_id, weights in served.items():
        total = sum(weights.values())
        shares[ap_id] = {z: w / total for z, w in weights.items()} if total > 0 else {}
    return shares


def zone_of(ap: ApPlace, zones: Iterable[ZonePlace]) -> str | None:
    """The zone an AP stands in, else the nearest zone of its floor (None if it has none)."""
    same_floor = [z for z in zones if z.floor == ap.floor]
    if not same_floor:
        return None
    inside = [z for z in same_floor if z.contains(ap.x, ap.y)]
    if inside:
        return min(inside, key=lambda z: z.w * z.h).id
    return min(same_floor, key=lambda z: (z.distance(ap.x, ap.y), z.id)).id


def estimate(
    counts: Iterable[ApCount],
    aps: Mapping[str, ApPlace],
    shares: Mapping[str, Mapping[str, float]],
    zone_floor: Mapping[str, str],
    estimator: Estimator,
    now: datetime,
) -> Busyness:
    """People per zone and floor from the APs' newest counts; stale counts are left out."""
    zones = dict.fromkeys(zone_floor, 0.0)
    floors = dict.fromkeys({ap.floor for ap in aps.values()}, 0.0)
    fresh: set[str] = set()
    for count in counts:
        ap = aps.get(count.access_point)
        if ap is None or now - count.at > estimator.count_ttl:
            continue
        fresh.add(ap.id)
        people = estimator.people(count)
        floors[ap.floor] = floors.get(ap.floor, 0.0) + people
        for zone, share in shares.get(ap.id, {}).items():
            zones[zone] = zones.get(zone, 0.0) + people * share
    reporting = frozenset(
        floor for floor in floors if all(ap.id in fresh for ap in aps.values() if ap.floor == floor)
    )
    return Busyness(at=now, zones=zones, floors=floors, reporting=reporting)


def shown(people: float) -> int | None:
    """The whole number of people to show, or None when it is under MIN_GROUP."""
    value = round(people)
    return value if value >= MIN_GROUP else None


def suppress_zones(zones: Mapping[str, float], floor_total: int | None) -> dict[str, int | None]:
    """Zone figures to show for one floor, with small groups hidden for good.

    The floor total minus the shown zones is what the hidden zones hold together: while that
    is under MIN_GROUP (one hidden zone of 3 people, or two of 1 and 2), the smallest shown
    zone is hidden too, so no subtraction gives a group under MIN_GROUP.
    """
    out = {zone: shown(people) for zone, people in zones.items()}
    if floor_total is None or all(v is not None for v in out.values()):
        return out
    visible = sorted((v, z) for z, v in out.items() if v is not None)
    while visible and floor_total - sum(v for v, _ in visible) < MIN_GROUP:
        _, zone = visible.pop(0)
        out[zone] = None
    return out
