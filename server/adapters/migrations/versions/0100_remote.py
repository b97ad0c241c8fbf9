"""Remote work: a person's "working remotely today" marks, per day.

Revision ID: 0100_remote
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0100_remote"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "remote_days",
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("staff_id", "day", name=op.f("pk_remote_days")),
    )
    with op.batch_alter_table("remote_days", schema=None) as batch_op:
        batch_op.create_index("ix_remote_days_day", ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("remote_days", schema=None) as batch_op:
        batch_op.drop_index("ix_remote_days_day")
    op.drop_table("remote_days")
