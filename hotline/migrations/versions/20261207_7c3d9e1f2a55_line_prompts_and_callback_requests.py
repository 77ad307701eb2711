"""what a caller hears, per line: hold, danger and consent prompts, position announcements,
uploaded prompt recordings; a voicemail can be a callback request (its number encrypted)

Revision ID: 7c3d9e1f2a55
Revises: 9a4b2c6d8e10
Create Date: 2026-12-07 02:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c3d9e1f2a55"
down_revision: str | None = "9a4b2c6d8e10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prompt_audio",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_prompt_audio_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_audio")),
        sa.UniqueConstraint(
            "line_id", "kind", "language", name=op.f("uq_prompt_audio_line_kind_language")
        ),
    )
    with op.batch_alter_table("prompt_audio", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prompt_audio_line_id"), ["line_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_prompt_audio_token"), ["token"], unique=True)

    # A plain string, not sa.text(): on SQLite a SQL-expression default makes Alembic rebuild the
    # table, and dropping `lines` fails while other tables' rows point at it.
    empty = "{}"
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hold_prompts", sa.JSON(), server_default=empty, nullable=False)
        )
        batch_op.add_column(
            sa.Column("danger_key", sa.String(length=1), server_default="9", nullable=False)
        )
        batch_op.add_column(
            sa.Column("danger_prompts", sa.JSON(), server_default=empty, nullable=False)
        )
        batch_op.add_column(sa.Column("hold_music_url", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("announce_position", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("announce_every_s", sa.Integer(), server_default="60", nullable=False)
        )
        batch_op.add_column(
            sa.Column("consent_prompts", sa.JSON(), server_default=empty, nullable=False)
        )

    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("callback_number", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.drop_column("callback_number")
    with op.batch_alter_table("lines", schema=None) as batch_op:
        for name in (
            "consent_prompts",
            "announce_every_s",
            "announce_position",
            "hold_music_url",
            "danger_prompts",
            "danger_key",
            "hold_prompts",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("prompt_audio", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompt_audio_token"))
        batch_op.drop_index(batch_op.f("ix_prompt_audio_line_id"))
    op.drop_table("prompt_audio")
