"""calls: high-risk history at arrival

Revision ID: 0a4b78b4c6ea
Revises: 897765f8884f
Create Date: 2026-12-03 17:03:25.835655
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0a4b78b4c6ea"
down_revision: str | None = "897765f8884f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("high_risk_history", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("high_risk_history")
