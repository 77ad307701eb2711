"""Test data, made through the same service functions the app uses."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from hotline.auth import service as auth
from hotline.auth.models import Role, User, UserCreate
from hotline.db import Database
from hotline.lines import service as lines
from hotline.lines.models import Line, LineCreate

PASSWORD = "correct-horse-battery"
_numbers = itertools.count(1)


def make_line(
    db: Database,
    *,
    number: str = "+8657796525",
    languages: list[str] | None = None,
    **fields: object,
) -> Line:
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
