"""The SQLAlchemy implementation of the seating ports: holds, desk locks, idempotency keys."""

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from server.adapters.database import write_sessions
from server.adapters.repository import desk_status
from server.adapters.tables import DeskRow, DeskTransitionRow
from server.adapters.tables_people import PersonRow
from server.adapters.tables_seating import IdempotencyKeyRow, SeatHoldRow
from server.domain.occupancy import DeskReason, DeskStatus, DeskTransition
from server.domain.seat_holds import Hold
from server.domain.seat_policy import SatAt
from server.services.seating_ports import ConflictKind, SeatConflict, StoredAnswer


class SqlSeatingTransaction:
    """Seating's unit of work; desk reads and writes go through the shared desk projection."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def lock_desk(self, desk_id: str) -> DeskStatus | None:
        # A write that changes nothing, to take the desk's row lock on PostgreSQL (SQLite's
        # transaction already holds the database's write lock: see WRITE_INTENT).
        self._session.execute(
            update(DeskRow)
            .where(DeskRow.id == desk_id)
            .values(floor=DeskRow.floor)
            .execution_options(synchronize_session=False)
        )
        row = self._session.get(DeskRow, desk_id, populate_existing=True)
        return None if row is None else desk_status(row)

    def save_desk(self, status: DeskStatus) -> None:
        # Only what a seating command changes: the sensor's facts (present, reading, contact)
        # stay as ingest wrote them.
        self._session.execute(
            update(DeskRow)
            .where(DeskRow.id == status.desk)
            .values(
                state=status.state.value,
                since=status.since,
                reason=status.reason,
                holder=status.holder,
                checked_in=status.checked_in,
            )
            .execution_options(synchronize_session=False)
        )

    def record_transition(self, transition: DeskTransition, event_id: str | None) -> None:
        self._session.add(
            DeskTransitionRow(
                desk=transition.desk,
                before=transition.before.state.value,
                after=transition.after.state.value,
                reason=transition.after.reason,
                person=transition.person,
                at=transition.after.since,
                event_id=event_id,
            )
        )

    def hold(self, hold_id: int) -> Hold | None:
        row = self._session.get(SeatHoldRow, hold_id, populate_existing=True)
        return None if row is None else _hold(row)

    def active_hold_of(self, staff_id: str, day: date) -> Hold | None:
        row = self._session.scalars(
            select(SeatHoldRow).where(
                SeatHoldRow.staff_id == staff_id, SeatHoldRow.day == day, SeatHoldRow.active
            )
        ).first()
        return None if row is None else _hold(row)

    def add_hold(self, desk_id: str, staff_id: str, day: date, at: datetime) -> Hold:
        row = SeatHoldRow(desk=desk_id, staff_id=staff_id, day=day, active=True, claimed_at=at)
        self._session.add(row)
        self._flush("desk")
        return _hold(row)

    def mark_checked_in(self, hold_id: int, at: datetime, how: str) -> None:
        row = self._session.get(SeatHoldRow, hold_id)
        if row is not None and row.checked_in_at is None:
            row.checked_in_at = at
            row.check_in_how = how

    def end_hold(self, hold_id: int, at: datetime, reason: DeskReason) -> None:
        row = self._session.get(SeatHoldRow, hold_id)
        if row is not None and row.active:
            row.active = False
            row.released_at = at
            row.release_reason = reason
            self._session.flush()

    def recent_desks(self, staff_id: str, before: date, limit: int) -> list[str]:
        return _recent_desks(self._session, staff_id, before, limit)

    def answer(self, staff_id: str, key: str) -> StoredAnswer | None:
        row = self._session.get(IdempotencyKeyRow, (staff_id, key))
        return None if row is None else StoredAnswer(row.request, int(row.body))

    def remember(self, staff_id: str, key: str, request: str, hold_id: int, at: datetime) -> None:
        self._session.add(
            IdempotencyKeyRow(
                staff_id=staff_id,
                key=key,
                request=request,
                status_code=201,
                body=str(hold_id),
                created_at=at,
            )
        )
        self._flush("key")

    def _flush(self, default: ConflictKind) -> None:
        try:
            self._session.flush()
        except IntegrityError as exc:
            raise SeatConflict(_conflict_kind(str(exc.orig), default)) from None


def _conflict_kind(message: str, default: ConflictKind) -> ConflictKind:
    # PostgreSQL names the index; SQLite names the columns.
    if "uq_seat_holds_desk_active" in message or "seat_holds.desk" in message:
        return "desk"
    if "uq_seat_holds_person_day_active" in message or "seat_holds.staff_id" in message:
        return "person"
    if "idempotency_keys" in message:
        return "key"
    return default


class SqlSeatingStore:
    """Opens seating transactions and answers the sweep's and the reports' queries."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # Every seating transaction writes: on SQLite it takes the write lock as it begins, so
        # concurrent commands queue for it instead of failing after they have read.
        self._writes = write_sessions(engine)
        # SQLite has one writer at a time, and a connection waiting for it sleeps in growing
        # steps (up to 100 ms) before it looks again: seating commands queue on this lock
        # instead, which wakes the next one the moment the last commits.
        self._one_writer = (
            threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    @contextmanager
    def transaction(self) -> Iterator[SqlSeatingTransaction]:
        with self._one_writer, self._writes.begin() as session:
            yield SqlSeatingTransaction(session)

    def due_holds(self, before_day: date, no_show_cutoff: datetime, day: date | None) -> list[Hold]:
        due = or_(
            SeatHoldRow.day < before_day,
            and_(SeatHoldRow.checked_in_at.is_(None), SeatHoldRow.claimed_at <= no_show_cutoff),
        )
        if day is not None:
            due = or_(due, SeatHoldRow.day == day)
        with self._sessions() as session:
            rows = session.scalars(
                select(SeatHoldRow).where(SeatHoldRow.active, due).order_by(SeatHoldRow.id)
            )
            return [_hold(row) for row in rows]

    def sensed_arrivals(self) -> list[Hold]:
        with self._sessions() as session:
            rows = session.scalars(
                select(SeatHoldRow)
                .join(DeskRow, DeskRow.id == SeatHoldRow.desk)
                .where(
                    SeatHoldRow.active,
                    SeatHoldRow.checked_in_at.is_(None),
                    DeskRow.holder == SeatHoldRow.staff_id,
                    DeskRow.checked_in,
                )
            )
            return [_hold(row) for row in rows]

    def long_away(self, cutoff: datetime) -> list[Hold]:
        with self._sessions() as session:
            rows = session.scalars(
                select(SeatHoldRow)
                .join(DeskRow, DeskRow.id == SeatHoldRow.desk)
                .where(
                    SeatHoldRow.active,
                    DeskRow.holder == SeatHoldRow.staff_id,
                    DeskRow.state == "away",
                    DeskRow.since <= cutoff,
                )
                .order_by(SeatHoldRow.id)
            )
            return [_hold(row) for row in rows]

    def desk(self, desk_id: str) -> DeskStatus | None:
        with self._sessions() as session:
            row = session.get(DeskRow, desk_id)
            return None if row is None else desk_status(row)

    def checked_in_days(self, since: date) -> list[SatAt]:
        with self._sessions() as session:
            rows = session.execute(
                select(
                    SeatHoldRow.staff_id, SeatHoldRow.day, SeatHoldRow.desk, PersonRow.department
                )
                .outerjoin(PersonRow, PersonRow.staff_id == SeatHoldRow.staff_id)
                .where(SeatHoldRow.day >= since, SeatHoldRow.checked_in_at.is_not(None))
                .order_by(SeatHoldRow.claimed_at)
            )
            return [SatAt(dept, staff, day, desk) for staff, day, desk, dept in rows]

    def recent_desks(self, staff_id: str, before: date, limit: int) -> list[str]:
        with self._sessions() as session:
            return _recent_desks(session, staff_id, before, limit)

    def everyones_recent_desks(self, before: date, limit: int) -> dict[str, list[str]]:
        # A streak longer than `limit` needs no more days to be refused, and people work most
        # days: a window of a few weeks holds everyone's last `limit` working days.
        since = before - timedelta(days=max(28, limit * 7))
        with self._sessions() as session:
            rows = session.execute(
                select(SeatHoldRow.staff_id, SeatHoldRow.day, SeatHoldRow.desk)
                .where(
                    SeatHoldRow.day < before,
                    SeatHoldRow.day >= since,
                    SeatHoldRow.checked_in_at.is_not(None),
                )
                .order_by(
                    SeatHoldRow.staff_id, SeatHoldRow.day.desc(), SeatHoldRow.claimed_at.desc()
                )
            )
            out: dict[str, list[str]] = {}
            last_day: dict[str, date] = {}
            for staff_id, day, desk in rows:
                desks = out.setdefault(staff_id, [])
                if last_day.get(staff_id) == day or len(desks) >= limit:
                    continue  # one desk per working day: the day's latest check-in
                last_day[staff_id] = day
                desks.append(desk)
            return out

    def active_hold_of(self, staff_id: str, day: date) -> Hold | None:
        with self._sessions() as session:
            row = session.scalars(
                select(SeatHoldRow).where(
                    SeatHoldRow.staff_id == staff_id, SeatHoldRow.day == day, SeatHoldRow.active
                )
            ).first()
            return None if row is None else _hold(row)

    def forget_answers(self, before: datetime) -> int:
        with self._one_writer, self._writes.begin() as session:
            result = session.execute(
                delete(IdempotencyKeyRow).where(IdempotencyKeyRow.created_at < before)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]


def _recent_desks(session: Session, staff_id: str, before: date, limit: int) -> list[str]:
    rows = session.execute(
        select(SeatHoldRow.day, SeatHoldRow.desk)
        .where(
            SeatHoldRow.staff_id == staff_id,
            SeatHoldRow.day < before,
            SeatHoldRow.checked_in_at.is_not(None),
        )
        .order_by(SeatHoldRow.day.desc(), SeatHoldRow.claimed_at.desc())
        .limit(limit * 4)
    )
    by_day: dict[date, str] = {}
    for day, desk in rows:
        by_day.setdefault(day, desk)  # the latest check-in of each day
    return list(by_day.values())[:limit]


def _hold(row: SeatHoldRow) -> Hold:
    return Hold(
        id=row.id,
        desk=row.desk,
        staff_id=row.staff_id,
        day=row.day,
        claimed_at=row.claimed_at,
        checked_in_at=row.checked_in_at,
        check_in_how=row.check_in_how,
        released_at=row.released_at,
        release_reason=None if row.release_reason is None else DeskReason(row.release_reason),
    )
