"""Demo data: three lines and a few staff of every role. Idempotent.

The demo accounts share a public password, so they are marked (``users.demo``) and kept out of
any real deployment: seeding refuses production and a database that holds other accounts, and
production refuses to start while a demo account can sign in (``remove_demo`` disables them).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hotline.auth import service as auth
from hotline.auth.models import Role, User, UserCreate
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


# Where each demo role works after sign-in (agent_console/auth/pages.py `landing`).
_DEMO_WORK = {
    Role.counselor: "counselors: the console, where calls are offered",
    Role.crisis: "crisis team: the console, where escalations page them",
    Role.supervisor: "supervisor: the live board",
    Role.admin: "admin: the admin home (readiness, people)",
}


def sign_in_help(totp_roles: list[str]) -> str:
    """Who the demo's accounts are, where each lands, and how the second factor works."""
    by_role: dict[Role, list[str]] = {}
    for username, _name, role, *_ in DEMO_USERS:
        by_role.setdefault(role, []).append(username)
    rows = [f"    {', '.join(names):<36} {_DEMO_WORK[role]}" for role, names in by_role.items()]
    text = f"  sign in with the password {DEMO_PASSWORD!r}:\n" + "\n".join(rows) + "\n"
    second = [name for role, names in by_role.items() if role.value in totp_roles for name in names]
    if second:
        text += (
            f"  {' and '.join(second)} also need a second factor (TOTP): at the first sign-in the\n"
            "  page shows a QR code and its key; add it to any authenticator app (FreeOTP, Google\n"
            "  or Microsoft Authenticator, 1Password, ...) and type the 6-digit code it shows.\n"
        )
    return text


DEMO_USERNAMES = frozenset(username for username, *_ in DEMO_USERS)


class DemoRefused(Exception):
    """Demo data must not go here (the message says why)."""


def check_may_seed(*, engine: Engine, env: str) -> None:
    """Raise DemoRefused unless demo data may go into this database. Only reads, so it can run
    before the migrations (which would already write to a database that is not the demo's)."""
    if env == "production":
        raise DemoRefused(
            "HOTLINE_ENV is production: demo accounts, whose password is public, never go into "
            "a production database"
        )
    others = _other_usernames(engine)
    if others:
        raise DemoRefused(
            f"the database holds {len(others)} account(s) that the demo did not create "
            f"({', '.join(sorted(others)[:3])}): the demo only goes into a database of its own "
            "(hotline demo --database sqlite:///./hotline-demo.db)"
        )


def _other_usernames(engine: Engine) -> list[str]:
    inspector = sa.inspect(engine)
    if not inspector.has_table("users"):
        return []
    users = sa.table("users", sa.column("username", sa.String), sa.column("demo", sa.Boolean))
    query = sa.select(users.c.username)
    if any(column["name"] == "demo" for column in inspector.get_columns("users")):
        query = query.where(sa.not_(users.c.demo))
    else:  # not migrated yet: the migration marks the demo's own by their public password
        query = query.where(users.c.username.not_in(DEMO_USERNAMES))
    with engine.connect() as connection:
        return list(connection.scalars(query))


def demo_accounts_left(*, session: Session) -> list[str]:
    """Demo accounts that can still sign in (with the public password)."""
    query = select(User.username).where(col(User.demo), col(User.active))
    return list(session.exec(query.order_by(col(User.username))))


def remove_demo(*, session: Session, now: datetime) -> list[str]:
    """Disable every demo account for good: inactive, an unknown password, no second factor.
    (Not deleted: calls, notes and audit entries may point at them.)"""
    removed = []
    for user in session.exec(select(User).where(col(User.demo), col(User.active))):
        auth.reset_totp(session=session, user=user, now=now)
        auth.set_active(session=session, user=user, active=False, now=now)
        user.password_hash = auth.hash_password(secrets.token_urlsafe(32))
        session.add(user)
        removed.append(user.username)
    session.flush()
    return removed


def seed_demo(*, session: Session, now: datetime) -> list[str]:
    """Create what is missing; returns the usernames (all of them, for printing).

    Raises DemoRefused, writing nothing, when the database holds accounts of its own."""
    real = session.exec(select(User.username).where(~col(User.demo))).first()
    if real is not None:
        raise DemoRefused(f"the database holds accounts that the demo did not create ({real})")
    for data in DEMO_LINES:
        if lines.get_by_number(session=session, number=data.number) is None:
            lines.create_line(session=session, data=data)
    for username, name, role, endpoint, languages in DEMO_USERS:
        if auth.get_by_username(session=session, username=username) is None:
            user = auth.create_user(
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
            user.demo = True
            session.add(user)
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
