"""Demo data: three lines and a few staff of every role. Idempotent."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from hotline.auth import service as auth
from hotline.auth.models import Role, UserCreate
from hotline.lines import service as lines
from hotline.lines.models import LineCreate
from hotline.rota import service as rota
from hotline.rota.models import SchedulePurpose, ShiftKind
from hotline.rota.schemas import RotationCreate, ScheduleCreate

DEMO_PASSWORD = "hotline-demo-pass"  # noqa: S105 - demo only, printed by `hotline demo`

DEMO_LINES = [
    LineCreate(
        number="+8657796525",
        name="温州心理援助热线 96525",
        languages=["zh_CN", "en"],
        partner_number="+8612356",
        max_queue_wait_s=180,
    ),
    LineCreate(
        number="+8612320",
        name="12320 卫生健康热线",
        languages=["zh_CN"],
        partner_number="+8612356",
        max_queue_wait_s=120,
    ),
    LineCreate(
        number="+8612356",
        name="12356 全国心理援助热线",
        languages=["zh_CN", "en"],
        overflow_action="voicemail",
        max_queue_wait_s=240,
    ),
]

DEMO_USERS = [
    ("counselor1", "王心怡 (counselor)", Role.counselor, "+8613900000001", ["zh_CN", "en"]),
    ("counselor2", "李安 (counselor)", Role.counselor, "+8613900000002", ["zh_CN"]),
    ("counselor3", "Alex Chen (counselor)", Role.counselor, "+8613900000003", ["zh_CN", "en"]),
    ("crisis1", "赵明 (crisis team)", Role.crisis, "+8613900000011", ["zh_CN", "en"]),
    ("supervisor1", "陈静 (supervisor)", Role.supervisor, "+8613900000021", ["zh_CN", "en"]),
    ("admin", "Admin", Role.admin, "", ["zh_CN", "en"]),
]


def seed_demo(*, session: Session, now: datetime) -> list[str]:
    """Create what is missing; returns the usernames (all of them, for printing)."""
    for data in DEMO_LINES:
        if lines.get_by_number(session=session, number=data.number) is None:
            lines.create_line(session=session, data=data)
    for username, name, role, endpoint, languages in DEMO_USERS:
        if auth.get_by_username(session=session, username=username) is None:
            auth.create_user(
                session=session,
                now=now,
                data=UserCreate(
                    username=username,
                    display_name=name,
                    role=role,
                    endpoint=endpoint,
                    languages=languages,
                    password=DEMO_PASSWORD,
                    locale="zh_CN",
                ),
            )
    _seed_rotas(session=session)
    return [username for username, *_ in DEMO_USERS]


def _seed_rotas(*, session: Session) -> None:
    """One crisis-team rota and one supervisor rota, so escalations page someone in the demo."""
    if rota.list_schedules(session=session):
        return
    rotas: list[tuple[str, SchedulePurpose, str]] = [
        ("Crisis team", SchedulePurpose.crisis, "crisis1"),
        ("Supervisor on duty", SchedulePurpose.supervisor, "supervisor1"),
    ]
    for name, purpose, username in rotas:
        user = auth.get_by_username(session=session, username=username)
        assert user is not None and user.id is not None
        schedule = rota.create_schedule(
            session=session,
            data=ScheduleCreate(name=name, purpose=purpose, timezone="Asia/Shanghai"),
        )
        assert schedule.id is not None
        rota.add_rotation(
            session=session,
            schedule_id=schedule.id,
            data=RotationCreate(
                name="Weekly",
                layer=0,
                shift=ShiftKind.weekly,
                handoff_time="09:00",
                start_date=date(2026, 1, 5),
                member_ids=[user.id],
            ),
        )
