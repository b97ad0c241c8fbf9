"""The SQLAlchemy implementation of the Store and Transaction ports."""

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.expression import ClauseElement

from server.adapters.bulk_write import executemany
from server.adapters.database import WRITE_INTENT
from server.adapters.tables import (
    QUARANTINE_KEPT_BYTES,
    Base,
    DeskRow,
    DeskTransitionRow,
    DeviceRow,
    EventRow,
    QuarantineRow,
)
from server.adapters.tables_provisioning import DeviceRevocationRow
from server.domain.occupancy import DeskReason, DeskState, DeskStatus, DeskTransition
from server.domain.sequencing import Position, ReadingOrigin
from server.services.ports import DeviceRecord, EventRecord


class SqlTransaction:
    """A unit of work on one SQLAlchemy session, written as a few bulk statements.

    Ingest applies hundreds of messages per transaction; a round trip (and an ORM flush) per
    desk, device and event made it two orders of magnitude slower than the broker. So reads
    go through a per-transaction working set that `preload` fills with one query per table,
    and writes are kept and sent as bulk statements by `flush`, just before the commit. On
    PostgreSQL the preloaded desk and device rows are locked (FOR UPDATE, in id order), so
    replicas that share a device's stream apply its events one transaction after the other.
    Every writer locks desks before devices, each in id order, so none waits on another in a
    cycle; a read that finds a row not yet preloaded locks it then, which is why callers
    preload everything they may change.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._postgres = session.get_bind().dialect.name == "postgresql"
        # None: looked up, not in the database. Absent: not looked up yet.
        self._desks: dict[str, DeskStatus | None] = {}
        self._devices: dict[str, DeviceRecord | None] = {}
        self._stored_desks: set[str] = set()
        self._stored_devices: set[str] = set()
        self._dirty_desks: dict[str, DeskStatus] = {}
        self._dirty_devices: dict[str, DeviceRecord] = {}
        # Event ids logged (before, or in this transaction), with the payload logged under each.
        self._logged: dict[str, str] = {}
        self._checked_event_ids: set[str] = set()
        self._events: list[dict[str, object]] = []
        self._transitions: list[dict[str, object]] = []
        self._quarantined: list[dict[str, object]] = []
        self._revoked: frozenset[str] | None = None

    @property
    def session(self) -> Session:
        """For stores whose writes must commit or roll back with this transaction (room and
        Wi-Fi state folded from the events it logs)."""
        return self._session

    def preload(
        self,
        *,
        desks: Iterable[str] = (),
        devices: Iterable[str] = (),
        event_ids: Iterable[str] = (),
    ) -> None:
        """Read (and on PostgreSQL lock) these rows with one query per table."""
        self._load_desks(sorted(set(desks) - self._desks.keys()))
        self._load_devices(sorted(set(devices) - self._devices.keys()))
        # After the locks: a replica that waited for them now sees the other's events.
        wanted = sorted(set(event_ids) - self._checked_event_ids)
        for chunk in _chunks(wanted):
            query = select(EventRow.event_id, EventRow.payload).where(EventRow.event_id.in_(chunk))
            for event_id, payload in self._session.execute(query):
                self._logged[event_id] = payload
        self._checked_event_ids.update(wanted)

    def _load_desks(self, ids: list[str]) -> None:
        for chunk in _chunks(ids):
            # Core rows, not ORM objects: nothing to track, since writes go through flush.
            table = _table(DeskRow)
            query = select(table).where(table.c.id.in_(chunk)).order_by(table.c.id)
            if self._postgres:
                query = query.with_for_update()
            for row in self._session.execute(query):
                self._desks[row.id] = desk_status(row)
                self._stored_desks.add(row.id)
            for desk_id in chunk:
                self._desks.setdefault(desk_id, None)

    def _load_devices(self, ids: list[str]) -> None:
        for chunk in _chunks(ids):
            table = _table(DeviceRow)
            query = select(table).where(table.c.id.in_(chunk)).order_by(table.c.id)
            if self._postgres:
                query = query.with_for_update()
            for row in self._session.execute(query):
                self._devices[row.id] = _device(row)
                self._stored_devices.add(row.id)
            for device_id in chunk:
                self._devices.setdefault(device_id, None)

    def add_event(self, event: EventRecord) -> bool:
        if event.event_id not in self._checked_event_ids:
            self.preload(event_ids=[event.event_id])
        if event.event_id in self._logged:
            return False
        self._logged[event.event_id] = event.payload
        self._events.append(
            {
                "event_id": event.event_id,
                "device": event.device,
                "epoch": event.epoch,
                "seq": event.seq,
                "type": event.type,
                "payload": event.payload,
                "at": event.at,
                "received_at": event.received_at,
                "applied": event.applied,
            }
        )
        return True

    def logged_payload(self, event_id: str) -> str | None:
        if event_id not in self._checked_event_ids:
            self.preload(event_ids=[event_id])
        return self._logged.get(event_id)

    def device(self, device_id: str) -> DeviceRecord | None:
        if device_id not in self._devices:
            self._load_devices([device_id])
        return self._devices[device_id]

    def devices(self) -> list[DeviceRecord]:
        # Unlocked and kept out of the working set: locking every device here (as this once
        # did) took devices before desks, the reverse of a batch, and deadlocked the sweep
        # against ingest on PostgreSQL. What a caller will change it locks with preload.
        table = _table(DeviceRow)
        return [
            self._devices.get(row.id) or _device(row)
            for row in self._session.execute(select(table).order_by(table.c.id))
        ]

    def save_device(self, record: DeviceRecord) -> None:
        self._devices[record.id] = record
        self._dirty_devices[record.id] = record

    def desk(self, desk_id: str) -> DeskStatus | None:
        if desk_id not in self._desks:
            self._load_desks([desk_id])
        return self._desks[desk_id]

    def save_desk(self, status: DeskStatus) -> None:
        self._desks[status.desk] = status
        self._dirty_desks[status.desk] = status

    def record_transition(self, transition: DeskTransition, event_id: str | None) -> None:
        self._transitions.append(
            {
                "desk": transition.desk,
                "before": transition.before.state.value,
                "after": transition.after.state.value,
                "reason": transition.after.reason,
                "person": transition.person,
                "at": transition.after.since,
                "event_id": event_id,
            }
        )

    def quarantine(self, topic: str, payload: bytes, reason: str, received_at: datetime) -> None:
        self._quarantined.append(
            {
                "topic": topic[:QUARANTINE_KEPT_BYTES],
                "payload": bytes(payload[:QUARANTINE_KEPT_BYTES]),
                "payload_size": len(payload),
                "payload_sha256": hashlib.sha256(payload).hexdigest(),
                "reason": reason[:QUARANTINE_KEPT_BYTES],
                "received_at": received_at,
            }
        )

    def revoked_devices(self) -> frozenset[str]:
        # Read once per transaction: every replica and the ingest worker see a revocation at
        # their next batch, with no cache to invalidate.
        if self._revoked is None:
            self._revoked = frozenset(self._session.scalars(select(DeviceRevocationRow.device)))
        return self._revoked

    def flush(self) -> None:
        """Send every kept write as bulk statements; the caller then commits."""
        session = self._session
        # Another replica may have logged one of these since preload: keep its row.
        executemany(session, "log events", _insert_events, self._events)
        _upsert(
            session, DeviceRow, self._stored_devices, map(_device_row, self._dirty_devices.values())
        )
        _upsert(session, DeskRow, self._stored_desks, map(_desk_row, self._dirty_desks.values()))
        executemany(
            session,
            "record transitions",
            lambda _: _table(DeskTransitionRow).insert(),
            self._transitions,
        )
        if self._quarantined:
            session.execute(_table(QuarantineRow).insert(), self._quarantined)
        self._stored_devices.update(self._dirty_devices)
        self._stored_desks.update(self._dirty_desks)
        for pending in (self._events, self._transitions, self._quarantined):
            pending.clear()
        self._dirty_devices.clear()
        self._dirty_desks.clear()


class SqlStore:
    """Opens SqlTransactions; commit happens when the `with` block exits without error."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        with self._sessions.begin() as session:
            session.connection(execution_options=WRITE_INTENT)
            tx = SqlTransaction(session)
            yield tx
            tx.flush()

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
                    "reason": DeskReason.NO_REPORT,
                    "present": None,
                    "contact": False,
                    "checked_in": False,
                }
                for desk, floor in desks.items()
                if desk not in known
            ]
            if missing:
                # Replicas starting together seed the same desks: the first one wins.
                dialect_insert = (
                    postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
                )
                session.execute(dialect_insert(DeskRow).on_conflict_do_nothing(), missing)
            return len(missing)


def _insert_events(dialect: Dialect) -> ClauseElement:
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    return insert(_table(EventRow)).on_conflict_do_nothing(index_elements=["event_id"])


# Well under SQLite's limit on bound parameters per statement.
CHUNK = 500


def _table(model: type[Base]) -> Table:
    """The Core table of a mapped class (bulk statements skip the ORM's per-row work)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _upsert(
    session: Session,
    model: type[DeskRow] | type[DeviceRow],
    stored: set[str],
    rows: Iterable[dict[str, Any]],
) -> None:
    """Update the rows the database has, insert the others: one executemany each."""
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    for row in rows:
        (updates if row["id"] in stored else inserts).append(row)
    table = _table(model)
    # Rows saved without being read first (replace_desks) may exist all the same.
    unread = [row["id"] for row in inserts]
    existing: set[str] = set()
    for chunk in _chunks(unread):
        existing.update(session.scalars(select(table.c.id).where(table.c.id.in_(chunk))))
    if existing:
        updates += [row for row in inserts if row["id"] in existing]
        inserts = [row for row in inserts if row["id"] not in existing]
    # Core, not the ORM: the SET clause comes from the parameter keys, in one executemany.
    executemany(
        session,
        f"update {table.name}",
        lambda _: table.update().where(table.c.id == bindparam("row_id")),
        [{**row, "row_id": row["id"]} for row in updates],
    )
    executemany(session, f"insert {table.name}", lambda _: table.insert(), inserts)


def _desk_row(status: DeskStatus) -> dict[str, Any]:
    reading = status.reading
    return {
        "id": status.desk,
        "floor": status.floor,
        "state": status.state.value,
        "since": status.since,
        "reason": status.reason,
        "present": status.present,
        "reading_device": reading.device if reading else None,
        "reading_epoch": reading.position.epoch if reading else None,
        "reading_seq": reading.position.seq if reading else None,
        "contact": status.contact,
        "holder": status.holder,
        "checked_in": status.checked_in,
        "blocked": status.blocked,
    }


def _device_row(record: DeviceRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "kind": record.kind,
        "epoch": record.epoch,
        "seq": record.seq,
        "status": record.status,
        "status_epoch": record.status_epoch,
        "last_seen": record.last_seen,
        "version": record.version,
        "battery": record.battery,
        "rssi": record.rssi,
        "clock_skewed": record.clock_skewed,
        "clock_skew_s": record.clock_skew_s,
    }


def desk_status(row: DeskRow | Row[Any]) -> DeskStatus:
    reading = None
    if row.reading_device is not None:
        position = Position(row.reading_epoch or 0, row.reading_seq or 0)
        reading = ReadingOrigin(row.reading_device, position)
    return DeskStatus(
        desk=row.id,
        floor=row.floor,
        state=DeskState(row.state),
        since=row.since,
        reason=DeskReason(row.reason),
        present=row.present,
        reading=reading,
        contact=row.contact,
        holder=row.holder,
        checked_in=row.checked_in,
        blocked=row.blocked,
    )


def _device(row: DeviceRow | Row[Any]) -> DeviceRecord:
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
        clock_skewed=row.clock_skewed or 0,
        clock_skew_s=row.clock_skew_s,
    )
