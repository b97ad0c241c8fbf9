"""Provisioning: device revocations.

Revision ID: 0100_provisioning
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0100_provisioning"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_revocations",
        sa.Column("device", sa.String(length=24), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("device", name=op.f("pk_device_revocations")),
    )


def downgrade() -> None:
    op.drop_table("device_revocations")
