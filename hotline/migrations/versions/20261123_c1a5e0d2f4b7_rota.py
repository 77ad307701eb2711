"""rota: schedules, rotation layers, overrides, swap requests

Revision ID: c1a5e0d2f4b7
Revises: b3222ede71a6
Create Date: 2026-11-23 13:38:22.635231
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c1a5e0d2f4b7"
down_revision: str | None = "b3222ede71a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rota_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_schedules")),
        sa.UniqueConstraint("name", name=op.f("uq_rota_schedules_name")),
    )
    op.create_table(
        "rota_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("replaced_user_id", sa.Integer(), nullable=True),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_rota_overrides_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["replaced_user_id"],
            ["users.id"],
            name=op.f("fk_rota_overrides_replaced_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["rota_schedules.id"],
            name=op.f("fk_rota_overrides_schedule_id_rota_schedules"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_rota_overrides_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_overrides")),
    )
    with op.batch_alter_table("rota_overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rota_overrides_end_at"), ["end_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rota_overrides_schedule_id"), ["schedule_id"], unique=False
        )

    op.create_table(
        "rota_rotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("layer", sa.Integer(), nullable=False),
        sa.Column("shift", sa.String(length=16), nullable=False),
        sa.Column("shift_hours", sa.Integer(), nullable=True),
        sa.Column("handoff_time", sa.String(length=5), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("member_ids", sa.JSON(), nullable=False),
        sa.Column("active_from", sa.String(length=5), nullable=True),
        sa.Column("active_until", sa.String(length=5), nullable=True),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["rota_schedules.id"],
            name=op.f("fk_rota_rotations_schedule_id_rota_schedules"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_rotations")),
    )
    with op.batch_alter_table("rota_rotations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rota_rotations_schedule_id"), ["schedule_id"], unique=False
        )

    op.create_table(
        "rota_swap_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("counterpart_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("override_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["counterpart_id"],
            ["users.id"],
            name=op.f("fk_rota_swap_requests_counterpart_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["override_id"],
            ["rota_overrides.id"],
            name=op.f("fk_rota_swap_requests_override_id_rota_overrides"),
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["users.id"], name=op.f("fk_rota_swap_requests_requester_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["rota_schedules.id"],
            name=op.f("fk_rota_swap_requests_schedule_id_rota_schedules"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_swap_requests")),
    )
    with op.batch_alter_table("rota_swap_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rota_swap_requests_counterpart_id"), ["counterpart_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rota_swap_requests_requester_id"), ["requester_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rota_swap_requests_schedule_id"), ["schedule_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rota_swap_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rota_swap_requests_schedule_id"))
        batch_op.drop_index(batch_op.f("ix_rota_swap_requests_requester_id"))
        batch_op.drop_index(batch_op.f("ix_rota_swap_requests_counterpart_id"))

    op.drop_table("rota_swap_requests")
    with op.batch_alter_table("rota_rotations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rota_rotations_schedule_id"))

    op.drop_table("rota_rotations")
    with op.batch_alter_table("rota_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rota_overrides_schedule_id"))
        batch_op.drop_index(batch_op.f("ix_rota_overrides_end_at"))

    op.drop_table("rota_overrides")
    op.drop_table("rota_schedules")
