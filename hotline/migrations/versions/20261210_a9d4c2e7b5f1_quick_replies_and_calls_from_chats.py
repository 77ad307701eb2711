"""quick replies per line, and dial-backs that move a text conversation to voice (the
conversation they come from, and a number the web chat page's person typed, encrypted)

Revision ID: a9d4c2e7b5f1
Revises: a9d4e2c7b1f3
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a9d4c2e7b5f1"
down_revision: str | None = "a9d4e2c7b1f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quick_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("text", sa.String(length=1600), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_quick_replies_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quick_replies")),
    )
    with op.batch_alter_table("quick_replies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quick_replies_line_id"), ["line_id"], unique=False)
    with op.batch_alter_table("dial_backs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("number", sa.Text(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_dial_backs_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_dial_backs_conversation_id_calls"), "calls", ["conversation_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("dial_backs", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_dial_backs_conversation_id_calls"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_dial_backs_conversation_id"))
        batch_op.drop_column("number")
        batch_op.drop_column("conversation_id")
    with op.batch_alter_table("quick_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quick_replies_line_id"))
    op.drop_table("quick_replies")
