"""Bulk writes store exactly what SQLAlchemy's own executemany stores, on both backends."""

from datetime import UTC, datetime, timedelta, timezone
from typing import cast

from sqlalchemy import Table, select, text
from sqlalchemy.orm import Session

from server.adapters.bulk_write import executemany
from server.adapters.database import make_engine, upgrade
from server.adapters.tables import EventRow

TOKYO = timezone(timedelta(hours=9))


def row(event_id: str, at: datetime, applied: bool) -> dict[str, object]:
    return {
        "event_id": event_id,
        "device": "gw-f1-a",
        "epoch": 1,
        "seq": int(event_id[-1]),
        "type": "desk.presence_changed",
        "payload": "{}",
        "at": at,
        "received_at": at + timedelta(microseconds=1),
        "applied": applied,
    }


def test_bulk_rows_are_stored_as_sqlalchemy_stores_them(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    table = cast(Table, EventRow.__table__)
    # A Tokyo time, and the same instant again: the remembered conversion must not differ.
    at = datetime(2026, 11, 30, 9, 0, 0, 120, tzinfo=TOKYO)
    try:
        with Session(engine) as session, session.begin():
            executemany(
                session,
                "test insert",
                lambda _: table.insert(),
                [row("e1", at, True), row("e2", at.astimezone(UTC), False)],
            )
            session.execute(table.insert(), [row("e3", at, True), row("e4", at, False)])
        with engine.connect() as conn:
            stored = conn.execute(
                text("SELECT event_id, at, received_at, applied FROM event_log ORDER BY event_id")
            ).all()
        assert [tuple(r[1:]) for r in stored[:2]] == [tuple(r[1:]) for r in stored[2:]]
        with Session(engine) as session:
            read = session.scalars(select(EventRow).order_by(EventRow.event_id)).all()
        assert {r.at for r in read} == {datetime(2026, 11, 30, 0, 0, 0, 120, tzinfo=UTC)}
        assert [r.applied for r in read] == [True, False, True, False]
    finally:
        engine.dispose()
