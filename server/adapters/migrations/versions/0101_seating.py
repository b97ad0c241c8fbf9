"""Seating: seat holds with partial unique indexes, idempotency keys for POST commands.

Revision ID: 0101_seating
Revises: 0100_people
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0101_seating"
down_revision: str | None = "0100_people"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("active")


def upgrade() -> None:
    op.create_table(
        "seat_holds",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("desk", sa.String(length=24), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_in_how", sa.String(length=32), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_holds")),
    )
    with op.batch_alter_table("seat_holds", schema=None) as batch_op:
        batch_op.create_index(
            "uq_seat_holds_desk_active",
            ["desk"],
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        )
        batch_op.create_index(
            "uq_seat_holds_person_day_active",
            ["staff_id", "day"],
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        )
        batch_op.create_index("ix_seat_holds_staff_id_day", ["staff_id", "day"], unique=False)
        batch_op.create_index("ix_seat_holds_day", ["day"], unique=False)

    op.create_table(
        "idempotency_keys",
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("request", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("staff_id", "key", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("seat_holds")
