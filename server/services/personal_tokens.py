"""Personal tokens: how `freeseat connect` and `whereami` sign in for directory and SSO users.

A person signed in on the web page issues a token and pastes it into FREESEAT_TOKEN on their
laptop; the laptop sends it as `Authorization: Bearer`. Only its SHA-256 is stored. A token
stops working when revoked, when it expires, or when its person is disabled (a leaver).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

PREFIX = "fst_"
LIFETIME = timedelta(days=90)
# Recording each use would write on every request; once an hour says enough.
USE_RECORDED_EVERY = timedelta(hours=1)
MAX_LABEL = 80
MAX_TOKENS = 20


@dataclass(frozen=True, slots=True)
class PersonalToken:
    id: int
    staff_id: str
    label: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def valid(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


class TokenStore(Protocol):
    def add(
        self, staff_id: str, label: str, digest: str, created_at: datetime, expires_at: datetime
    ) -> PersonalToken: ...
    def by_digest(self, digest: str) -> PersonalToken | None: ...
    def of(self, staff_id: str) -> list[PersonalToken]: ...
    def revoke(self, token_id: int, staff_id: str, at: datetime) -> bool:
        """Revoke one of `staff_id`'s tokens; False when they have no such live token."""
        ...

    def used(self, token_id: int, at: datetime) -> None: ...


class TooManyTokens(Exception):
    """A person may hold at most MAX_TOKENS live tokens; revoke one first."""


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PersonalTokens:
    """Issue, list, revoke and resolve personal tokens."""

    def __init__(self, store: TokenStore, lifetime: timedelta = LIFETIME) -> None:
        self._store = store
        self._lifetime = lifetime

    def issue(self, staff_id: str, label: str, now: datetime) -> tuple[str, PersonalToken]:
        """A new token (shown once) and its record."""
        live = [t for t in self._store.of(staff_id) if t.valid(now)]
        if len(live) >= MAX_TOKENS:
            raise TooManyTokens(staff_id)
        token = PREFIX + secrets.token_urlsafe(32)
        label = " ".join(label.split())[:MAX_LABEL]
        record = self._store.add(staff_id, label, digest_of(token), now, now + self._lifetime)
        return token, record

    def mine(self, staff_id: str, now: datetime) -> list[PersonalToken]:
        return [t for t in self._store.of(staff_id) if t.valid(now)]

    def revoke(self, staff_id: str, token_id: int, now: datetime) -> bool:
        return self._store.revoke(token_id, staff_id, now)

    def revoke_all(self, staff_id: str, now: datetime) -> int:
        """Revoke every valid token of `staff_id` (signed out everywhere); returns how many."""
        return sum(self.revoke(staff_id, t.id, now) for t in self.mine(staff_id, now))

    def staff_id(self, token: str, now: datetime) -> str | None:
        """Whose token this is, when it is one of ours and still valid; None otherwise."""
        if not token.startswith(PREFIX) or len(token) > 200:
            return None
        found = self._store.by_digest(digest_of(token))
        if found is None or not found.valid(now):
            return None
        if found.last_used_at is None or now - found.last_used_at >= USE_RECORDED_EVERY:
            self._store.used(found.id, now)
        return found.staff_id
