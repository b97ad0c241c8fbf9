"""Wi-Fi presence: AP counts, busy-ness history, opt-in location shares and their audit.

Revision ID: 0100_wifi
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0100_wifi"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "wifi_ap_counts",
        sa.Column("access_point", sa.String(length=24), nullable=False),
        sa.Column("device", sa.String(length=24), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("stations", sa.Integer(), nullable=False),
        sa.Column("randomised", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("access_point", name=op.f("pk_wifi_ap_counts")),
    )
    op.create_index(op.f("ix_wifi_ap_counts_at"), "wifi_ap_counts", ["at"], unique=False)

    op.create_table(
        "wifi_zone_samples",
        sa.Column("id", _ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("floor", sa.String(length=24), nullable=False),
        sa.Column("zone", sa.String(length=24), nullable=False),
        sa.Column("people", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wifi_zone_samples")),
    )
    op.create_index(op.f("ix_wifi_zone_samples_at"), "wifi_zone_samples", ["at"], unique=False)
    op.create_index(
        "ix_wifi_zone_samples_floor_at", "wifi_zone_samples", ["floor", "at"], unique=False
    )

    op.create_table(
        "wifi_floor_samples",
        sa.Column("id", _ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("floor", sa.String(length=24), nullable=False),
        sa.Column("people", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wifi_floor_samples")),
    )
    op.create_index(op.f("ix_wifi_floor_samples_at"), "wifi_floor_samples", ["at"], unique=False)
    op.create_index(
        "ix_wifi_floor_samples_floor_at", "wifi_floor_samples", ["floor", "at"], unique=False
    )

    op.create_table(
        "wifi_location_shares",
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("access_point", sa.String(length=24), nullable=True),
        sa.Column("floor", sa.String(length=24), nullable=True),
        sa.Column("zone", sa.String(length=24), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("person", name=op.f("pk_wifi_location_shares")),
    )
    op.create_index(
        op.f("ix_wifi_location_shares_expires_at"),
        "wifi_location_shares",
        ["expires_at"],
        unique=False,
    )

    op.create_table(
        "wifi_location_lookups",
        sa.Column("id", _ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("viewer", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wifi_location_lookups")),
    )
    op.create_index(
        op.f("ix_wifi_location_lookups_at"), "wifi_location_lookups", ["at"], unique=False
    )
    op.create_index(
        "ix_wifi_location_lookups_subject_at",
        "wifi_location_lookups",
        ["subject", "at"],
        unique=False,
    )


def downgrade() -> None:
    for table in (
        "wifi_location_lookups",
        "wifi_location_shares",
        "wifi_floor_samples",
        "wifi_zone_samples",
        "wifi_ap_counts",
    ):
        op.drop_table(table)
