"""The throttle's arithmetic: free mistakes, then doubling waits from the last failure, capped."""

from datetime import UTC, datetime, timedelta

from server.domain.sign_in_throttle import (
    ZERO,
    FailureCount,
    ThrottlePolicy,
    client_wait,
    site_wait,
)

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
POLICY = ThrottlePolicy()


def test_a_person_who_mistypes_a_few_times_never_waits() -> None:
    assert client_wait(FailureCount(0), NOW, POLICY) == ZERO
    assert client_wait(FailureCount(4, NOW, NOW), NOW, POLICY) == ZERO


def test_each_failure_past_the_free_ones_doubles_the_wait_up_to_the_cap() -> None:
    waits = [client_wait(FailureCount(n, NOW, NOW), NOW, POLICY) for n in range(5, 16)]
    assert [w.total_seconds() for w in waits] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    later = NOW + timedelta(seconds=3)
    assert client_wait(FailureCount(7, NOW, NOW), later, POLICY) == timedelta(seconds=1)


def test_the_site_cap_waits_until_the_oldest_counted_failure_leaves_the_window() -> None:
    first = NOW - timedelta(seconds=45)
    assert site_wait(FailureCount(99, first, NOW), NOW, POLICY) == ZERO
    assert site_wait(FailureCount(100, first, NOW), NOW, POLICY) == timedelta(seconds=15)
