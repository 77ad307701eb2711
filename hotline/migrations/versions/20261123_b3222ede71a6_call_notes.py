"""call notes

Revision ID: b3222ede71a6
Revises: 96a84621c85a
Create Date: 2026-11-23 13:18:10.888580
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b3222ede71a6"
down_revision: str | None = "96a84621c85a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issue_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("label_zh", sa.String(length=128), nullable=False),
        sa.Column("label_en", sa.String(length=128), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["issue_categories.id"],
            name=op.f("fk_issue_categories_parent_id_issue_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_issue_categories_code")),
    )
    op.create_table(
        "referral_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_resources")),
    )
    op.create_table(
        "call_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("call_type", sa.String(length=32), nullable=True),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("interventions", sa.JSON(), nullable=False),
        sa.Column("suggested_level", sa.String(length=16), nullable=True),
        sa.Column("crisis_level", sa.String(length=16), nullable=True),
        sa.Column("level_lowered", sa.Boolean(), nullable=False),
        sa.Column("follow_up_wanted", sa.Boolean(), nullable=False),
        sa.Column("sensitive", sa.Text(), nullable=True),
        sa.Column("escalated_level", sa.String(length=16), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_call_notes_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_notes_call_id_calls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_notes")),
        sa.UniqueConstraint("call_id", name=op.f("uq_call_notes_call_id")),
    )
    with op.batch_alter_table("call_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_notes_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_notes_call_type"), ["call_type"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_call_notes_crisis_level"), ["crisis_level"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_call_notes_due_at"), ["due_at"], unique=False)

    op.create_table(
        "note_addenda",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_note_addenda_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["note_id"], ["call_notes.id"], name=op.f("fk_note_addenda_note_id_call_notes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_addenda")),
    )
    with op.batch_alter_table("note_addenda", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_note_addenda_note_id"), ["note_id"], unique=False)

    seed_reference_data()


def downgrade() -> None:
    with op.batch_alter_table("note_addenda", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_note_addenda_note_id"))

    op.drop_table("note_addenda")
    with op.batch_alter_table("call_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_notes_due_at"))
        batch_op.drop_index(batch_op.f("ix_call_notes_crisis_level"))
        batch_op.drop_index(batch_op.f("ix_call_notes_call_type"))
        batch_op.drop_index(batch_op.f("ix_call_notes_author_id"))

    op.drop_table("call_notes")
    op.drop_table("referral_resources")
    op.drop_table("issue_categories")


# Default reference data, so a fresh installation can take notes at once; admins edit it later.
TAXONOMY = [
    (
        "emotional",
        "情绪困扰",
        "Emotional distress",
        [
            ("anxiety", "焦虑", "Anxiety"),
            ("low_mood", "抑郁情绪", "Low mood"),
            ("loneliness", "孤独", "Loneliness"),
            ("anger", "愤怒或冲动", "Anger or impulsivity"),
            ("stress", "压力", "Stress"),
        ],
    ),
    (
        "family",
        "家庭问题",
        "Family",
        [
            ("parent_child", "亲子关系", "Parent and child"),
            ("marriage", "婚姻", "Marriage"),
            ("family_conflict", "家庭冲突", "Family conflict"),
            ("caregiving", "照护负担", "Caring for someone"),
        ],
    ),
    (
        "relationships",
        "人际关系",
        "Relationships",
        [
            ("romantic", "恋爱关系", "Romantic relationship"),
            ("breakup", "失恋或分手", "Break-up"),
            ("peers", "朋友或同伴", "Friends and peers"),
            ("colleagues", "同事关系", "Colleagues"),
        ],
    ),
    (
        "study",
        "学业与学校",
        "Study and school",
        [
            ("exam_pressure", "考试压力", "Exam pressure"),
            ("school_refusal", "厌学或拒学", "School refusal"),
            ("bullying", "校园欺凌", "Bullying"),
            ("future_choice", "升学与就业选择", "Choices ahead"),
        ],
    ),
    (
        "work",
        "工作与经济",
        "Work and money",
        [
            ("job_loss", "失业", "Job loss"),
            ("work_stress", "工作压力", "Work stress"),
            ("debt", "债务或经济困难", "Debt or money trouble"),
        ],
    ),
    (
        "health",
        "身体健康",
        "Physical health",
        [
            ("chronic_illness", "慢性病", "Chronic illness"),
            ("sleep", "睡眠问题", "Sleep"),
            ("perinatal", "孕产期问题", "Pregnancy and after birth"),
            ("disability", "残障相关", "Disability"),
        ],
    ),
    (
        "bereavement",
        "丧失与哀伤",
        "Bereavement",
        [
            ("death_of_family", "亲人离世", "Death of someone close"),
            ("suicide_loss", "自杀者亲友", "Bereaved by suicide"),
            ("other_loss", "其他丧失", "Other loss"),
        ],
    ),
    (
        "abuse",
        "暴力与虐待",
        "Abuse and violence",
        [
            ("domestic_violence", "家庭暴力", "Domestic violence"),
            ("sexual_violence", "性侵害", "Sexual violence"),
            ("child_abuse", "儿童虐待", "Child abuse"),
            ("elder_abuse", "老年人受虐", "Elder abuse"),
        ],
    ),
    (
        "suicide",
        "自杀相关",
        "Suicide-related",
        [
            ("ideation", "自杀意念", "Suicidal thoughts"),
            ("attempt", "自杀未遂", "Suicide attempt"),
            ("self_harm", "自伤", "Self-harm"),
            ("someone_else_at_risk", "他人有自杀风险", "Someone else at risk"),
        ],
    ),
    (
        "psychiatric",
        "精神症状",
        "Psychiatric symptoms",
        [
            ("psychosis", "精神病性症状", "Psychotic symptoms"),
            ("mania", "躁狂", "Mania"),
            ("substance_use", "物质使用", "Substance use"),
            ("ocd", "强迫", "Obsessions and compulsions"),
            ("medication", "用药问题", "Medication"),
        ],
    ),
    (
        "information",
        "信息与转介",
        "Information and referral",
        [
            ("service_information", "服务信息", "About services"),
            ("treatment_information", "就医信息", "About treatment"),
            ("legal_aid", "法律援助", "Legal aid"),
        ],
    ),
    ("other", "其他", "Other", [("other_issue", "其他问题", "Another issue")]),
]
REFERRALS = [
    ("police", "110 报警服务 / Police", "110"),
    ("ambulance", "120 急救中心 / Ambulance", "120"),
    ("partner_line", "12356 全国心理援助热线", "12356"),
    ("partner_line", "12320 卫生健康热线", "12320"),
]


def seed_reference_data() -> None:
    categories = sa.table(
        "issue_categories",
        sa.column("id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("parent_id", sa.Integer),
        sa.column("label_zh", sa.String),
        sa.column("label_en", sa.String),
        sa.column("sort", sa.Integer),
        sa.column("active", sa.Boolean),
    )
    rows = []
    next_id = 1
    for top_sort, (code, zh, en, children) in enumerate(TAXONOMY):
        top_id = next_id
        rows.append(
            {
                "id": top_id,
                "code": code,
                "parent_id": None,
                "label_zh": zh,
                "label_en": en,
                "sort": top_sort,
                "active": True,
            }
        )
        next_id += 1
        for sort, (child, child_zh, child_en) in enumerate(children):
            rows.append(
                {
                    "id": next_id,
                    "code": f"{code}.{child}",
                    "parent_id": top_id,
                    "label_zh": child_zh,
                    "label_en": child_en,
                    "sort": sort,
                    "active": True,
                }
            )
            next_id += 1
    op.bulk_insert(categories, rows)
    resources = sa.table(
        "referral_resources",
        sa.column("kind", sa.String),
        sa.column("name", sa.String),
        sa.column("phone", sa.String),
        sa.column("region", sa.String),
        sa.column("active", sa.Boolean),
    )
    op.bulk_insert(
        resources,
        [
            {"kind": kind, "name": name, "phone": phone, "region": "", "active": True}
            for kind, name, phone in REFERRALS
        ],
    )
    if op.get_bind().dialect.name == "postgresql":  # ids were given: move the sequence on
        op.execute(
            "SELECT setval(pg_get_serial_sequence('issue_categories', 'id'), "
            "(SELECT MAX(id) FROM issue_categories))"
        )
