"""a web chat's conversation keeps when its counselor offered the person a call (the chat page
asks for their number until they answer)

Revision ID: d4f9a2b6e8c3
Revises: c3e8f1a5d7b2
Create Date: 2026-12-12 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4f9a2b6e8c3"
down_revision: str | None = "c3e8f1a5d7b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("call_offered_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("call_offered_at")
