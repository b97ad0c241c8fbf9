"""Seat planning from measured peaks, pure: how many desks a group needs at a target fill, and
the same under a what-if on staff count and telework share."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank `p`-th percentile (0 < p <= 100) of `values`; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return float(ordered[min(rank, len(ordered)) - 1])


@dataclass(frozen=True, slots=True)
class WhatIf:
    """Assumptions to plan for: staff count and the share of staff working remotely a day."""

    staff: int | None = None  # None: as today
    telework_share: float | None = None  # None: as measured


def demand_factor(what_if: WhatIf, staff_now: int, remote_share_now: float) -> float:
    """How office demand scales from what was measured to the what-if.

    Desks serve the staff in the office: demand scales with staff, and with the share of staff
    not working remotely (1 - telework share) against the share measured.
    """
    factor = 1.0
    if what_if.staff is not None and staff_now > 0:
        factor *= what_if.staff / staff_now
    if what_if.telework_share is not None and remote_share_now < 1:
        factor *= (1 - what_if.telework_share) / (1 - remote_share_now)
    return factor


@dataclass(frozen=True, slots=True)
class DeskNeed:
    """Desks a group has, its measured peak, what it needs at the target fill, and the change."""

    desks: int
    peak: float
    needed: int
    change: int  # + desks to add, - desks that can be released
    what_if_peak: float
    what_if_needed: int
    what_if_change: int


def desks_needed(peak: float, target_fill: float) -> int:
    """Desks for `peak` people in use so that the peak fills `target_fill` of them."""
    # Rounded first: 0.85 x 100 desks must give 100, not 101 by a float's last digit.
    return math.ceil(round(peak / target_fill, 6))


def plan(desks: int, peak: float, target_fill: float, factor: float) -> DeskNeed:
    """The desk need of one group from its measured peak and the what-if's demand factor."""
    needed = desks_needed(peak, target_fill)
    what_if_peak = peak * factor
    what_if_needed = desks_needed(what_if_peak, target_fill)
    return DeskNeed(
        desks=desks,
        peak=peak,
        needed=needed,
        change=needed - desks,
        what_if_peak=round(what_if_peak, 2),
        what_if_needed=what_if_needed,
        what_if_change=what_if_needed - desks,
    )
