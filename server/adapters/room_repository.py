"""The SQLAlchemy implementation of the rooms ports."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Engine, delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from server.adapters.database import WRITE_INTENT
from server.adapters.repository import SqlTransaction
from server.adapters.room_rows import MATERIAL_COLUMNS, booking_of, code_of, session_of, status_of
from server.adapters.tables import DeviceRow
from server.adapters.tables_rooms import (
    RoomBookingRow,
    RoomMaterialOpenRow,
    RoomMaterialRow,
    RoomPairingAttemptRow,
    RoomPairingCodeRow,
    RoomSecretRow,
    RoomSessionRow,
    RoomSharedPageRow,
    RoomStatusRow,
)
from server.domain.meetings import Booking, MeetingSession, MonitorLiveness, RoomStatus
from server.services.ports import Transaction
from server.services.room_ports import (
    BookingOverlap,
    Material,
    MaterialOpen,
    NewBooking,
    PairingCode,
    RoomBusy,
)


class SqlRoomTransaction:
    """Room reads and writes on one SQLAlchemy session."""

    def __init__(self, session: OrmSession) -> None:
        self._s = session

    # -- bookings ----------------------------------------------------------------------------

    def add_booking(self, booking: NewBooking) -> Booking:
        row = RoomBookingRow(
            uid=booking.uid,
            room=booking.room,
            title=booking.title,
            host=booking.host,
            host_name=booking.host_name,
            host_name_ja=booking.host_name_ja,
            department=booking.department,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            series=booking.series,
            active=True,
            status="booked",
            created_at=booking.created_at,
            sequence=0,
        )
        self._s.add(row)
        self._flush_booking()
        return booking_of(row)

    def _flush_booking(self) -> None:
        """Write the pending booking change; the database's overlap refusal as BookingOverlap."""
        try:
            self._s.flush()
        except IntegrityError as exc:
            # The caller's transaction is spoiled either way; a booking series is all or none.
            if "no_overlap" in str(exc.orig):
                raise BookingOverlap(str(exc.orig)) from None
            raise

    def change_booking(
        self, booking_id: int, title: str, starts_at: datetime, ends_at: datetime
    ) -> Booking:
        row = self._s.get(RoomBookingRow, booking_id)
        if row is None:
            raise KeyError(booking_id)
        row.title, row.starts_at, row.ends_at = title, starts_at, ends_at
        row.sequence += 1
        self._flush_booking()
        return booking_of(row)

    def booking(self, booking_id: int) -> Booking | None:
        row = self._s.get(RoomBookingRow, booking_id)
        return None if row is None else booking_of(row)

    def bookings(self, room: str | None, start: datetime, end: datetime) -> list[Booking]:
        query = select(RoomBookingRow).where(
            RoomBookingRow.starts_at < end, RoomBookingRow.ends_at > start
        )
        if room is not None:
            query = query.where(RoomBookingRow.room == room)
        rows = self._s.scalars(query.order_by(RoomBookingRow.starts_at, RoomBookingRow.id))
        return [booking_of(row) for row in rows]

    def series_bookings(self) -> list[Booking]:
        rows = self._s.scalars(
            select(RoomBookingRow)
            .where(RoomBookingRow.series.is_not(None))
            .order_by(RoomBookingRow.starts_at)
        )
        return [booking_of(row) for row in rows]

    def set_booking_status(
        self, booking_id: int, status: str, reason: str | None, at: datetime
    ) -> None:
        row = self._s.get(RoomBookingRow, booking_id)
        if row is None:
            return
        row.status = status
        row.status_reason = reason
        row.status_at = at
        row.active = status == "booked"
        row.sequence += 1

    def due_unstarted(self, now: datetime, ended_after: datetime) -> list[Booking]:
        rows = self._s.scalars(
            select(RoomBookingRow).where(
                RoomBookingRow.active.is_(True),
                RoomBookingRow.starts_at <= now,
                RoomBookingRow.ends_at > ended_after,
            )
        )
        return [booking_of(row) for row in rows]

    # -- sessions ----------------------------------------------------------------------------

    def add_session(self, session: MeetingSession) -> MeetingSession:
        row = RoomSessionRow(
            room=session.room,
            booking_id=session.booking_id,
            host=session.host,
            host_name=session.host_name,
            host_name_ja=session.host_name_ja,
            department=session.department,
            title=session.title,
            started_at=session.started_at,
            token=session.token,
        )
        self._s.add(row)
        try:
            self._s.flush()
        except IntegrityError:
            raise RoomBusy(session.room) from None
        return session_of(row)

    def session(self, session_id: int) -> MeetingSession | None:
        row = self._s.get(RoomSessionRow, session_id)
        return None if row is None else session_of(row)

    def session_by_token(self, token: str) -> MeetingSession | None:
        row = self._s.scalar(select(RoomSessionRow).where(RoomSessionRow.token == token))
        return None if row is None else session_of(row)

    def open_session(self, room: str) -> MeetingSession | None:
        row = self._s.scalar(
            select(RoomSessionRow).where(
                RoomSessionRow.room == room, RoomSessionRow.ended_at.is_(None)
            )
        )
        return None if row is None else session_of(row)

    def open_sessions(self) -> list[MeetingSession]:
        rows = self._s.scalars(select(RoomSessionRow).where(RoomSessionRow.ended_at.is_(None)))
        return [session_of(row) for row in rows]

    def sessions_started(self, start: datetime, end: datetime) -> list[MeetingSession]:
        rows = self._s.scalars(
            select(RoomSessionRow)
            .where(RoomSessionRow.started_at >= start, RoomSessionRow.started_at < end)
            .order_by(RoomSessionRow.id)
        )
        return [session_of(row) for row in rows]

    def has_session_between(self, room: str, start: datetime, end: datetime) -> bool:
        return bool(
            self._s.scalar(
                select(
                    exists().where(
                        RoomSessionRow.room == room,
                        RoomSessionRow.started_at >= start,
                        RoomSessionRow.started_at < end,
                    )
                )
            )
        )

    def end_session(self, session_id: int, at: datetime, reason: str) -> bool:
        result = self._s.execute(
            update(RoomSessionRow)
            .where(RoomSessionRow.id == session_id, RoomSessionRow.ended_at.is_(None))
            .values(ended_at=at, end_reason=reason)
            .execution_options(synchronize_session="fetch")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def show_page(self, session_id: int, material_id: int, page: int, at: datetime) -> None:
        row = self._s.get(RoomSessionRow, session_id)
        if row is None:
            return
        row.current_material = material_id
        row.current_page = page
        seen = self._s.scalar(
            select(
                exists().where(
                    RoomSharedPageRow.session_id == session_id,
                    RoomSharedPageRow.material_id == material_id,
                    RoomSharedPageRow.page == page,
                )
            )
        )
        if not seen:
            self._s.add(
                RoomSharedPageRow(
                    session_id=session_id, material_id=material_id, page=page, shown_at=at
                )
            )
        self._s.flush()

    def shared_pages(self, session_id: int) -> int:
        return int(
            self._s.scalar(
                select(func.count())
                .select_from(RoomSharedPageRow)
                .where(RoomSharedPageRow.session_id == session_id)
            )
            or 0
        )

    # -- materials ---------------------------------------------------------------------------

    def add_material(
        self,
        session_id: int,
        kind: str,
        filename: str,
        content: bytes,
        pages: int,
        sha256: str,
        at: datetime,
    ) -> Material:
        row = RoomMaterialRow(
            session_id=session_id,
            kind=kind,
            filename=filename,
            size=len(content),
            pages=pages,
            sha256=sha256,
            content=content,
            uploaded_at=at,
        )
        self._s.add(row)
        self._s.flush()
        return Material(row.id, session_id, kind, filename, len(content), pages, sha256, at)

    def materials(self, session_id: int) -> list[Material]:
        rows = self._s.execute(
            select(*MATERIAL_COLUMNS)
            .where(RoomMaterialRow.session_id == session_id)
            .order_by(RoomMaterialRow.kind, RoomMaterialRow.id)
        )
        return [Material(*row) for row in rows]

    def material_content(self, material_id: int) -> tuple[Material, bytes] | None:
        row = self._s.get(RoomMaterialRow, material_id)
        if row is None:
            return None
        material = Material(
            row.id,
            row.session_id,
            row.kind,
            row.filename,
            row.size,
            row.pages,
            row.sha256,
            row.uploaded_at,
        )
        return material, row.content

    def add_open(
        self,
        session_id: int,
        material_id: int | None,
        viewer: str,
        signed_in: bool,
        at: datetime,
    ) -> None:
        self._s.add(
            RoomMaterialOpenRow(
                session_id=session_id,
                material_id=material_id,
                viewer=viewer,
                signed_in=signed_in,
                opened_at=at,
            )
        )

    def opens(self, session_id: int) -> list[MaterialOpen]:
        rows = self._s.scalars(
            select(RoomMaterialOpenRow).where(RoomMaterialOpenRow.session_id == session_id)
        )
        return [MaterialOpen(r.viewer, r.signed_in, r.material_id, r.opened_at) for r in rows]

    # -- pairing -----------------------------------------------------------------------------

    def latest_code(self, room: str) -> PairingCode | None:
        row = self._s.scalar(
            select(RoomPairingCodeRow)
            .where(RoomPairingCodeRow.room == room, RoomPairingCodeRow.revoked.is_(False))
            .order_by(RoomPairingCodeRow.issued_at.desc(), RoomPairingCodeRow.id.desc())
            .limit(1)
        )
        return None if row is None else code_of(row)

    def add_code(
        self,
        room: str,
        code: str,
        issued_at: datetime,
        expires_at: datetime,
        session_id: int | None,
    ) -> PairingCode:
        row = RoomPairingCodeRow(
            room=room,
            code=code,
            issued_at=issued_at,
            expires_at=expires_at,
            session_id=session_id,
            revoked=False,
        )
        self._s.add(row)
        self._s.flush()
        return code_of(row)

    def live_codes(self, code: str, now: datetime) -> list[PairingCode]:
        rows = self._s.scalars(
            select(RoomPairingCodeRow).where(
                RoomPairingCodeRow.code == code,
                RoomPairingCodeRow.revoked.is_(False),
                RoomPairingCodeRow.issued_at <= now,
                RoomPairingCodeRow.expires_at > now,
            )
        )
        return [code_of(row) for row in rows]

    def revoke_codes(self, room: str) -> None:
        self._s.execute(
            update(RoomPairingCodeRow)
            .where(RoomPairingCodeRow.room == room, RoomPairingCodeRow.revoked.is_(False))
            .values(revoked=True)
            .execution_options(synchronize_session=False)
        )

    def add_attempt(self, room: str | None, person: str, at: datetime, ok: bool) -> None:
        self._s.add(RoomPairingAttemptRow(room=room, person=person, at=at, ok=ok))

    def failures(self, *, since: datetime, person: str) -> int:
        query = (
            select(func.count())
            .select_from(RoomPairingAttemptRow)
            .where(
                RoomPairingAttemptRow.ok.is_(False),
                RoomPairingAttemptRow.at >= since,
                RoomPairingAttemptRow.person == person,
            )
        )
        return int(self._s.scalar(query) or 0)

    def first_failure(self, *, since: datetime, person: str) -> datetime | None:
        query = select(func.min(RoomPairingAttemptRow.at)).where(
            RoomPairingAttemptRow.ok.is_(False),
            RoomPairingAttemptRow.at >= since,
            RoomPairingAttemptRow.person == person,
        )
        first: datetime | None = self._s.scalar(query)
        return first

    def forget_attempts(self, before: datetime) -> None:
        self._s.execute(delete(RoomPairingAttemptRow).where(RoomPairingAttemptRow.at < before))
        self._s.execute(delete(RoomPairingCodeRow).where(RoomPairingCodeRow.expires_at < before))

    # -- status ------------------------------------------------------------------------------

    def status(self, room: str) -> RoomStatus | None:
        row = self._s.get(RoomStatusRow, room)
        return None if row is None else status_of(row)

    def statuses(self) -> dict[str, RoomStatus]:
        return {row.room: status_of(row) for row in self._s.scalars(select(RoomStatusRow))}

    def save_status(self, status: RoomStatus, device: str) -> None:
        row = self._s.get(RoomStatusRow, status.room)
        if row is None:
            row = RoomStatusRow(room=status.room)
            self._s.add(row)
        row.device = device
        row.display_connected = status.display_connected
        row.casting = status.casting
        row.cast_changed_at = status.cast_changed_at
        row.occupied = status.occupied
        row.occupancy_changed_at = status.occupancy_changed_at

    def monitor(self, device: str) -> MonitorLiveness | None:
        row = self._s.get(DeviceRow, device)
        return None if row is None else MonitorLiveness(row.status, row.last_seen)

    def link_secret(self) -> str:
        row = self._s.get(RoomSecretRow, 1)
        if row is None:
            raise RuntimeError(
                "the room link secret is missing; SqlRoomStore.ensure_secret runs at start"
            )
        return row.key


class SqlRoomStore:
    """Opens room units of work; commit happens when the `with` block exits cleanly."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def ensure_secret(self) -> None:
        """Make the link-signing key once; replicas starting together keep the first one."""
        try:
            with self._sessions.begin() as session:
                if session.get(RoomSecretRow, 1) is None:
                    session.add(RoomSecretRow(id=1, key=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another replica made it first

    @contextmanager
    def transaction(self) -> Iterator[SqlRoomTransaction]:
        with self._sessions.begin() as session:
            # Pairing and the timed jobs read before they write: take SQLite's write lock up
            # front (see WRITE_INTENT); ignored on PostgreSQL.
            session.connection(execution_options=WRITE_INTENT)
            yield SqlRoomTransaction(session)

    def joined(self, tx: Transaction) -> SqlRoomTransaction:
        if not isinstance(tx, SqlTransaction):
            raise TypeError("room events join only a SqlTransaction")
        # The ingest transaction's own session: room state commits with the event log.
        return SqlRoomTransaction(tx.session)
