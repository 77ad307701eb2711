"""note choices: population groups and interventions as tables admins edit; a line's
callback key

The choices are seeded from the lists the code held until now, with the same codes, so the
notes that already name them keep their meaning. The callback key was fixed at 1.

Revision ID: 1a5c7e9b2d40
Revises: 7a1b2c3d4e5f
Create Date: 2026-12-07 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1a5c7e9b2d40"
down_revision: str | None = "7a1b2c3d4e5f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (code, English, Chinese), in the order the note offered them.
POPULATION_GROUPS = [
    ("student", "Student", "学生"),
    ("elderly", "Elderly person", "老年人"),
    ("pregnant_postpartum", "Pregnant or postpartum", "孕产期妇女"),
    ("migrant_worker", "Migrant worker", "外来务工人员"),
    ("left_behind_child", "Left-behind child", "留守儿童"),
    ("disability", "Person with a disability", "残障人士"),
    ("unemployed", "Unemployed", "失业人员"),
    ("medical_staff", "Medical staff", "医务人员"),
    ("other", "Other group", "其他人群"),
]
INTERVENTIONS = [
    ("active_listening", "Active listening", "积极倾听"),
    ("emotional_support", "Emotional support", "情感支持"),
    ("safety_planning", "Safety planning", "制定安全计划"),
    ("problem_solving", "Problem solving", "问题解决"),
    ("psychoeducation", "Psychoeducation", "心理健康教育"),
    ("crisis_intervention", "Crisis intervention", "危机干预"),
    ("information", "Information given", "提供信息"),
    ("emergency_services", "Emergency services contacted", "已联系紧急救援"),
]


def upgrade() -> None:
    table = op.create_table(
        "note_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label_zh", sa.String(length=128), nullable=False),
        sa.Column("label_en", sa.String(length=128), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "code", name="uq_note_choices_kind_code"),
    )
    rows = [
        {
            "kind": kind,
            "code": code,
            "label_en": en,
            "label_zh": zh,
            "sort": (index + 1) * 10,
            "active": True,
        }
        for kind, entries in (
            ("population_group", POPULATION_GROUPS),
            ("intervention", INTERVENTIONS),
        )
        for index, (code, en, zh) in enumerate(entries)
    ]
    op.bulk_insert(table, rows)
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("callback_key", sa.String(length=1), nullable=False, server_default="1")
        )


def downgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_column("callback_key")
    op.drop_table("note_choices")
