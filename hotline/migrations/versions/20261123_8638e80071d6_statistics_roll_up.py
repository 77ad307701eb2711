"""statistics roll-up

Revision ID: 8638e80071d6
Revises: b10ae638b2c6
Create Date: 2026-11-23 18:15:33.045679
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8638e80071d6"
down_revision: str | None = "b10ae638b2c6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stats_counts",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_stats_counts_line_id_lines")
        ),
        sa.PrimaryKeyConstraint(
            "line_id", "day", "dimension", "value", name=op.f("pk_stats_counts")
        ),
    )
    op.create_table(
        "stats_hours",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("offered", sa.Integer(), nullable=False),
        sa.Column("entered_queue", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("abandoned", sa.Integer(), nullable=False),
        sa.Column("abandoned_short", sa.Integer(), nullable=False),
        sa.Column("abandoned_ivr", sa.Integer(), nullable=False),
        sa.Column("overflow", sa.Integer(), nullable=False),
        sa.Column("answered_20", sa.Integer(), nullable=False),
        sa.Column("answered_60", sa.Integer(), nullable=False),
        sa.Column("wait_sum_s", sa.Float(), nullable=False),
        sa.Column("handled", sa.Integer(), nullable=False),
        sa.Column("talk_sum_s", sa.Float(), nullable=False),
        sa.Column("wrap_sum_s", sa.Float(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("in_danger", sa.Integer(), nullable=False),
        sa.Column("local", sa.Integer(), nullable=False),
        sa.Column("out_of_area", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_stats_hours_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("line_id", "day", "hour", name=op.f("pk_stats_hours")),
    )
    op.create_table(
        "stats_rollups",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("rolled_until", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_stats_rollups_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("line_id", name=op.f("pk_stats_rollups")),
    )
    op.create_table(
        "stats_stale",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_stats_stale_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_stale")),
    )
    with op.batch_alter_table("stats_stale", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stats_stale_line_id"), ["line_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stats_stale", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stats_stale_line_id"))

    op.drop_table("stats_stale")
    op.drop_table("stats_rollups")
    op.drop_table("stats_hours")
    op.drop_table("stats_counts")
