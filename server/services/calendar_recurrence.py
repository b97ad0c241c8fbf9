"""A calendar event's recurrence both ways: the start times an RRULE, RDATEs and EXDATEs give,
and the RRULE, EXDATEs and RDATEs that give a booking series' start times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from dateutil.rrule import rrulestr

from server.domain.meetings import MAX_REPEATS
from server.services.calendar_ports import CalendarEvent

# Occurrences freeseat books for one recurring event, at most (a year of weekly meetings).
MAX_OCCURRENCES = MAX_REPEATS


def occurrences(event: CalendarEvent, limit: int = MAX_OCCURRENCES + 1) -> list[datetime]:
    """The event's start times: DTSTART, RRULE and RDATEs, without EXDATEs (at most `limit`)."""
    starts = {event.starts_at, *event.rdates}
    if event.rrule:
        rule = rrulestr(event.rrule, dtstart=event.starts_at)
        for n, start in enumerate(rule):
            if n >= limit:
                break
            starts.add(start)
    excluded = set(event.exdates)
    return sorted(s for s in starts if s not in excluded)[:limit]


def recurrence(
    starts: Sequence[datetime], base: CalendarEvent | None
) -> tuple[str | None, tuple[datetime, ...], tuple[datetime, ...]]:
    """(RRULE, EXDATEs, RDATEs) that give exactly `starts` (sorted), keeping `base`'s RRULE
    when it still fits, else one week apart with gaps as EXDATEs, else RDATEs."""
    if len(starts) <= 1:
        return None, (), ()
    first = starts[0]
    if base is not None and base.rrule and base.starts_at == first:
        expanded = occurrences(
            CalendarEvent(
                href="", etag="", uid="", title="", starts_at=first, ends_at=first, rrule=base.rrule
            ),
        )
        if set(starts) <= set(expanded) and expanded[-1] == starts[-1]:
            return base.rrule, tuple(s for s in expanded if s not in set(starts)), ()
    week = timedelta(weeks=1)
    steps = [(s - first) / week for s in starts]
    if all(step == int(step) for step in steps):
        count = int(steps[-1]) + 1
        wanted = {int(step) for step in steps}
        gaps = tuple(first + n * week for n in range(count) if n not in wanted)
        return f"FREQ=WEEKLY;COUNT={count}", gaps, ()
    return None, (), tuple(starts[1:])
