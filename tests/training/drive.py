"""Helpers for the training tests: qualifications, courses and sessions through the services."""

from __future__ import annotations

from datetime import date, datetime

from hotline.auth.models import Role, User
from hotline.db import Database
from hotline.training import service as training
from hotline.training.models import Course, Qualification
from tests.factories import make_user


def admin(db: Database) -> User:
    return make_user(db, "trainer-admin", role=Role.admin)


def qualification(db: Database, by: User, now: datetime, name: str = "crisis intervention") -> int:
    with db.session() as session:
        row: Qualification = training.create_qualification(
            session=session, name=name, by=by, now=now
        )
        return row.id or 0


def grant(db: Database, by: User, now: datetime, user: User, qid: int, until: date | None) -> None:
    with db.session() as session:
        training.grant_qualification(
            session=session,
            user_id=user.id or 0,
            qualification_id=qid,
            valid_until=until,
            by=by,
            now=now,
        )


def require(db: Database, by: User, now: datetime, line_id: int, qids: list[int]) -> None:
    with db.session() as session:
        training.set_line_requirements(
            session=session,
            line_id=line_id,
            qualification_ids=qids,
            confirmed=True,
            by=by,
            now=now,
        )


def course(
    db: Database,
    by: User,
    now: datetime,
    name: str = "Crisis intervention basics",
    *,
    minutes: int = 180,
    grants: int | None = None,
    days: int | None = None,
) -> int:
    with db.session() as session:
        row: Course = training.create_course(
            session=session,
            name=name,
            kind="crisis",
            minutes=minutes,
            grants_qualification_id=grants,
            grants_days=days,
            by=by,
            now=now,
        )
        return row.id or 0
