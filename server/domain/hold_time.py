"""Checked-in time, pure: how long held desks were occupied and how long away, per group."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from server.domain.zone_use import DeskFact


@dataclass(frozen=True, slots=True)
class CheckedIn:
    """A hold from its check-in to its release (or the window's end), and whose group it is."""

    group: str
    desk: str
    start: datetime
    end: datetime


@dataclass
class TimeAtDesk:
    occupied_s: float = 0.0
    away_s: float = 0.0

    @property
    def away_share(self) -> float | None:
        total = self.occupied_s + self.away_s
        return round(self.away_s / total, 4) if total > 0 else None


def time_at_desks(
    spans: Iterable[CheckedIn],
    initial: Mapping[str, str],
    facts: Sequence[DeskFact],
) -> dict[str, TimeAtDesk]:
    """Seconds each group's checked-in desks showed `occupied` and `away`.

    `initial` is each desk's state before the first of `facts` (in time order).
    """
    per_desk: dict[str, list[DeskFact]] = defaultdict(list)
    for fact in facts:
        per_desk[fact.desk].append(fact)
    times = {desk: [f.at for f in items] for desk, items in per_desk.items()}
    out: dict[str, TimeAtDesk] = defaultdict(TimeAtDesk)
    for span in spans:
        if span.end <= span.start:
            continue
        items = per_desk.get(span.desk, [])
        at = times.get(span.desk, [])
        i = bisect.bisect_right(at, span.start)
        state = items[i - 1].after if i else initial.get(span.desk, "unknown")
        cursor = span.start
        cell = out[span.group]
        while True:
            until = min(items[i].at, span.end) if i < len(items) else span.end
            seconds = (until - cursor).total_seconds()
            if state == "occupied":
                cell.occupied_s += seconds
            elif state == "away":
                cell.away_s += seconds
            if until >= span.end:
                break
            state, cursor = items[i].after, until
            i += 1
    return dict(out)
