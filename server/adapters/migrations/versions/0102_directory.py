"""The city's IT: people's source and leavers, personal tokens, room calendar sync state.

Revision ID: 0102_directory
Revises: 0100_people
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0102_directory"
down_revision: str | None = "0100_people"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=16), server_default="csv", nullable=False)
        )
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "personal_tokens",
        sa.Column("id", _ID, nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_personal_tokens_digest")),
    )
    with op.batch_alter_table("personal_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_personal_tokens_staff_id"), ["staff_id"], unique=False)
    op.create_table(
        "calendar_links",
        sa.Column("id", _ID, nullable=False),
        sa.Column("room", sa.String(length=24), nullable=False),
        sa.Column("booking_key", sa.String(length=64), nullable=True),
        sa.Column("event_uid", sa.String(length=255), nullable=False),
        sa.Column("href", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_links")),
    )
    with op.batch_alter_table("calendar_links", schema=None) as batch_op:
        batch_op.create_index("uq_calendar_links_room_event", ["room", "event_uid"], unique=True)
        batch_op.create_index("ix_calendar_links_booking_key", ["booking_key"], unique=False)
    op.create_table(
        "calendar_conflicts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("room", sa.String(length=24), nullable=False),
        sa.Column("event_uid", sa.String(length=255), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kept_title", sa.Text(), nullable=False),
        sa.Column("kept_starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("kept_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_conflicts")),
    )
    with op.batch_alter_table("calendar_conflicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_conflicts_host"), ["host"], unique=False)


def downgrade() -> None:
    op.drop_table("calendar_conflicts")
    op.drop_table("calendar_links")
    op.drop_table("personal_tokens")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
        batch_op.drop_column("source")
