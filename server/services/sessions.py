"""Sign-in sessions, kept in the database so that ending one ends it on every replica.

The cookie (server.adapters.session_signer) proves who signed in; the session row says whether
that sign-in still holds. Each replica checks the row at most every `check_s` seconds per
session, so signing out, a password or role change, or disabling a person takes effect
everywhere within that. Any identity provider starts sessions the same way.
"""

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from server.services.security_audit import SecurityAudit, SecurityEvent


def session_key(nonce: str) -> str:
    """The id a session is stored under: a digest of the cookie's nonce, so the table alone
    cannot be turned back into a cookie or a CSRF token."""
    return hashlib.sha256(nonce.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: str
    staff_id: str
    provider: str
    started_at: datetime
    expires_at: datetime
    address: str | None


class SessionStore(Protocol):
    def add_session(self, record: SessionRecord) -> None: ...
    def session_live(self, session_id: str, now: datetime) -> bool:
        """True when the session exists, has not ended and has not expired at `now`."""
        ...

    def end_session(self, session_id: str, at: datetime, reason: str) -> str | None:
        """End one live session; returns whose it was, or None when it was not live."""
        ...

    def end_sessions_of(self, staff_id: str, at: datetime, reason: str) -> int: ...
    def purge_sessions(self, before: datetime) -> int:
        """Delete sessions that ended or expired before `before`."""
        ...


class Sessions:
    """Starts, checks (with a short per-process cache) and ends sign-in sessions."""

    CACHE_MAX = 50_000

    def __init__(
        self,
        store: SessionStore,
        audit: SecurityAudit,
        check_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._audit = audit
        self.check_s = check_s
        self._monotonic = monotonic
        self._checked: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def start(
        self,
        nonce: str,
        staff_id: str,
        provider: str,
        now: datetime,
        max_age: timedelta,
        address: str | None,
    ) -> None:
        record = SessionRecord(session_key(nonce), staff_id, provider, now, now + max_age, address)
        self._store.add_session(record)
        self._remember(record.id, True)

    def cached(self, nonce: str) -> bool | None:
        """Whether the session held when this process last looked, if that was under
        `check_s` ago; None: `look_up` must ask the database."""
        with self._lock:
            hit = self._checked.get(session_key(nonce))
        if hit is not None and self._monotonic() - hit[0] < self.check_s:
            return hit[1]
        return None

    def look_up(self, nonce: str, now: datetime) -> bool:
        """Whether the session holds, from the database (and remembered for `check_s`)."""
        key = session_key(nonce)
        live = self._store.session_live(key, now)
        self._remember(key, live)
        return live

    def end(self, nonce: str, now: datetime, reason: str, address: str | None) -> None:
        """End one session (signing out)."""
        key = session_key(nonce)
        staff_id = self._store.end_session(key, now, reason)
        self._remember(key, False)
        if staff_id is not None:
            self._audit.record(
                SecurityEvent.SIGNED_OUT, subject=staff_id, actor=staff_id, address=address
            )

    def end_all_of(
        self, staff_id: str, now: datetime, reason: str, actor: str, address: str | None = None
    ) -> int:
        """End every live session of `staff_id`, on every replica; returns how many."""
        ended = self._store.end_sessions_of(staff_id, now, reason)
        with self._lock:
            self._checked.clear()  # this process knows at once; the others within check_s
        if ended:
            self._audit.record(
                SecurityEvent.SESSIONS_ENDED,
                subject=staff_id,
                actor=actor,
                address=address,
                detail=f"{ended} session(s): {reason}",
            )
        return ended

    def purge(self, before: datetime) -> int:
        return self._store.purge_sessions(before)

    def _remember(self, key: str, live: bool) -> None:
        with self._lock:
            if len(self._checked) >= self.CACHE_MAX:
                self._checked.clear()
            self._checked[key] = (self._monotonic(), live)
