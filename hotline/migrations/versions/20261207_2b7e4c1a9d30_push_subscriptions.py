"""web push: push subscriptions per user, used acknowledge tokens

Revision ID: 2b7e4c1a9d30
Revises: 5e7a1c3b9d20
Create Date: 2026-12-07 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2b7e4c1a9d30"
down_revision: str | None = "5e7a1c3b9d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.Text(), nullable=False),
        sa.Column("auth", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("endpoint"),
    )
    with op.batch_alter_table("push_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_push_subscriptions_user_id"), ["user_id"], unique=False
        )
    op.create_table(
        "push_ack_uses",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["page_id"], ["escalation_pages.id"]),
        sa.PrimaryKeyConstraint("nonce"),
    )
    with op.batch_alter_table("push_ack_uses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_push_ack_uses_page_id"), ["page_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("push_ack_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_ack_uses_page_id"))
    op.drop_table("push_ack_uses")
    with op.batch_alter_table("push_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_subscriptions_user_id"))
    op.drop_table("push_subscriptions")
