"""console presence: open console sockets, and when a counselor's last one closed

Revision ID: 9a4b2c6d8e10
Revises: 7c3d9e1f2a58
Create Date: 2026-12-07 03:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a4b2c6d8e10"
down_revision: str | None = "7c3d9e1f2a58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_sockets",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("instance", sa.String(length=128), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("console_sockets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_console_sockets_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_console_sockets_seen_at"), ["seen_at"], unique=False)
    with op.batch_alter_table("agent_status", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("console_closed_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("agent_status", schema=None) as batch_op:
        batch_op.drop_column("console_closed_at")
    with op.batch_alter_table("console_sockets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_sockets_seen_at"))
        batch_op.drop_index(batch_op.f("ix_console_sockets_user_id"))
    op.drop_table("console_sockets")
