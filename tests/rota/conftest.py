"""Rota fixtures: a migrated database (SQLite and PostgreSQL) and a few people on the team."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hotline.auth.models import Role
from hotline.db import Database, make_engine
from hotline.rota import service as rota
from hotline.rota.models import Rotation, SchedulePurpose
from hotline.rota.schemas import RotationCreate, ScheduleCreate
from tests.factories import make_user


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(make_engine(database_url))
    yield database
    database.engine.dispose()


@dataclass
class Team:
    db: Database
    a: int
    b: int
    c: int
    d: int
    boss: int

    def schedule(
        self,
        name: str = "Crisis team",
        *,
        timezone: str | None = None,
        purpose: SchedulePurpose = SchedulePurpose.crisis,
    ) -> int:
        fields: dict[str, Any] = {"name": name, "purpose": purpose}
        if timezone is not None:
            fields["timezone"] = timezone
        with self.db.session() as session:
            schedule = rota.create_schedule(session=session, data=ScheduleCreate(**fields))
            assert schedule.id is not None
            return schedule.id

    def rotation(
        self, schedule_id: int, members: list[int], start_date: date, **fields: Any
    ) -> Rotation:
        data = RotationCreate(
            name=fields.pop("name", "rotation"),
            member_ids=members,
            start_date=start_date,
            **fields,
        )
        with self.db.session() as session:
            return rota.add_rotation(session=session, schedule_id=schedule_id, data=data)

    def on_call(self, schedule_id: int, at: datetime) -> list[int]:
        with self.db.session() as session:
            return rota.on_call(session=session, schedule_id=schedule_id, at=at)


@pytest.fixture
def team(db: Database) -> Team:
    def person(name: str, role: Role) -> int:
        user_id = make_user(db, name, role=role).id
        assert user_id is not None
        return user_id

    a, b, c, d = (person(name, Role.crisis) for name in ("alice", "bob", "carol", "dave"))
    return Team(db, a, b, c, d, boss=person("sue", Role.supervisor))


def utc(text: str) -> datetime:
    """'2026-11-02 01:00' read as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text: str, zone: str = "Asia/Shanghai") -> datetime:
    """A wall-clock time that exists exactly once in `zone`, as a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
