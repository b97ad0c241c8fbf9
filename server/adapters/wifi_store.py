"""The SQLAlchemy implementation of WifiStore."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from server.adapters.database import write_sessions
from server.adapters.repository import SqlTransaction
from server.adapters.tables import EventRow
from server.adapters.tables_wifi import (
    WifiApCountRow,
    WifiFloorSampleRow,
    WifiLocationLookupRow,
    WifiLocationShareRow,
    WifiZoneSampleRow,
)
from server.services.ports import Transaction
from server.services.wifi_presence import Lookup, Sample, Share, StoredCount

AP_EVENT_TYPE = "ap.stations_counted"


class SqlWifiStore:
    """Wi-Fi presence rows; counts are written inside the ingest transaction."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # Shares are read, then written, by many people at once (8 at a time were enough for
        # "database is locked" with deferred transactions on SQLite).
        self._writes = write_sessions(engine)

    def save_count(self, tx: Transaction, count: StoredCount) -> bool:
        # The ingest transaction's own session: the count commits (and is acked) with the
        # event that carried it, or not at all.
        session: Session = cast(SqlTransaction, tx).session
        row = session.get(WifiApCountRow, count.access_point)
        if row is not None and (row.epoch, row.seq) >= (count.epoch, count.seq):
            return False
        if row is None:
            row = WifiApCountRow(access_point=count.access_point)
            session.add(row)
        row.device = count.device
        row.epoch = count.epoch
        row.seq = count.seq
        row.stations = count.stations
        row.randomised = count.randomised
        row.at = count.at
        return True

    def counts(self) -> list[StoredCount]:
        with self._sessions() as session:
            return [
                StoredCount(
                    r.access_point, r.device, r.epoch, r.seq, r.stations, r.randomised, r.at
                )
                for r in session.scalars(select(WifiApCountRow))
            ]

    def add_samples(
        self, at: datetime, zones: Mapping[str, tuple[str, float]], floors: Mapping[str, float]
    ) -> None:
        with self._writes.begin() as session:
            session.add_all(
                WifiZoneSampleRow(at=at, floor=floor, zone=zone, people=people)
                for zone, (floor, people) in zones.items()
            )
            session.add_all(
                WifiFloorSampleRow(at=at, floor=floor, people=people)
                for floor, people in floors.items()
            )

    def floor_samples(self, floor: str, since: datetime, until: datetime) -> list[Sample]:
        with self._sessions() as session:
            rows = session.scalars(
                select(WifiFloorSampleRow)
                .where(
                    WifiFloorSampleRow.floor == floor,
                    WifiFloorSampleRow.at >= since,
                    WifiFloorSampleRow.at < until,
                )
                .order_by(WifiFloorSampleRow.at)
            )
            return [Sample(r.at, r.people) for r in rows]

    def zone_samples(
        self, floor: str, since: datetime, until: datetime
    ) -> list[tuple[str, Sample]]:
        with self._sessions() as session:
            rows = session.scalars(
                select(WifiZoneSampleRow)
                .where(
                    WifiZoneSampleRow.floor == floor,
                    WifiZoneSampleRow.at >= since,
                    WifiZoneSampleRow.at < until,
                )
                .order_by(WifiZoneSampleRow.at)
            )
            return [(r.zone, Sample(r.at, r.people)) for r in rows]

    def share(self, person: str) -> Share | None:
        with self._sessions() as session:
            row = session.get(WifiLocationShareRow, person)
            if row is None:
                return None
            return Share(
                person=row.person,
                started_at=row.started_at,
                expires_at=row.expires_at,
                access_point=row.access_point,
                floor=row.floor,
                zone=row.zone,
                reported_at=row.reported_at,
            )

    def save_share(self, share: Share) -> None:
        with self._writes.begin() as session:
            row = session.get(WifiLocationShareRow, share.person)
            if row is None:
                row = WifiLocationShareRow(person=share.person)
                session.add(row)
            row.started_at = share.started_at
            row.expires_at = share.expires_at
            row.access_point = share.access_point
            row.floor = share.floor
            row.zone = share.zone
            row.reported_at = share.reported_at

    def delete_share(self, person: str) -> bool:
        with self._writes.begin() as session:
            row = session.get(WifiLocationShareRow, person)
            if row is None:
                return False
            session.delete(row)
            return True

    def add_lookup(self, lookup: Lookup) -> None:
        with self._writes.begin() as session:
            session.add(
                WifiLocationLookupRow(
                    at=lookup.at,
                    subject=lookup.subject,
                    viewer=lookup.viewer,
                    outcome=lookup.outcome,
                    detail=lookup.detail,
                )
            )

    def lookups(self, subject: str, since: datetime) -> list[Lookup]:
        with self._sessions() as session:
            rows = session.scalars(
                select(WifiLocationLookupRow)
                .where(WifiLocationLookupRow.subject == subject, WifiLocationLookupRow.at >= since)
                .order_by(WifiLocationLookupRow.at.desc(), WifiLocationLookupRow.id.desc())
            )
            return [Lookup(r.at, r.subject, r.viewer, cast(Any, r.outcome), r.detail) for r in rows]

    def purge(self, table: str, before: datetime) -> int:
        statement: Any
        if table == "wifi_ap_counts":
            statement = delete(WifiApCountRow).where(WifiApCountRow.at < before)
        elif table == "wifi_zone_samples":
            statement = delete(WifiZoneSampleRow).where(WifiZoneSampleRow.at < before)
        elif table == "wifi_floor_samples":
            statement = delete(WifiFloorSampleRow).where(WifiFloorSampleRow.at < before)
        elif table == "wifi_location_shares":
            statement = delete(WifiLocationShareRow).where(WifiLocationShareRow.expires_at < before)
        elif table == "wifi_location_lookups":
            statement = delete(WifiLocationLookupRow).where(WifiLocationLookupRow.at < before)
        elif table == "ap_event_log":
            statement = delete(EventRow).where(
                EventRow.type == AP_EVENT_TYPE, EventRow.received_at < before
            )
        else:
            raise ValueError(f"no retention rule for table {table!r}")
        with self._writes.begin() as session:
            result = session.execute(statement)
            return int(cast(Any, result).rowcount or 0)
