"""Station addresses in, keyed hashes out: a raw MAC never outlives the line it came on.

The key is random, held only in memory and replaced every local day, so a hash cannot be
reversed from a table of vendor prefixes, nor linked across days, nor across agents.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from contracts.macs import is_randomised, normalise_mac

__all__ = ["MAC_IN_TEXT", "StationHasher", "StationId", "is_randomised", "normalise_mac", "redact"]

# Anything MAC-shaped inside free text: what `redact` hides before a line may be logged.
MAC_IN_TEXT = re.compile(
    r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}(?![0-9A-Fa-f])"
    r"|(?<![0-9A-Fa-f.-])[0-9A-Fa-f]{4}([.-])[0-9A-Fa-f]{4}\1[0-9A-Fa-f]{4}(?![0-9A-Fa-f])"
    r"|(?<![0-9A-Fa-f])[0-9A-Fa-f]{12}(?![0-9A-Fa-f])"
)


def redact(text: str) -> str:
    """`text` with every MAC-shaped run replaced, so a bad line can be logged safely."""
    return MAC_IN_TEXT.sub("<mac>", text)


@dataclass(frozen=True, slots=True)
class StationId:
    """A station as the agent may remember it: a keyed hash and whether it is randomised."""

    token: str
    randomised: bool


class StationHasher:
    """HMAC-SHA256 of normalised MACs under a key that changes at local midnight.

    The previous day's key is kept (in memory) only so a station that associated before
    midnight can still be matched when it leaves after it.
    """

    def __init__(
        self,
        timezone: str = "Asia/Tokyo",
        *,
        new_key: Callable[[], bytes] = lambda: secrets.token_bytes(32),
    ) -> None:
        self._tz = ZoneInfo(timezone)
        self._new_key = new_key
        self._day: date | None = None
        self._key = b""
        self._previous: bytes | None = None

    @property
    def day(self) -> date | None:
        """The local day of the current key."""
        return self._day

    def rotate_if_due(self, now: datetime) -> bool:
        """Start a new key when the local day changed; True if it did."""
        today = now.astimezone(self._tz).date()
        if self._day == today:
            return False
        first = self._day is None
        self._previous = None if first else self._key
        self._key = self._new_key()
        self._day = today
        return not first

    def station(self, mac: str, now: datetime) -> StationId:
        """The station id of a normalised MAC under today's key."""
        self.rotate_if_due(now)
        return StationId(_digest(self._key, mac), is_randomised(mac))

    def previous(self, mac: str) -> StationId | None:
        """The id under yesterday's key, if there still is one."""
        if self._previous is None:
            return None
        return StationId(_digest(self._previous, mac), is_randomised(mac))

    def forget_previous(self) -> None:
        """Drop yesterday's key for good."""
        self._previous = None


def _digest(key: bytes, mac: str) -> str:
    raw = hmac.new(key, mac.encode(), hashlib.sha256).digest()[:15]
    # Base32 (a-z, 2-7) of 120 bits: cannot be mistaken for, or scanned as, a hex address.
    return base64.b32encode(raw).decode().lower()
