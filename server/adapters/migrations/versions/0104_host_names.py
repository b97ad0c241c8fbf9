"""Hosts' names in Japanese: bookings and sessions keep the host's `name_ja` beside `host_name`.

Pages in Japanese show it; rows made before this revision, and hosts without a Japanese name,
keep an empty one and the pages fall back to `host_name`.

Revision ID: 0104_host_names
Revises: 0100_rooms
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0104_host_names"
down_revision: str | None = "0100_rooms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("room_bookings", "room_sessions")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("host_name_ja", sa.Text(), nullable=False, server_default="")
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("host_name_ja")
