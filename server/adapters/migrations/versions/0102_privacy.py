"""Privacy: desk reasons become kinds with the person apart; the quarantine keeps a head and hash.

- `desk_transitions.person` (new) holds whom a change was about; `reason` becomes a kind
  (`held`, `no_show`, ...) for every row, so no reason text names anyone any more.
- `desks.reason` and `seat_holds.release_reason` become kinds too, and the liveness records
  of the event log (`desk.contact_lost`) say `sensor_silent` or `sensor_offline`.
- `quarantine.payload_size` and `payload_sha256` (new): a rejected message keeps its first
  4 KiB, its size and its SHA-256; older rows over 4 KiB are cut the same way.

Revision ID: 0102_privacy
Revises: 0101_seating
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0102_privacy"
down_revision: str | None = "0101_seating"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEPT_BYTES = 4096
KINDS = (
    "no_report",
    "walk_in",
    "present",
    "stepped_away",
    "nobody_present",
    "sensor_offline",
    "sensor_silent",
    "bridge_offline",
    "sensor_fault",
    "held",
    "checked_in_qr",
    "checked_in_app",
    "checked_in",
    "released_by_hand",
    "no_show",
    "end_of_day",
    "holder_left",
)
# Texts the server wrote before kinds: a LIKE pattern and its kind.
TEXTS = (
    ("%: presence detected", "present"),
    ("%: the holder stepped away", "stepped_away"),
    ("%: nobody present", "nobody_present"),
    ("sensor offline (its Zigbee2MQTT bridge%", "bridge_offline"),
    ("sensor offline%", "sensor_offline"),
    ("sensor fault%", "sensor_fault"),
    ("holder left%", "holder_left"),
    ("sensor silent%", "sensor_silent"),
    ("no sensor report yet", "no_report"),
    ("end of day%", "end_of_day"),
    ("released by hand%", "released_by_hand"),
    ("no-show%", "no_show"),
    ("held for %", "held"),
    ("% checked in by qr%", "checked_in_qr"),
    ("% checked in by QR%", "checked_in_qr"),
    ("% checked in by app", "checked_in_app"),
    ("% checked in by %", "checked_in"),
)
# A text matching none of them: the kind its state most likely had.
BY_STATE = {
    "unknown": "sensor_offline",
    "held": "held",
    "occupied": "present",
    "away": "stepped_away",
    "free": "nobody_present",
    "blocked": "no_report",
}


def upgrade() -> None:
    with op.batch_alter_table("desk_transitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person", sa.String(length=64), nullable=True))
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload_size", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("payload_sha256", sa.String(length=64), nullable=True))

    transitions = sa.table(
        "desk_transitions",
        sa.column("reason", sa.Text),
        sa.column("person", sa.String),
        sa.column("after", sa.String),
    )
    _people_from_texts(transitions)
    _kinds(transitions, transitions.c.after)
    desks = sa.table("desks", sa.column("reason", sa.Text), sa.column("state", sa.String))
    _kinds(desks, desks.c.state)
    holds = sa.table("seat_holds", sa.column("release_reason", sa.Text))
    for pattern, kind in TEXTS:
        op.execute(
            holds.update().where(holds.c.release_reason.like(pattern)).values(release_reason=kind)
        )
    events = sa.table("event_log", sa.column("type", sa.String), sa.column("payload", sa.Text))
    lost = events.c.type == "desk.contact_lost"
    op.execute(
        events.update()
        .where(lost, events.c.payload.like("%silent%"))
        .values(payload='{"reason": "sensor_silent"}')
    )
    op.execute(
        events.update()
        .where(lost, events.c.payload.not_like("%sensor_silent%"))
        .values(payload='{"reason": "sensor_offline"}')
    )
    _cut_quarantine()


def _position(text: sa.ColumnElement[str], needle: str) -> sa.ColumnElement[int]:
    """1-based position of `needle` in `text` (0 when absent), on SQLite and PostgreSQL."""
    if op.get_bind().dialect.name == "postgresql":
        return sa.func.strpos(text, needle)
    return sa.func.instr(text, needle)


def _people_from_texts(table: sa.TableClause) -> None:
    reason = table.c.reason
    op.execute(
        table.update().where(reason.like("held for %")).values(person=sa.func.substr(reason, 10))
    )
    checked_in = _position(reason, " checked in by ")
    op.execute(
        table.update()
        .where(reason.like("% checked in by %"))
        .values(person=sa.func.substr(reason, 1, checked_in - 1))
    )
    did_not = _position(reason, " did not check in")
    op.execute(
        table.update()
        .where(reason.like("no-show: % did not check in%"))
        .values(person=sa.func.substr(reason, 10, did_not - 10))
    )
    op.execute(
        table.update()
        .where(reason.like("released by hand by %"))
        .values(person=sa.func.substr(reason, 21))
    )


def _kinds(table: sa.TableClause, state: sa.ColumnElement[str]) -> None:
    reason = table.c.reason
    for pattern, kind in TEXTS:
        op.execute(table.update().where(reason.like(pattern)).values(reason=kind))
    for name, kind in BY_STATE.items():
        op.execute(table.update().where(reason.not_in(KINDS), state == name).values(reason=kind))


def _cut_quarantine() -> None:
    quarantine = sa.table(
        "quarantine",
        sa.column("id", sa.BigInteger),
        sa.column("payload", sa.LargeBinary),
        sa.column("payload_size", sa.BigInteger),
        sa.column("payload_sha256", sa.String),
    )
    bind = op.get_bind()
    large = bind.execute(
        sa.select(quarantine.c.id).where(sa.func.length(quarantine.c.payload) > KEPT_BYTES)
    ).scalars()
    for row_id in list(large):
        payload = bytes(
            bind.execute(
                sa.select(quarantine.c.payload).where(quarantine.c.id == row_id)
            ).scalar_one()
        )
        bind.execute(
            quarantine.update()
            .where(quarantine.c.id == row_id)
            .values(
                payload=payload[:KEPT_BYTES],
                payload_size=len(payload),
                payload_sha256=hashlib.sha256(payload).hexdigest(),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_column("payload_sha256")
        batch_op.drop_column("payload_size")
    with op.batch_alter_table("desk_transitions", schema=None) as batch_op:
        batch_op.drop_column("person")
