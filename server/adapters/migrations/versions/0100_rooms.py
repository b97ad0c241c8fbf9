"""Meeting rooms: bookings (no overlaps, enforced here), sessions, materials, pairing, status.

Revision ID: 0100_rooms
Revises: 0001
Create Date: 2026-11-30 06:21:12.432629
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0100_rooms"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "room_bookings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("room", sa.String(length=24), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("host", sa.String(length=64), nullable=False),
        sa.Column("host_name", sa.Text(), nullable=False),
        sa.Column("department", sa.String(length=24), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("series", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_bookings")),
        sa.UniqueConstraint("uid", name=op.f("uq_room_bookings_uid")),
    )
    with op.batch_alter_table("room_bookings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_room_bookings_room_starts_at", ["room", "starts_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_room_bookings_series"), ["series"], unique=False)

    op.create_table(
        "room_material_opens",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("material_id", sa.BigInteger(), nullable=True),
        sa.Column("viewer", sa.String(length=64), nullable=False),
        sa.Column("signed_in", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_material_opens")),
    )
    with op.batch_alter_table("room_material_opens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_room_material_opens_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "room_materials",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_materials")),
    )
    with op.batch_alter_table("room_materials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_room_materials_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "room_pairing_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("room", sa.String(length=24), nullable=True),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_pairing_attempts")),
    )
    with op.batch_alter_table("room_pairing_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_room_pairing_attempts_at"), ["at"], unique=False)

    op.create_table(
        "room_pairing_codes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("room", sa.String(length=24), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("session_id", sa.BigInteger(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_pairing_codes")),
    )
    with op.batch_alter_table("room_pairing_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_room_pairing_codes_code"), ["code"], unique=False)
        batch_op.create_index(
            "ix_room_pairing_codes_room_issued_at", ["room", "issued_at"], unique=False
        )

    op.create_table(
        "room_secret",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_secret")),
    )
    op.create_table(
        "room_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("room", sa.String(length=24), nullable=False),
        sa.Column("booking_id", sa.BigInteger(), nullable=True),
        sa.Column("host", sa.String(length=64), nullable=False),
        sa.Column("host_name", sa.Text(), nullable=False),
        sa.Column("department", sa.String(length=24), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("current_material", sa.BigInteger(), nullable=True),
        sa.Column("current_page", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_sessions")),
        sa.UniqueConstraint("token", name=op.f("uq_room_sessions_token")),
    )
    with op.batch_alter_table("room_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_room_sessions_started_at"), ["started_at"], unique=False
        )
        batch_op.create_index(
            "uq_room_sessions_open_room",
            ["room"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )

    op.create_table(
        "room_shared_pages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("material_id", sa.BigInteger(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_shared_pages")),
    )
    with op.batch_alter_table("room_shared_pages", schema=None) as batch_op:
        batch_op.create_index(
            "uq_room_shared_pages_session_material_page",
            ["session_id", "material_id", "page"],
            unique=True,
        )

    op.create_table(
        "room_status",
        sa.Column("room", sa.String(length=24), nullable=False),
        sa.Column("device", sa.String(length=24), nullable=True),
        sa.Column("display_connected", sa.Boolean(), nullable=True),
        sa.Column("casting", sa.Boolean(), nullable=False),
        sa.Column("cast_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("occupied", sa.Boolean(), nullable=True),
        sa.Column("occupancy_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("room", name=op.f("pk_room_status")),
    )

    _create_overlap_guard()


# Two active bookings of one room must not overlap (half-open intervals: back-to-back is fine).
_SQLITE_OVERLAP = """
CREATE TRIGGER room_bookings_no_overlap_{when}
BEFORE {when} ON room_bookings
WHEN NEW.active
BEGIN
    SELECT RAISE(ABORT, 'room_bookings_no_overlap')
    WHERE EXISTS (
        SELECT 1 FROM room_bookings AS other
        WHERE other.room = NEW.room AND other.active AND other.id IS NOT NEW.id
          AND other.starts_at < NEW.ends_at AND NEW.starts_at < other.ends_at
    );
END
"""


def _create_overlap_guard() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE room_bookings ADD CONSTRAINT room_bookings_no_overlap "
            "EXCLUDE USING gist (room WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            "WHERE (active)"
        )
        op.execute(
            "ALTER TABLE room_bookings ADD CONSTRAINT room_bookings_ends_after_start "
            "CHECK (ends_at > starts_at)"
        )
    else:
        # SQLite stores the UTC datetimes as ISO text of one fixed format, so text order is
        # time order; the triggers run inside SQLite's single writer lock.
        op.execute(_SQLITE_OVERLAP.format(when="INSERT"))
        op.execute(_SQLITE_OVERLAP.format(when="UPDATE"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE room_bookings DROP CONSTRAINT room_bookings_no_overlap")
        op.execute("ALTER TABLE room_bookings DROP CONSTRAINT room_bookings_ends_after_start")
    else:
        op.execute("DROP TRIGGER IF EXISTS room_bookings_no_overlap_INSERT")
        op.execute("DROP TRIGGER IF EXISTS room_bookings_no_overlap_UPDATE")
    op.drop_table("room_status")
    with op.batch_alter_table("room_shared_pages", schema=None) as batch_op:
        batch_op.drop_index("uq_room_shared_pages_session_material_page")

    op.drop_table("room_shared_pages")
    with op.batch_alter_table("room_sessions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_room_sessions_open_room",
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_room_sessions_started_at"))

    op.drop_table("room_sessions")
    op.drop_table("room_secret")
    with op.batch_alter_table("room_pairing_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_room_pairing_codes_room_issued_at")
        batch_op.drop_index(batch_op.f("ix_room_pairing_codes_code"))

    op.drop_table("room_pairing_codes")
    with op.batch_alter_table("room_pairing_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_pairing_attempts_at"))

    op.drop_table("room_pairing_attempts")
    with op.batch_alter_table("room_materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_materials_session_id"))

    op.drop_table("room_materials")
    with op.batch_alter_table("room_material_opens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_material_opens_session_id"))

    op.drop_table("room_material_opens")
    with op.batch_alter_table("room_bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_bookings_series"))
        batch_op.drop_index("ix_room_bookings_room_starts_at")

    op.drop_table("room_bookings")
