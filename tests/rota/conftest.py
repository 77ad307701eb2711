"""Rota fixtures: a migrated database (SQLite and PostgreSQL) and a few people on the team."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from hotline.auth.models import Role
from hotline.clock import FakeClock
from hotline.db import Database
from hotline.rota import service as rota
from hotline.rota.models import Rotation, SchedulePurpose
from hotline.rota.schemas import RotationCreate, ScheduleCreate
from hotline.simulator.console_client import csrf_from
from tests.factories import PASSWORD, make_user
from tests.stack import running_stack


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


# --- the real application over HTTP --------------------------------------------------------------

SECRET = "test-secret-key-that-is-long-enough-000"


@dataclass
class Api:
    url: str
    db: Database
    clock: FakeClock


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    """The real application (no simulator needed), its clock at 10:00 in Shanghai."""
    with running_stack(database_url, with_simulator=False) as stack:
        stack.clock.advance((utc("2026-11-03 02:00") - stack.clock.now()).total_seconds())
        assert stack.settings.secret_key == SECRET
        yield Api(stack.url, stack.db, stack.clock)


class Client:
    """A signed-in person with the CSRF header on every change."""

    def __init__(self, api: Api, username: str) -> None:
        self.http = httpx.Client(base_url=api.url, timeout=10)
        page = self.http.get("/login")
        signed_in = self.http.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
        )
        assert signed_in.status_code == 303
        page = self.http.get("/rota?lang=en", follow_redirects=True)
        assert page.status_code == 200, page.text[-3000:]
        self.token = csrf_from(page.text)

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.http.get(path, params=params)

    def post(self, path: str, body: dict[str, Any], *, csrf: bool = True) -> httpx.Response:
        headers = {"X-CSRF-Token": self.token} if csrf else {}
        return self.http.post(path, json=body, headers=headers)

    def patch(self, path: str, body: dict[str, Any], *, csrf: bool = True) -> httpx.Response:
        headers = {"X-CSRF-Token": self.token} if csrf else {}
        return self.http.patch(path, json=body, headers=headers)

    def delete(self, path: str, *, csrf: bool = True) -> httpx.Response:
        headers = {"X-CSRF-Token": self.token} if csrf else {}
        return self.http.delete(path, headers=headers)
