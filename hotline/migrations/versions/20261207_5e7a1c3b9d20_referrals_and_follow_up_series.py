"""referrals with their status history and green channel; follow-up series by the line's schedule

Revision ID: 5e7a1c3b9d20
Revises: 8b1c4e7a9d20
Create Date: 2026-12-07 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e7a1c3b9d20"
down_revision: str | None = "8b1c4e7a9d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("resource_name", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("green_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("green_sent_by_id", sa.Integer(), nullable=True),
        sa.Column("green_text", sa.Text(), nullable=True),
        sa.Column("green_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("green_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("green_confirmed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_referrals_call_id_calls")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_referrals_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["green_confirmed_by_id"],
            ["users.id"],
            name=op.f("fk_referrals_green_confirmed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["green_sent_by_id"], ["users.id"], name=op.f("fk_referrals_green_sent_by_id_users")
        ),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], name=op.f("fk_referrals_line_id_lines")),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["referral_resources.id"],
            name=op.f("fk_referrals_resource_id_referral_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        for column in ("call_id", "line_id", "resource_id", "kind", "created_at", "green_due_at"):
            batch_op.create_index(batch_op.f(f"ix_referrals_{column}"), [column], unique=False)

    op.create_table(
        "referral_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_status_changes_referral_id_referrals"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_referral_status_changes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_status_changes")),
    )
    with op.batch_alter_table("referral_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_status_changes_referral_id"), ["referral_id"], unique=False
        )

    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("schedule", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("step", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("follow_up_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("step", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "follow_up_schedule",
                sa.String(length=64),
                server_default="24h,72h,7d",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_column("follow_up_schedule")
    with op.batch_alter_table("follow_up_attempts", schema=None) as batch_op:
        batch_op.drop_column("step")
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_column("step")
        batch_op.drop_column("schedule")
    with op.batch_alter_table("referral_status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_status_changes_referral_id"))
    op.drop_table("referral_status_changes")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        for column in ("call_id", "line_id", "resource_id", "kind", "created_at", "green_due_at"):
            batch_op.drop_index(batch_op.f(f"ix_referrals_{column}"))
    op.drop_table("referrals")
