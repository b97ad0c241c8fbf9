"""Retention (issue 16, point 4): the ticker forgets people and bulk after each purpose's limit.

Old and recent rows of every purpose go into a real database; the server's own background
job, on an injected clock, must remove exactly the old ones.
"""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from server.adapters.database import upgrade
from server.adapters.tables import DeskTransitionRow, QuarantineRow
from server.adapters.tables_rooms import RoomMaterialRow, RoomSessionRow
from server.adapters.tables_seating import SeatHoldRow
from server.adapters.tables_wifi import WifiLocationLookupRow
from server.api.app import create_app
from server.settings import Settings
from tests.fakes import FakeClock
from tests.support import ServerThread, small_site, wait_until

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=40)  # past a 30-day limit
RECENT = NOW - timedelta(days=5)


def _rows(at: datetime, tag: str) -> list[object]:
    session = RoomSessionRow(
        room="room-f1-1",
        host="s1",
        started_at=at - timedelta(hours=1),
        ended_at=at,
        token=f"token-{tag}",
    )
    return [
        DeskTransitionRow(
            desk="desk-f1-a-01-01", before="free", after="held", reason="held", person="s1", at=at
        ),
        SeatHoldRow(
            desk="desk-f1-a-01-01",
            staff_id="s1",
            day=at.date(),
            active=False,
            claimed_at=at,
            released_at=at,
            release_reason="no_show",
        ),
        QuarantineRow(topic="t", payload=b"x", reason="malformed", received_at=at),
        session,
    ]


def test_the_ticker_forgets_old_people_materials_and_quarantine(database_url: str) -> None:
    upgrade(database_url)
    engine = create_engine(database_url)
    with Session(engine) as db, db.begin():
        for at, tag in ((OLD, "old"), (RECENT, "recent")):
            rows = _rows(at, tag)
            db.add_all(rows)
            db.flush()
            session_id = rows[-1].id  # type: ignore[attr-defined]
            db.add(
                RoomMaterialRow(
                    session_id=session_id,
                    kind="agenda",
                    filename=f"{tag}.pdf",
                    size=3,
                    pages=1,
                    sha256="0" * 64,
                    content=b"pdf",
                    uploaded_at=at,
                )
            )
        # The active hold of today is never touched, whatever its age says.
        db.add(
            SeatHoldRow(
                desk="desk-f1-a-01-02",
                staff_id="s2",
                day=date(2027, 3, 1),
                active=True,
                claimed_at=NOW,
            )
        )
    settings = Settings(
        database_url=database_url,
        enable_mqtt=False,
        sweep_interval_s=0.05,
        retention_days={"desk_history": 30, "materials": 30, "quarantine": 30},
    )
    clock = FakeClock(NOW)
    with ServerThread(create_app(settings, clock=clock, site=small_site())):

        def purged() -> bool:
            with Session(engine) as db:
                return (
                    db.scalar(select(QuarantineRow.id).where(QuarantineRow.received_at == OLD))
                    is None
                )

        wait_until(purged, 30, "the retention job")
    with Session(engine) as db:
        people = dict(db.execute(select(DeskTransitionRow.at, DeskTransitionRow.person)).all())
        assert people == {OLD: None, RECENT: "s1"}, "old history keeps the kind, not the person"
        assert (
            db.scalar(select(DeskTransitionRow.reason).where(DeskTransitionRow.at == OLD)) == "held"
        )
        holds = db.execute(select(SeatHoldRow.staff_id, SeatHoldRow.released_at)).all()
        assert sorted(holds, key=str) == sorted([("s1", RECENT), ("s2", None)], key=str)
        contents = dict(db.execute(select(RoomMaterialRow.filename, RoomMaterialRow.content)).all())
        assert {name: bytes(body) for name, body in contents.items()} == {
            "old.pdf": b"",
            "recent.pdf": b"pdf",
        }
        assert db.scalars(select(QuarantineRow.received_at)).all() == [RECENT]
    engine.dispose()


def test_a_purpose_the_server_does_not_know_is_refused_at_start() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="unknown purpose 'lookups'"):
        Settings(retention_days={"lookups": 30})
    # The lookup log is Wi-Fi presence's: its own setting names it.
    assert "wifi_location_lookups" in Settings().wifi.to_settings().retention
    assert WifiLocationLookupRow.__tablename__ == "wifi_location_lookups"
