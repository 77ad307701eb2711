"""statistics by channel: each roll-up hour of a line is kept per channel (voice, sms,
webchat, wechat); the rows rolled up before are the voice calls they were

Revision ID: f3b8d2a6c4e1
Revises: e5c1a7d3f9b2
Create Date: 2026-12-09 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3b8d2a6c4e1"
down_revision: str | None = "e5c1a7d3f9b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stats_hours", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=16), nullable=False, server_default="voice")
        )
        batch_op.drop_constraint("pk_stats_hours", type_="primary")
        batch_op.create_primary_key("pk_stats_hours", ["line_id", "day", "hour", "channel"])


def downgrade() -> None:
    # The hours of text conversations have no place in the older table: recomputed on refresh.
    op.execute("DELETE FROM stats_hours WHERE channel <> 'voice'")
    with op.batch_alter_table("stats_hours", schema=None) as batch_op:
        batch_op.drop_constraint("pk_stats_hours", type_="primary")
        batch_op.create_primary_key("pk_stats_hours", ["line_id", "day", "hour"])
        batch_op.drop_column("channel")
