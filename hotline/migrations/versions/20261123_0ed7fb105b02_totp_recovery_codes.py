"""totp recovery codes

Revision ID: 0ed7fb105b02
Revises: 8638e80071d6
Create Date: 2026-11-23 18:40:01.769972
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0ed7fb105b02"
down_revision: str | None = "8638e80071d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "totp_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_totp_recovery_codes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_totp_recovery_codes")),
    )
    with op.batch_alter_table("totp_recovery_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_totp_recovery_codes_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("totp_recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_totp_recovery_codes_user_id"))

    op.drop_table("totp_recovery_codes")
