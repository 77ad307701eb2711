"""Shared by the policies tests: signed-in clients, rows read back, the form as posted."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import col, select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role
from hotline.escalation.models import EscalationPolicy
from hotline.rota import service as rota
from hotline.rota.schemas import ScheduleCreate
from hotline.simulator.console_client import csrf_from
from tests.factories import PASSWORD, make_user
from tests.security.helpers import client, post_login
from tests.stack import Stack


def signed_in(stack: Stack, username: str, role: Role | None = None) -> tuple[httpx.Client, str]:
    if role is not None:
        make_user(stack.db, username, role=role)
    http = client(stack)
    assert post_login(http, username, PASSWORD).status_code == 303
    return http, csrf_from(
        http.get("/console/drills?lang=en").text
    ) if role != Role.counselor else ""


def admin(stack: Stack) -> tuple[httpx.Client, str]:
    http, _token = signed_in(stack, "root", Role.admin)
    return http, csrf_from(http.get("/admin/policies/new?lang=en").text)


def form(
    token: str,
    name: str,
    steps: list[tuple[list[str], list[str], str]],
    *,
    repeat: str = "2",
    line_ids: list[int] | None = None,
    action: str = "save",
) -> dict[str, Any]:
    """The policy form: each step is (targets, channels, wait minutes)."""
    return {
        "csrf_token": token,
        "name": name,
        "repeat": repeat,
        "step": [str(i) for i in range(len(steps))],
        "targets": [f"{i}|{t}" for i, (targets, _c, _w) in enumerate(steps) for t in targets],
        "channels": [f"{i}|{c}" for i, (_t, channels, _w) in enumerate(steps) for c in channels],
        "wait": [wait for _t, _c, wait in steps],
        "line_ids": [str(i) for i in line_ids or []],
        "action": action,
    }


def policies(stack: Stack) -> list[EscalationPolicy]:
    with stack.db.session() as session:
        rows = session.exec(select(EscalationPolicy).order_by(col(EscalationPolicy.id))).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def audit(stack: Stack, object_type: str) -> list[AuditEvent]:
    with stack.db.session() as session:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type)
            .order_by(col(AuditEvent.id))
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def empty_schedule(stack: Stack, name: str) -> int:
    """A crisis schedule with nobody on call in it (no rotation yet)."""
    with stack.db.session() as session:
        schedule = rota.create_schedule(
            session=session,
            data=ScheduleCreate.model_validate(
                {"name": name, "purpose": "crisis", "timezone": "Asia/Shanghai"}
            ),
        )
        assert schedule.id is not None
        return schedule.id
