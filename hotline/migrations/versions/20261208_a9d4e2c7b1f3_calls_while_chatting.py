"""calls while chatting: a counselor holding text conversations may choose to be offered voice
calls too

Revision ID: a9d4e2c7b1f3
Revises: f3b8d2a6c4e1
Create Date: 2026-12-08 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a9d4e2c7b1f3"
down_revision: str | None = "f3b8d2a6c4e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agent_status", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("calls_while_chatting", sa.Boolean(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("agent_status", schema=None) as batch_op:
        batch_op.drop_column("calls_while_chatting")
