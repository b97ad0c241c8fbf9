"""How long a sign-in attempt must wait, from the failures before it: growing delays, no lockout.

Failures are counted per client (staff id, address, and the browser's known-device mark when it
has one for that id) and across the whole site. A client's first `free_failures` mistakes cost
nothing; each one after doubles the wait from its last failure, up to `max_delay`, and
failures older than `window` are forgotten. Someone guessing elsewhere never delays a person at
their own address or browser: they are a different client. The site-wide cap bounds how many
wrong guesses everyone together may make per `site_window`; browsers that signed in as that
person before are not held by it, so an attack cannot keep the regulars out.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """The numbers of the sign-in throttle (see the module docstring)."""

    free_failures: int = 5
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=5)
    window: timedelta = timedelta(minutes=15)
    site_failures: int = 100
    site_window: timedelta = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class FailureCount:
    """How many failures fell in a window, and the first and last of them."""

    count: int
    first: datetime | None = None
    last: datetime | None = None


def client_wait(failures: FailureCount, now: datetime, policy: ThrottlePolicy) -> timedelta:
    """How long this client must still wait before its next attempt (ZERO: not at all)."""
    over = failures.count - policy.free_failures
    if over < 0 or failures.last is None:
        return ZERO
    delay = min(policy.first_delay * (1 << min(over, 30)), policy.max_delay)
    return max(ZERO, failures.last + delay - now)


def site_wait(failures: FailureCount, now: datetime, policy: ThrottlePolicy) -> timedelta:
    """How long a client the site does not know must wait while the site-wide cap is reached:
    until the oldest counted failure leaves the window."""
    if failures.count < policy.site_failures or failures.first is None:
        return ZERO
    return max(timedelta(seconds=1), failures.first + policy.site_window - now)
