"""Shared steps of the dial-back tests: a line, a counselor with a follow-up to call back."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import httpx
from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.auth.models import User
from hotline.calls.models import Call, CallEvent, CallState
from hotline.dialback.models import DialBack
from hotline.escalation.models import EscalationLog
from hotline.followups.models import FollowUp
from hotline.lines.models import Line
from hotline.simulator.console_client import ConsoleClient, csrf_from
from tests.factories import PASSWORD, make_line, make_user
from tests.followups.drive import CALLBACK, note_fields
from tests.review.drive import write_note
from tests.stack import Stack

LINE = "+8657796525"
_sids = itertools.count(1)
# Every way the number could be written out.
NUMBER_FORMS = (CALLBACK, CALLBACK.lstrip("+"), CALLBACK[3:])


class Counselor:
    """A signed-in counselor (console bot and HTTP session with the CSRF header), keeping every
    answer they got to look for the number in."""

    def __init__(self, stack: Stack, username: str) -> None:
        self.console = ConsoleClient(stack.url, username, PASSWORD)
        self.http: httpx.Client = self.console.http
        self.token = csrf_from(self.http.get("/console").text)
        self.seen: list[str] = []

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        answer = self.http.post(path, json=body or {}, headers={"X-CSRF-Token": self.token})
        self.seen.append(answer.text)
        return answer

    def get(self, path: str) -> httpx.Response:
        answer = self.http.get(path)
        self.seen.append(answer.text)
        return answer

    def dial_back(self, follow_up_id: int) -> httpx.Response:
        return self.post(f"/api/dialbacks/followups/{follow_up_id}")

    def wait_state(self, stack: Stack, dial_back_id: int, *states: str) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            body: dict[str, Any] = self.get(f"/api/dialbacks/{dial_back_id}").json()
            return body if body["state"] in states else None

        found: dict[str, Any] = stack.simulator.wait_for(reached, timeout=10, interval=0.1)
        return found


def follow_up_of(stack: Stack, line: Line, user: User, **fields: Any) -> FollowUp:
    """A finished call of `user`'s (stored as routing leaves it, so the running engine has
    nothing to do with it) whose note asked for a follow-up, due an hour ago."""
    assert user.id is not None
    submitted = stack.clock.now() - timedelta(hours=25)
    with stack.db.session() as session:
        call = Call(
            call_sid=f"CA{next(_sids):032x}",
            line_id=line.id or 0,
            caller_hash=f"hash-{next(_sids)}",
            state=CallState.completed,
            counselor_id=user.id,
            created_at=submitted - timedelta(minutes=30),
            connected_at=submitted - timedelta(minutes=29),
            ended_at=submitted - timedelta(minutes=5),
            completed_at=submitted,
        )
        session.add(call)
        session.flush()
        call_id = call.id
    assert call_id is not None
    write_note(
        stack.db,
        user,
        call_id,
        submitted,
        submit=True,
        **note_fields(stack.db, within="24h", **fields),
    )
    with stack.db.session() as session:
        found = session.exec(select(FollowUp).where(FollowUp.call_id == call_id)).one()
        return found


def follow_up_for(stack: Stack, username: str = "alice", **fields: Any) -> tuple[FollowUp, Line]:
    """A line, `username` (a counselor) and a follow-up of theirs, due now."""
    line = make_line(stack.db, number=LINE)
    user = make_user(stack.db, username)
    return follow_up_of(stack, line, user, **fields), line


def dial_back(stack: Stack, dial_back_id: int) -> DialBack:
    with stack.db.session() as session:
        found = session.get(DialBack, dial_back_id)
        assert found is not None
        return found


def stored_texts(stack: Stack) -> list[str]:
    """What the audit log, the call events and the escalation log keep."""
    with stack.db.session() as session:
        audit = [f"{e.detail} {e.object_id}" for e in session.exec(select(AuditEvent)).all()]
        events = [str(e.detail) for e in session.exec(select(CallEvent)).all()]
        logs = [str(e.detail) for e in session.exec(select(EscalationLog)).all()]
    return audit + events + logs


def assert_no_number(*texts: str) -> None:
    for text in texts:
        for form in NUMBER_FORMS:
            assert form not in text
