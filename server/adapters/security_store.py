"""Sessions, failed sign-ins and the security audit log in SQL (one store, three ports)."""

from datetime import datetime

from sqlalchemy import Engine, and_, delete, func, or_, select, update
from sqlalchemy.orm import sessionmaker

from server.adapters.database import WRITE_INTENT
from server.adapters.tables_security import SecurityEventRow, SignInFailureRow, SignInSessionRow
from server.domain.sign_in_throttle import FailureCount
from server.services.security_audit import AuditEntry, SecurityEvent
from server.services.sessions import SessionRecord
from server.services.sign_in import SignInClient


class SqlSecurityStore:
    """Implements SessionStore, FailureStore and AuditStore; each call is its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # Writes take SQLite's write lock when they begin (see WRITE_INTENT).
        self._writes = sessionmaker(
            engine.execution_options(**WRITE_INTENT), expire_on_commit=False
        )

    # -- sessions ------------------------------------------------------------------------------

    def add_session(self, record: SessionRecord) -> None:
        with self._writes.begin() as session:
            session.add(
                SignInSessionRow(
                    id=record.id,
                    staff_id=record.staff_id,
                    provider=record.provider,
                    started_at=record.started_at,
                    expires_at=record.expires_at,
                    address=record.address,
                )
            )

    def session_live(self, session_id: str, now: datetime) -> bool:
        query = select(SignInSessionRow.id).where(
            SignInSessionRow.id == session_id,
            SignInSessionRow.ended_at.is_(None),
            SignInSessionRow.expires_at > now,
        )
        with self._sessions() as session:
            return session.scalar(query) is not None

    def end_session(self, session_id: str, at: datetime, reason: str) -> str | None:
        with self._writes.begin() as session:
            row = session.get(SignInSessionRow, session_id)
            if row is None or row.ended_at is not None:
                return None
            row.ended_at = at
            row.end_reason = reason
            return row.staff_id

    def end_sessions_of(self, staff_id: str, at: datetime, reason: str) -> int:
        statement = (
            update(SignInSessionRow)
            # Expired ones too: the replica that checks a cookie may run on a clock behind ours.
            .where(SignInSessionRow.staff_id == staff_id, SignInSessionRow.ended_at.is_(None))
            .values(ended_at=at, end_reason=reason)
        )
        with self._writes.begin() as session:
            return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def purge_sessions(self, before: datetime) -> int:
        statement = delete(SignInSessionRow).where(
            or_(SignInSessionRow.expires_at < before, SignInSessionRow.ended_at < before)
        )
        with self._writes.begin() as session:
            return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]

    # -- failed sign-ins -----------------------------------------------------------------------

    def client_failures(self, client: SignInClient, since: datetime) -> FailureCount:
        return self._count(
            and_(
                SignInFailureRow.staff_id == client.staff_id,
                SignInFailureRow.address == client.address,
                SignInFailureRow.device == client.device,
                SignInFailureRow.at >= since,
            )
        )

    def site_failures(self, since: datetime) -> FailureCount:
        return self._count(SignInFailureRow.at >= since)

    def _count(self, where: object) -> FailureCount:
        query = select(
            func.count(), func.min(SignInFailureRow.at), func.max(SignInFailureRow.at)
        ).where(where)  # type: ignore[arg-type]
        with self._sessions() as session:
            count, first, last = session.execute(query).one()
        return FailureCount(int(count or 0), first, last)

    def add_failure(self, client: SignInClient, at: datetime) -> None:
        with self._writes.begin() as session:
            session.add(
                SignInFailureRow(
                    staff_id=client.staff_id[:64],
                    address=client.address[:64],
                    device=client.device,
                    at=at,
                )
            )

    def clear_failures(self, client: SignInClient) -> None:
        statement = delete(SignInFailureRow).where(
            SignInFailureRow.staff_id == client.staff_id,
            SignInFailureRow.address == client.address,
            SignInFailureRow.device == client.device,
        )
        with self._writes.begin() as session:
            session.execute(statement)

    def purge_failures(self, before: datetime) -> int:
        with self._writes.begin() as session:
            result = session.execute(delete(SignInFailureRow).where(SignInFailureRow.at < before))
            return int(result.rowcount)  # type: ignore[attr-defined]

    # -- audit log -----------------------------------------------------------------------------

    def add(self, entry: AuditEntry) -> None:
        with self._writes.begin() as session:
            session.add(
                SecurityEventRow(
                    at=entry.at,
                    event=entry.event.value,
                    subject=entry.subject,
                    actor=entry.actor,
                    address=entry.address,
                    detail=entry.detail,
                )
            )

    def entries(
        self,
        since: datetime,
        until: datetime | None,
        event: SecurityEvent | None,
        subject: str | None,
        limit: int,
    ) -> list[AuditEntry]:
        query = (
            select(SecurityEventRow)
            .where(SecurityEventRow.at >= since)
            .order_by(SecurityEventRow.at.desc(), SecurityEventRow.id.desc())
            .limit(limit)
        )
        if until is not None:
            query = query.where(SecurityEventRow.at < until)
        if event is not None:
            query = query.where(SecurityEventRow.event == event.value)
        if subject is not None:
            query = query.where(SecurityEventRow.subject == subject)
        with self._sessions() as session:
            return [
                AuditEntry(
                    row.at,
                    SecurityEvent(row.event),
                    row.subject,
                    row.actor,
                    row.address,
                    row.detail,
                )
                for row in session.scalars(query)
            ]

    def purge_entries(self, before: datetime) -> int:
        with self._writes.begin() as session:
            result = session.execute(delete(SecurityEventRow).where(SecurityEventRow.at < before))
            return int(result.rowcount)  # type: ignore[attr-defined]
