"""Migration 0102_privacy on a database written before reason kinds: no name survives in a reason.

Rows as the server wrote them before (free text naming people, a 20 KB quarantined payload)
are upgraded; reasons become kinds, people move to `desk_transitions.person`, and the old
quarantine row keeps its head, size and hash.
"""

import hashlib
from datetime import UTC, date, datetime

from sqlalchemy import create_engine, text

from server.adapters.database import upgrade

AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
OLD_TRANSITIONS = [
    ("free", "held", "held for s00002"),
    ("held", "away", "s00002 checked in by qr"),
    ("held", "free", "no-show: s00003 did not check in within 30 min"),
    ("away", "free", "released by hand by s00004"),
    ("away", "free", "end of day: desks are released at 20:00 JST"),
    ("unknown", "occupied", "mmwave: presence detected"),
    ("occupied", "away", "pir: the holder stepped away"),
    ("occupied", "free", "mmwave: nobody present"),
    ("free", "unknown", "sensor silent for over 1800 s"),
    ("free", "unknown", "sensor offline (device went away)"),
    ("free", "held", "something nobody foresaw"),
]


def test_old_reasons_become_kinds_and_their_people_move_apart(database_url: str) -> None:
    upgrade(database_url, "0101_seating")
    engine = create_engine(database_url)
    big = b"x" * 20_000
    with engine.begin() as conn:
        for n, (before, after, reason) in enumerate(OLD_TRANSITIONS):
            conn.execute(
                text(
                    'INSERT INTO desk_transitions (desk, before, "after", reason, at)'
                    " VALUES (:desk, :before, :after, :reason, :at)"
                ),
                {"desk": f"d{n}", "before": before, "after": after, "reason": reason, "at": AT},
            )
        conn.execute(
            text(
                "INSERT INTO desks (id, floor, state, since, reason, contact, checked_in, holder)"
                " VALUES ('d0', 'f1', 'held', :at, 'held for s00002', true, false, 's00002')"
            ),
            {"at": AT},
        )
        conn.execute(
            text(
                "INSERT INTO seat_holds (desk, staff_id, day, active, claimed_at, released_at,"
                " release_reason) VALUES ('d2', 's00003', :day, false, :at, :at,"
                " 'no-show: s00003 did not check in within 30 min')"
            ),
            {"day": date(2026, 11, 30), "at": AT},
        )
        conn.execute(
            text(
                "INSERT INTO quarantine (topic, payload, reason, received_at)"
                " VALUES ('t', :payload, 'oversized', :at)"
            ),
            {"payload": big, "at": AT},
        )
    upgrade(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT reason, person FROM desk_transitions ORDER BY id")).all()
        desk = conn.execute(text("SELECT reason FROM desks")).scalar_one()
        hold = conn.execute(text("SELECT release_reason FROM seat_holds")).scalar_one()
        quarantined = conn.execute(
            text("SELECT payload, payload_size, payload_sha256 FROM quarantine")
        ).one()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("held", "s00002"),
        ("checked_in_qr", "s00002"),
        ("no_show", "s00003"),
        ("released_by_hand", "s00004"),
        ("end_of_day", None),
        ("present", None),
        ("stepped_away", None),
        ("nobody_present", None),
        ("sensor_silent", None),
        ("sensor_offline", None),
        ("held", None),
    ]
    assert (desk, hold) == ("held", "no_show")
    assert bytes(quarantined.payload) == big[:4096]
    assert quarantined.payload_size == len(big)
    assert quarantined.payload_sha256 == hashlib.sha256(big).hexdigest()
