"""several numbers per line, holidays and special days, what callers hear after hours

Revision ID: 7c3d1e5a2b90
Revises: 8d4a6f1c2b73
Create Date: 2026-12-07 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c3d1e5a2b90"
down_revision: str | None = "8d4a6f1c2b73"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "line_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_line_numbers_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_numbers")),
    )
    op.create_index(op.f("ix_line_numbers_number"), "line_numbers", ["number"], unique=True)
    op.create_index(op.f("ix_line_numbers_line_id"), "line_numbers", ["line_id"], unique=False)
    # Each line's number is its first entry (it stays on the line as the main, shown number).
    op.execute("INSERT INTO line_numbers (number, line_id) SELECT number, id FROM lines")
    with op.batch_alter_table("lines") as batch:
        batch.add_column(sa.Column("special_days", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column(
                "after_hours_action",
                sa.String(length=16),
                nullable=False,
                server_default="forward",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("lines") as batch:
        batch.drop_column("after_hours_action")
        batch.drop_column("special_days")
    op.drop_index(op.f("ix_line_numbers_line_id"), table_name="line_numbers")
    op.drop_index(op.f("ix_line_numbers_number"), table_name="line_numbers")
    op.drop_table("line_numbers")
