"""How a booking series is written into a room calendar: one event, an RRULE when it fits."""

from datetime import UTC, datetime, timedelta

from server.services.calendar_ports import CalendarEvent
from server.services.calendar_recurrence import occurrences, recurrence

MONDAY = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
WEEK = timedelta(weeks=1)


def test_a_weekly_series_with_a_cancelled_week_is_one_rrule_with_an_exdate() -> None:
    starts = [MONDAY, MONDAY + WEEK, MONDAY + 3 * WEEK]
    assert recurrence(starts, None) == ("FREQ=WEEKLY;COUNT=4", (MONDAY + 2 * WEEK,), ())


def test_a_calendar_apps_own_rule_is_kept_when_freeseat_cancels_one_occurrence() -> None:
    event = CalendarEvent(
        href="h",
        etag="e",
        uid="u",
        title="Daily",
        starts_at=MONDAY,
        ends_at=MONDAY + timedelta(hours=1),
        rrule="FREQ=DAILY;COUNT=5",
    )
    days = occurrences(event)
    assert len(days) == 5
    kept = [d for d in days if d != days[2]]
    assert recurrence(kept, event) == ("FREQ=DAILY;COUNT=5", (days[2],), ())


def test_irregular_occurrences_are_listed_as_rdates() -> None:
    starts = [MONDAY, MONDAY + timedelta(days=3, hours=2)]
    assert recurrence(starts, None) == (None, (), (starts[1],))
    assert recurrence([MONDAY], None) == (None, (), ())
