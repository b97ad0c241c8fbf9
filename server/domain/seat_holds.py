"""A seat hold: a person's claim on a desk for one day, from claim to check-in to release."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from server.domain.occupancy import DeskReason
from server.domain.refusals import Refusal, RefusalCode


@dataclass(frozen=True, slots=True)
class Hold:
    """A hold; `checked_in_at` is None until the person arrives, `released_at` while active."""

    id: int
    desk: str
    staff_id: str
    day: date
    claimed_at: datetime
    checked_in_at: datetime | None = None
    check_in_how: str | None = None
    released_at: datetime | None = None
    release_reason: DeskReason | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None


def claims_closed(now: datetime, day_ends_at: datetime) -> Refusal | None:
    """Why no desk can be held at `now` (today's holds have ended), or None while they run.

    A hold claimed after the end of the day would be released by the next sweep seconds
    later: the person would see a seat that silently vanished.
    """
    if now >= day_ends_at:
        return Refusal(RefusalCode.CLAIMS_CLOSED, until=day_ends_at)
    return None


def release_due(
    hold: Hold, now: datetime, grace: timedelta, day_ends_at: datetime
) -> DeskReason | None:
    """Why `hold` must end at `now` (end of its day, or no check-in within the grace), or None.

    `day_ends_at` is the end of the hold's own day, so a hold left over from an earlier day is
    always due.
    """
    if now >= day_ends_at:
        return DeskReason.END_OF_DAY
    if hold.checked_in_at is None and now >= hold.claimed_at + grace:
        return DeskReason.NO_SHOW
    return None


# How a check-in was proven, after the way it was made (e.g. "qr + desk sensor"). A QR scan
# alone says only that someone opened the desk's page, from anywhere.
BY_SENSOR = "desk sensor"
BY_WIFI = "wifi"


@dataclass(frozen=True, slots=True)
class ScanVerdict:
    """Whether a scan counts as arrival, and the check-in's `how` when it does."""

    arrived: bool
    how: str


def judge_scan(how: str, *, sensor_live: bool, present: bool, wifi_on_floor: bool) -> ScanVerdict:
    """A scan counts as arrival when the desk's sensor sees someone there, or the person's own
    laptop reported Wi-Fi on the desk's floor within the grace. At a desk whose sensor is live
    but sees nobody, it does not: the sensor checks the person in when it sees them. A desk
    with no working sensor has only the scan, which counts as it always did (`how` unproven)."""
    if sensor_live and present:
        return ScanVerdict(True, f"{how} + {BY_SENSOR}")
    if wifi_on_floor:
        return ScanVerdict(True, f"{how} + {BY_WIFI}")
    return ScanVerdict(not sensor_live, how)


def proven(check_in_how: str | None) -> bool:
    """Whether a check-in was confirmed by a sensor or Wi-Fi (a bare scan was not)."""
    return check_in_how is not None and (
        check_in_how == BY_SENSOR or check_in_how.endswith((f"+ {BY_SENSOR}", f"+ {BY_WIFI}"))
    )


def away_too_long(away_since: datetime, now: datetime, limit: timedelta) -> DeskReason | None:
    """Why a checked-in desk with nobody present since `away_since` is released now, or None.

    A desk that stays `away` for hours (a person gone to another building, or home) keeps a
    seat from everyone else until the end of the day.
    """
    return DeskReason.AWAY_TOO_LONG if now - away_since >= limit else None
