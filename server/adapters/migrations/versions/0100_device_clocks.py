"""Device clocks: how often a device's reading was dated too far from its receive time.

Revision ID: 0100_device_clocks
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0100_device_clocks"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("clock_skewed", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("clock_skew_s", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("clock_skew_s")
        batch_op.drop_column("clock_skewed")
