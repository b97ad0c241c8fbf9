"""The SQLAlchemy implementation of the Store and Transaction ports."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Engine, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from server.adapters.tables import DeskRow, DeskTransitionRow, DeviceRow, EventRow, QuarantineRow
from server.domain.occupancy import DeskState, DeskStatus, Transition
from server.domain.sequencing import Position, Reading
from server.services.ports import DeviceRecord, EventRecord


class SqlTransaction:
    """A unit of work on one SQLAlchemy session."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._insert = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )

    def add_event(self, event: EventRecord) -> bool:
        statement = (
            self._insert(EventRow)
            .values(
                event_id=event.event_id,
                device=event.device,
                epoch=event.epoch,
                seq=event.seq,
                type=event.type,
                payload=event.payload,
                at=event.at,
                received_at=event.received_at,
                applied=event.applied,
            )
            .on_conflict_do_nothing(index_elements=["event_id"])
            # RETURNING, not rowcount: the ORM's insert reports no usable rowcount on PostgreSQL.
            .returning(EventRow.id)
        )
        return self._session.execute(statement).first() is not None

    def device(self, device_id: str) -> DeviceRecord | None:
        row = self._session.get(DeviceRow, device_id)
        return None if row is None else _device(row)

    def devices(self) -> list[DeviceRecord]:
        return [_device(row) for row in self._session.scalars(select(DeviceRow))]

    def save_device(self, record: DeviceRecord) -> None:
        row = self._session.get(DeviceRow, record.id)
        if row is None:
            row = DeviceRow(id=record.id)
            self._session.add(row)
        row.kind = record.kind
        row.epoch = record.epoch
        row.seq = record.seq
        row.status = record.status
        row.status_epoch = record.status_epoch
        row.last_seen = record.last_seen
        row.version = record.version
        row.battery = record.battery
        row.rssi = record.rssi

    def desk(self, desk_id: str) -> DeskStatus | None:
        row = self._session.get(DeskRow, desk_id)
        return None if row is None else desk_status(row)

    def save_desk(self, status: DeskStatus) -> None:
        row = self._session.get(DeskRow, status.desk)
        if row is None:
            row = DeskRow(id=status.desk)
            self._session.add(row)
        row.floor = status.floor
        row.state = status.state.value
        row.since = status.since
        row.reason = status.reason
        row.present = status.present
        reading = status.reading
        row.reading_device = reading.device if reading else None
        row.reading_epoch = reading.position.epoch if reading else None
        row.reading_seq = reading.position.seq if reading else None
        row.contact = status.contact
        row.holder = status.holder
        row.checked_in = status.checked_in
        row.blocked = status.blocked

    def record_transition(self, transition: Transition, event_id: str | None) -> None:
        self._session.add(
            DeskTransitionRow(
                desk=transition.desk,
                before=transition.before.state.value,
                after=transition.after.state.value,
                reason=transition.after.reason,
                at=transition.after.since,
                event_id=event_id,
            )
        )

    def quarantine(self, topic: str, payload: bytes, reason: str, received_at: datetime) -> None:
        self._session.add(
            QuarantineRow(
                topic=topic, payload=bytes(payload), reason=reason, received_at=received_at
            )
        )


class SqlStore:
    """Opens SqlTransactions; commit happens when the `with` block exits without error."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        with self._sessions.begin() as session:
            yield SqlTransaction(session)

    def log_page(self, after_id: int, limit: int) -> list[tuple[int, EventRecord]]:
        """Up to `limit` event-log rows after `after_id`, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(EventRow).where(EventRow.id > after_id).order_by(EventRow.id).limit(limit)
            )
            return [
                (
                    row.id,
                    EventRecord(
                        event_id=row.event_id,
                        device=row.device,
                        epoch=row.epoch,
                        seq=row.seq,
                        type=row.type,
                        payload=row.payload,
                        at=row.at,
                        received_at=row.received_at,
                        applied=row.applied,
                    ),
                )
                for row in rows
            ]

    def replace_desks(self, statuses: list[DeskStatus]) -> None:
        """Overwrite the live desk projection with `statuses` in one transaction."""
        with self.transaction() as tx:
            for status in statuses:
                tx.save_desk(status)

    def all_desks(self) -> list[DeskStatus]:
        """Every desk's live state, for loading the live feed at start."""
        with self._sessions() as session:
            return [desk_status(row) for row in session.scalars(select(DeskRow))]

    def seed_desks(self, desks: dict[str, str], now: datetime) -> int:
        """Insert desks of the site file that the database does not know yet, as unknown."""
        with self._sessions.begin() as session:
            known = set(session.scalars(select(DeskRow.id)))
            missing = [
                {
                    "id": desk,
                    "floor": floor,
                    "state": DeskState.UNKNOWN.value,
                    "since": now,
                    "reason": "no sensor report yet",
                    "present": None,
                    "contact": False,
                    "checked_in": False,
                }
                for desk, floor in desks.items()
                if desk not in known
            ]
            if missing:
                session.execute(insert(DeskRow), missing)
            return len(missing)


def desk_status(row: DeskRow) -> DeskStatus:
    reading = None
    if row.reading_device is not None:
        position = Position(row.reading_epoch or 0, row.reading_seq or 0)
        reading = Reading(row.reading_device, position)
    return DeskStatus(
        desk=row.id,
        floor=row.floor,
        state=DeskState(row.state),
        since=row.since,
        reason=row.reason,
        present=row.present,
        reading=reading,
        contact=row.contact,
        holder=row.holder,
        checked_in=row.checked_in,
        blocked=row.blocked,
    )


def _device(row: DeviceRow) -> DeviceRecord:
    return DeviceRecord(
        id=row.id,
        kind=row.kind,
        epoch=row.epoch,
        seq=row.seq,
        status=row.status,
        status_epoch=row.status_epoch,
        last_seen=row.last_seen,
        version=row.version,
        battery=row.battery,
        rssi=row.rssi,
    )
