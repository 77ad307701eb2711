"""phone mode: whether a counselor takes this shift's calls on their phone or in the browser

Revision ID: c7e2f4a9b1d3
Revises: d1a1b0c4e2f7
Create Date: 2026-12-07 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c7e2f4a9b1d3"
down_revision: str | None = "d1a1b0c4e2f7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agent_status", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phone_mode", sa.String(length=16), nullable=False, server_default="phone")
        )


def downgrade() -> None:
    with op.batch_alter_table("agent_status", schema=None) as batch_op:
        batch_op.drop_column("phone_mode")
