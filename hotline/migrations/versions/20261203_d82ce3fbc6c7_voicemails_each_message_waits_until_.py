"""voicemails: each message waits until handled

Revision ID: d82ce3fbc6c7
Revises: 0a4b78b4c6ea
Create Date: 2026-12-03 17:11:36.866544
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d82ce3fbc6c7"
down_revision: str | None = "0a4b78b4c6ea"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "voicemails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_voicemails_call_id_calls")
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"], ["users.id"], name=op.f("fk_voicemails_handled_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_voicemails_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voicemails")),
        sa.UniqueConstraint("call_id", name=op.f("uq_voicemails_call_id")),
    )
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_voicemails_handled_at"), ["handled_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_voicemails_line_id"), ["line_id"], unique=False)
    # Messages left before this table existed were never shown to anyone: they wait too.
    op.execute(
        "INSERT INTO voicemails (call_id, line_id, recorded_at) "
        "SELECT id, line_id, COALESCE(ended_at, created_at) FROM calls "
        "WHERE voicemail_url IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voicemails_line_id"))
        batch_op.drop_index(batch_op.f("ix_voicemails_handled_at"))

    op.drop_table("voicemails")
