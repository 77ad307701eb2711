"""The audit log records sign-ins and refuses to be rewritten, on both databases."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from hotline.audit.models import AuditAction, AuditEvent
from hotline.simulator.console_client import csrf_from
from tests.factories import PASSWORD, make_line, make_user
from tests.stack import Stack


def _sign_in(stack: Stack, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=stack.url, timeout=10)
    token = csrf_from(client.get("/login").text)
    client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    return client


def test_sign_in_failure_and_sign_out_are_recorded(app_only: Stack) -> None:
    alice = make_user(app_only.db, "alice")
    _sign_in(app_only, "alice", "not-her-password")
    client = _sign_in(app_only, "alice", PASSWORD)
    token = csrf_from(client.get("/console").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    with app_only.db.session() as session:
        events = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()  # type: ignore[arg-type]
        got = [(e.action, e.user_id, e.username, e.object_type) for e in events]
    assert got == [
        (AuditAction.sign_in_failed, None, "alice", "session"),
        (AuditAction.sign_in, alice.id, "alice", "session"),
        (AuditAction.sign_out, alice.id, "alice", "session"),
    ]
    assert all(e.ip == "127.0.0.1" and e.at is not None for e in events)


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET detail = 'x'", "DELETE FROM audit_log"]
)
def test_the_database_refuses_to_rewrite_the_log(app_only: Stack, statement: str) -> None:
    make_user(app_only.db, "alice")
    _sign_in(app_only, "alice", PASSWORD)
    with pytest.raises(DBAPIError, match="append-only"):
        with app_only.db.session() as session:
            session.execute(text(statement))
    with app_only.db.session() as session:
        assert len(session.exec(select(AuditEvent)).all()) == 1


def test_reading_a_note_a_caller_history_or_an_escalation_is_recorded(app_only: Stack) -> None:
    from hotline.auth.models import Role
    from tests.calls import connected_call
    from tests.notes.test_api import NoteClient

    make_line(app_only.db)
    make_user(app_only.db, "wang", role=Role.supervisor)
    call_id, _ = connected_call(app_only, "CA" + "4" * 32, "alice")
    alice, wang = NoteClient(app_only, "alice"), NoteClient(app_only, "wang")
    assert alice.get(f"/api/calls/{call_id}/note").status_code == 200
    escalation = alice.post(f"/api/calls/{call_id}/escalate", {"reason": "audit"}).json()["id"]
    assert wang.get(f"/api/calls/{call_id}/history").status_code == 200
    assert wang.get(f"/api/escalations/{escalation}").status_code == 200
    with app_only.db.session() as session:
        views = [
            (e.username, e.object_type, e.object_id)
            for e in session.exec(
                select(AuditEvent)
                .where(AuditEvent.action == AuditAction.view)
                .order_by(AuditEvent.id)  # type: ignore[arg-type]
            )
        ]
    assert views == [
        ("alice", "note", str(call_id)),
        ("wang", "caller_history", str(call_id)),
        ("wang", "escalation", str(escalation)),
    ]
