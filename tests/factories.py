"""Test data, made through the same service functions the app uses."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from hotline.auth import service as auth
from hotline.auth.models import Role, User, UserCreate
from hotline.db import Database
from hotline.lines import service as lines
from hotline.lines.models import Line, LineCreate
from hotline.rota import service as rota
from hotline.rota.models import SchedulePurpose, ShiftKind
from hotline.rota.schemas import RotationCreate, ScheduleCreate

PASSWORD = "correct-horse-battery"
_numbers = itertools.count(1)


def make_line(
    db: Database,
    *,
    number: str = "+8657796525",
    languages: list[str] | None = None,
    **fields: object,
) -> Line:
    # No follow-up series unless a test asks for one (tests/followups/test_series.py): most
    # tests count on one follow-up per call, completed when the caller is reached.
    fields.setdefault("follow_up_schedule", "")
    data = LineCreate(
        number=number, name=f"Line {number}", languages=languages or ["zh_CN", "en"], **fields
    )  # type: ignore[arg-type]
    with db.session() as session:
        return lines.create_line(session=session, data=data)


def make_user(
    db: Database,
    username: str,
    *,
    role: Role = Role.counselor,
    endpoint: str | None = None,
    languages: list[str] | None = None,
    line_ids: list[int] | None = None,
) -> User:
    data = UserCreate(
        username=username,
        display_name=username.title(),
        role=role,
        password=PASSWORD,
        endpoint=endpoint or f"+86139{next(_numbers):08d}",
        languages=languages or ["zh_CN", "en"],
        line_ids=line_ids or [],
        locale="en",
    )
    with db.session() as session:
        return auth.create_user(session=session, data=data, now=datetime.now(UTC))


def make_rota(db: Database, purpose: str, members: list[User], *, name: str | None = None) -> int:
    """A schedule with one weekly rotation of `members` (on call from 2026 on); its id."""
    with db.session() as session:
        schedule = rota.create_schedule(
            session=session,
            data=ScheduleCreate(
                name=name or f"{purpose} rota",
                purpose=SchedulePurpose(purpose),
                timezone="Asia/Shanghai",
            ),
        )
        assert schedule.id is not None
        rota.add_rotation(
            session=session,
            schedule_id=schedule.id,
            data=RotationCreate(
                name="main",
                layer=0,
                shift=ShiftKind.weekly,
                handoff_time="09:00",
                start_date=date(2026, 1, 1),
                member_ids=[m.id for m in members if m.id is not None],
            ),
        )
        return schedule.id
