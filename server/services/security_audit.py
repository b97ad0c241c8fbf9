"""The security audit log: sign-ins, session ends and account changes, with who, when, where.

Facilities and admins read it (server.api.security); entries older than the retention period
are deleted by the ticker.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from server.services.ports import Clock


class SecurityEvent(StrEnum):
    """What happened to an account or a session."""

    SIGN_IN_SUCCEEDED = "sign_in_succeeded"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGNED_OUT = "signed_out"
    SESSIONS_ENDED = "sessions_ended"
    PASSWORD_CHANGED = "password_changed"
    ROLE_CHANGED = "role_changed"
    PERSON_DISABLED = "person_disabled"
    PERSON_ENABLED = "person_enabled"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One event: whose account (`subject`, as typed for failed sign-ins), done by whom
    (`actor`: a staff id, or `cli:<user>` for the command line), from which address."""

    at: datetime
    event: SecurityEvent
    subject: str | None
    actor: str | None = None
    address: str | None = None
    detail: str = ""


class AuditStore(Protocol):
    def add(self, entry: AuditEntry) -> None: ...
    def entries(
        self,
        since: datetime,
        until: datetime | None,
        event: SecurityEvent | None,
        subject: str | None,
        limit: int,
    ) -> list[AuditEntry]:
        """Entries with since <= at < until (None: no end), newest first."""
        ...

    def purge_entries(self, before: datetime) -> int: ...


class SecurityAudit:
    """Writes and reads the security audit log."""

    def __init__(self, store: AuditStore, clock: Clock, retention: timedelta) -> None:
        self._store = store
        self._clock = clock
        self.retention = retention

    def record(
        self,
        event: SecurityEvent,
        *,
        subject: str | None,
        actor: str | None = None,
        address: str | None = None,
        detail: str = "",
    ) -> None:
        # Typed staff ids are kept as typed but bounded: the column is not a dumping ground.
        self._store.add(
            AuditEntry(
                self._clock.now(),
                event,
                subject[:64] if subject else subject,
                actor,
                address,
                detail[:500],
            )
        )

    def read(
        self,
        since: datetime,
        until: datetime | None = None,
        *,
        event: SecurityEvent | None = None,
        staff_id: str | None = None,
        limit: int = 200,
    ) -> list[AuditEntry]:
        return self._store.entries(since, until, event, staff_id, limit)

    def enforce_retention(self, now: datetime) -> int:
        """Delete entries older than the retention period; returns how many."""
        return self._store.purge_entries(now - self.retention)
