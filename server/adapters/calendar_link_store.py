"""The SQLAlchemy side of room-calendar sync: links between bookings and events, conflicts."""

from datetime import datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import sessionmaker

from server.adapters.database import WRITE_INTENT
from server.adapters.tables_directory import CalendarConflictRow, CalendarLinkRow
from server.services.calendar_ports import CalendarConflict, CalendarLink


class SqlCalendarLinks:
    """A `CalendarLinkStore` over `calendar_links` and `calendar_conflicts`."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(
            engine.execution_options(**WRITE_INTENT), expire_on_commit=False
        )

    def links(self, room: str) -> list[CalendarLink]:
        with self._sessions() as session:
            rows = session.scalars(select(CalendarLinkRow).where(CalendarLinkRow.room == room))
            return [
                CalendarLink(r.room, r.booking_key, r.event_uid, r.href, r.etag, r.fingerprint)
                for r in rows
            ]

    def save(self, link: CalendarLink, at: datetime) -> None:
        with self._writes.begin() as session:
            row = session.scalar(
                select(CalendarLinkRow)
                .where(CalendarLinkRow.room == link.room)
                .where(CalendarLinkRow.event_uid == link.event_uid)
            )
            if row is None:
                row = CalendarLinkRow(room=link.room, event_uid=link.event_uid)
                session.add(row)
            row.booking_key = link.booking_key
            row.href = link.href
            row.etag = link.etag
            row.fingerprint = link.fingerprint
            row.synced_at = at

    def drop(self, room: str, event_uid: str) -> None:
        with self._writes.begin() as session:
            session.execute(
                delete(CalendarLinkRow)
                .where(CalendarLinkRow.room == room)
                .where(CalendarLinkRow.event_uid == event_uid)
            )

    def add_conflict(self, conflict: CalendarConflict) -> None:
        with self._writes.begin() as session:
            session.add(
                CalendarConflictRow(
                    room=conflict.room,
                    event_uid=conflict.event_uid,
                    title=conflict.title,
                    host=conflict.host,
                    starts_at=conflict.starts_at,
                    ends_at=conflict.ends_at,
                    code=conflict.code,
                    kept_title=conflict.kept_title,
                    kept_starts_at=conflict.kept_starts_at,
                    kept_ends_at=conflict.kept_ends_at,
                    seen_at=conflict.seen_at,
                )
            )

    def conflicts(self, host: str | None, since: datetime) -> list[CalendarConflict]:
        statement = (
            select(CalendarConflictRow)
            .where(CalendarConflictRow.seen_at >= since)
            .order_by(CalendarConflictRow.seen_at.desc(), CalendarConflictRow.id.desc())
            .limit(200)
        )
        if host is not None:
            statement = statement.where(CalendarConflictRow.host == host)
        with self._sessions() as session:
            return [
                CalendarConflict(
                    id=r.id,
                    room=r.room,
                    event_uid=r.event_uid,
                    title=r.title,
                    host=r.host,
                    starts_at=r.starts_at,
                    ends_at=r.ends_at,
                    code=r.code,
                    kept_title=r.kept_title,
                    kept_starts_at=r.kept_starts_at,
                    kept_ends_at=r.kept_ends_at,
                    seen_at=r.seen_at,
                )
                for r in session.scalars(statement)
            ]
