"""Supervisors' read-along, private note and take-over through the running app, on both
databases: who may do each (and the audit of each), the counselor's console told and emptied,
two supervisors taking over at the same moment (one wins), and the read-along socket."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import select
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from hotline.audit.models import AuditAction, AuditEvent
from hotline.auth.models import Role
from hotline.calls.models import Call
from hotline.conversations import service as conversations
from hotline.conversations.models import Sender
from tests.conversations.test_api import begin, held_by
from tests.factories import make_line, make_user
from tests.notes.test_api import NoteClient
from tests.stack import Stack


@pytest.fixture
def talk(quiet_app: Stack) -> tuple[Stack, int, int]:
    line = make_line(quiet_app.db)
    alice = make_user(quiet_app.db, "alice")
    make_user(quiet_app.db, "bob")
    make_user(quiet_app.db, "wang", role=Role.supervisor)
    make_user(quiet_app.db, "root", role=Role.admin)
    call_id = begin(quiet_app, line, "p1", "I feel alone")
    held_by(quiet_app, alice, call_id)
    assert alice.id is not None
    return quiet_app, call_id, alice.id


def audited(stack: Stack) -> list[tuple[AuditAction, str | None, str | None, str | None]]:
    with stack.db.session() as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.object_type == "conversation")
        ).all()
        return [(a.action, a.object_id, a.username, a.detail) for a in rows]


def test_a_private_note_and_a_take_over(talk: tuple[Stack, int, int]) -> None:
    stack, call_id, alice_id = talk
    alice, bob, wang = (NoteClient(stack, name) for name in ("alice", "bob", "wang"))
    alice.console.wait(lambda s: len(s["conversations"]) == 1)
    notes = f"/api/conversations/{call_id}/notes"
    # Only supervisors write a private note; it reaches the counselor's transcript.
    assert alice.post(notes, {"body": "x"}).status_code == 403
    assert bob.post(notes, {"body": "x"}).status_code == 403
    assert wang.post(notes, {"body": "  "}).status_code == 422
    assert wang.http.post(notes, json={"body": "x"}).status_code == 403  # no CSRF token
    sent = wang.post(notes, {"body": "Ask about sleep"})
    assert sent.status_code == 201, sent.text
    assert sent.json()["sender"] == "supervisor" and sent.json()["delivery"] == "private"
    assert sent.json()["author"] == "Wang"
    read = alice.get(f"/api/conversations/{call_id}/messages").json()["messages"]
    assert ("supervisor", "Ask about sleep") in [(m["sender"], m["body"]) for m in read]

    # Taking over: only supervisors, naming whom they saw holding it.
    take = f"/api/conversations/{call_id}/take-over"
    assert alice.post(take, {"from_user_id": alice_id}).status_code == 403
    assert bob.post(take, {"from_user_id": alice_id}).status_code == 403
    assert wang.post(take, {}).status_code == 422
    assert wang.http.post(take, json={"from_user_id": alice_id}).status_code == 403
    taken = wang.post(take, {"from_user_id": alice_id})
    assert taken.status_code == 200, taken.text
    assert taken.json() == {"call_id": call_id, "state": "connected"}
    # The counselor's console: told, and the conversation is gone from it.
    alice.console.wait(lambda s: s["conversations"] == [] and s["agent"]["state"] == "available")
    assert "taken_over" in [e["code"] for e in alice.console.errors]
    # The supervisor's console lists it; he answers, she may not.
    wang.console.wait(
        lambda s: (
            [c["call_id"] for c in s["conversations"]] == [call_id]
            and s["agent"]["state"] == "chatting"
        )
    )
    path = f"/api/conversations/{call_id}/messages"
    assert wang.post(path, {"body": "I am here."}).status_code == 201
    assert alice.post(path, {"body": "still me"}).status_code == 403
    assert wang.post(take, {"from_user_id": alice_id}).status_code == 409  # his already
    assert audited(stack) == [
        (AuditAction.edit, str(call_id), "wang", "private_note"),
        (AuditAction.edit, str(call_id), "wang", "take_over"),
    ]
    for client in (alice, bob, wang):
        client.console.close()


def test_two_supervisors_at_the_same_moment_one_wins(talk: tuple[Stack, int, int]) -> None:
    stack, call_id, alice_id = talk
    wang, root = NoteClient(stack, "wang"), NoteClient(stack, "root")
    barrier = threading.Barrier(2)
    take = f"/api/conversations/{call_id}/take-over"

    def go(client: NoteClient) -> httpx.Response:
        barrier.wait(timeout=10)
        return client.post(take, {"from_user_id": alice_id})

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(go, [wang, root]))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.json()["code"] == "taken_already"
    winner = "wang" if answers[0].status_code == 200 else "root"
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        assert call.counselor_id is not None
        told = [
            m.body
            for m in conversations.transcript(session=session, call_id=call_id)[3:]
            if m.sender == Sender.line  # after the welcome, the person and who answered
        ]
        assert len(told) == 1 and winner.title() in told[0]
    assert [(d, u) for _a, _o, u, d in audited(stack)] == [("take_over", winner)]
    wang.console.close()
    root.console.close()


def read_along(stack: Stack, client: NoteClient, call_id: int) -> object:
    url = stack.url.replace("http://", "ws://") + f"/ws/conversations/{call_id}"
    return connect(url, additional_headers={"Cookie": client.console.cookie}, open_timeout=10)


def test_the_read_along_socket(talk: tuple[Stack, int, int]) -> None:
    stack, call_id, alice_id = talk
    wang, alice = NoteClient(stack, "wang"), NoteClient(stack, "alice")
    with read_along(stack, alice, call_id) as ws:  # type: ignore[attr-defined]
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    with read_along(stack, wang, call_id) as ws:  # type: ignore[attr-defined]
        first = json.loads(ws.recv(timeout=10))
        assert first["type"] == "conversation" and first["state"] == "live"
        assert first["counselor_id"] == alice_id and first["counselor_name"] == "Alice"
        assert first["mine"] is False and first["channel"] == "webchat"
        with stack.db.session() as session:  # the person writes
            call = session.get(Call, call_id)
            assert call is not None
            conversations.receive(
                session=session, call=call, body="are you there?", now=stack.clock.now()
            )
        while True:
            later = json.loads(ws.recv(timeout=10))
            if (
                later["type"] == "conversation"
                and later["last_message_id"] != first["last_message_id"]
            ):
                break
        assert later["last_message_id"] > first["last_message_id"]
    # The page: supervisors only; a voice call or no call is not found.
    assert wang.get(f"/supervisor/conversations/{call_id}").status_code == 200
    assert wang.get("/supervisor/conversations/99999").status_code == 404
    assert alice.http.get(f"/supervisor/conversations/{call_id}").status_code == 403
    wang.console.close()
    alice.console.close()
