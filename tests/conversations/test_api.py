"""The conversations' JSON API against the running app, on both databases: who reads a
transcript (a supervisor's read is audited), who may answer, and 'typing' reaching the
conversation's topic."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import col, select

from hotline.audit.models import AuditAction, AuditEvent
from hotline.auth.models import Role, User
from hotline.calls.models import Call, Channel
from hotline.conversations import service as conversations
from hotline.conversations.models import ConversationMessage, Delivery, Sender
from hotline.lines.models import Line
from hotline.realtime.bus import LocalBus
from hotline.realtime.events import agent_topic
from hotline.routing import service as routing
from hotline.routing.models import AgentState
from tests.factories import make_line, make_user
from tests.notes.test_api import NoteClient
from tests.stack import Stack


def begin(
    stack: Stack, line: Line, sender: str, body: str, channel: Channel = Channel.webchat
) -> int:
    with stack.db.session() as session:
        call = conversations.begin(
            session=session,
            line=line,
            channel=channel,
            sender_hash=sender,
            body=body,
            now=stack.clock.now(),
            max_wait_s=600,
        )
        assert call.id is not None
        return call.id


def held_by(stack: Stack, user: User, call_id: int) -> None:
    """`user` goes available, is offered the conversation and accepts it."""
    with stack.db.session() as session:
        routing.set_presence(
            session=session,
            user=user,
            state=AgentState.available,
            reason=None,
            now=stack.clock.now(),
        )
    stack.dispatcher.tick()
    with stack.db.session() as session:
        call = routing.accept(
            session=session, user=user, call_id=call_id, now=stack.clock.now(), connect_timeout_s=45
        )
        conversations.accepted(session=session, call=call, user=user, now=stack.clock.now())


@pytest.fixture
def talk(quiet_app: Stack) -> tuple[Stack, int]:
    line = make_line(quiet_app.db)
    alice = make_user(quiet_app.db, "alice")
    make_user(quiet_app.db, "bob")
    make_user(quiet_app.db, "wang", role=Role.supervisor)
    call_id = begin(quiet_app, line, "p1", "I feel alone")
    held_by(quiet_app, alice, call_id)
    return quiet_app, call_id


def test_the_counselor_reads_and_answers_their_conversation(talk: tuple[Stack, int]) -> None:
    stack, call_id = talk
    alice = NoteClient(stack, "alice")
    sent = alice.post(f"/api/conversations/{call_id}/messages", {"body": "  I am here.  "})
    assert sent.status_code == 201, sent.text
    assert sent.json()["sender"] == "counselor" and sent.json()["author"] == "Alice"
    assert sent.json()["delivery"] == "sent"  # web chat: the bus carries it

    read = alice.get(f"/api/conversations/{call_id}/messages")
    assert read.status_code == 200, read.text
    assert read.headers["cache-control"] == "no-store"
    shown = [(m["sender"], m["body"]) for m in read.json()["messages"]]
    assert shown[0] == ("person", "I feel alone")
    assert [sender for sender, _ in shown[1:-1]] == ["line", "line"]  # welcome, who answered
    assert shown[-1] == ("counselor", "I am here.")
    assert read.json()["channel"] == "webchat" and read.json()["state"] == "connected"
    with stack.db.session() as session:
        stored = session.exec(
            select(ConversationMessage).where(ConversationMessage.sender == Sender.counselor)
        ).one()
        assert stored.body == "I am here." and stored.delivery == Delivery.sent
        # The counselor's own reads are not audit entries; nothing else is either.
        assert not session.exec(
            select(AuditEvent).where(AuditEvent.object_type == "conversation")
        ).all()
    alice.console.close()


def test_a_read_after_an_id_brings_only_what_the_reader_lacks(talk: tuple[Stack, int]) -> None:
    stack, call_id = talk
    alice = NoteClient(stack, "alice")
    path = f"/api/conversations/{call_id}/messages"
    whole = alice.get(path).json()
    assert whole["after"] is None and len(whole["messages"]) == 3  # theirs, welcome, who answered
    last = whole["messages"][-1]["id"]
    assert alice.get(f"{path}?after={last}").json()["messages"] == []
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        conversations.receive(session=session, call=call, body="still here?", now=stack.clock.now())
    newer = alice.get(f"{path}?after={last}").json()
    assert newer["after"] == last
    assert [(m["sender"], m["body"]) for m in newer["messages"]] == [("person", "still here?")]
    assert alice.get(f"{path}?after=-1").status_code == 422
    alice.console.close()


def test_an_sms_read_after_an_id_brings_back_what_may_still_be_delivered(quiet_app: Stack) -> None:
    stack = quiet_app
    line = make_line(stack.db)
    alice = make_user(stack.db, "alice")
    call_id = begin(stack, line, "p-sms", "hello", Channel.sms)
    held_by(stack, alice, call_id)
    with stack.db.session() as session:
        reply = conversations.reply(
            session=session, user=alice, call_id=call_id, body="I am here", now=stack.clock.now()
        )
        reply.delivery = Delivery.sent
        reply.provider_id = "SM-reply"
        session.add(reply)
        others = session.exec(
            select(ConversationMessage).where(col(ConversationMessage.id) != reply.id)
        ).all()
        for other in others:  # the line's words: handed to Twilio and confirmed
            other.delivery = Delivery.delivered if other.sender == Sender.line else other.delivery
            session.add(other)
        newest = reply.id
    client = NoteClient(stack, "alice")
    path = f"/api/conversations/{call_id}/messages?after={newest}"
    assert [(m["body"], m["delivery"]) for m in client.get(path).json()["messages"]] == [
        ("I am here", "sent")  # Twilio may still say it was delivered
    ]
    with stack.db.session() as session:
        conversations.set_delivery(
            session=session, provider_id="SM-reply", delivery=Delivery.delivered
        )
    assert client.get(path).json()["messages"] == []
    client.console.close()


def test_another_counselor_may_neither_read_nor_answer(talk: tuple[Stack, int]) -> None:
    stack, call_id = talk
    bob = NoteClient(stack, "bob")
    assert bob.get(f"/api/conversations/{call_id}/messages").status_code == 403
    refused = bob.post(f"/api/conversations/{call_id}/messages", {"body": "hello"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_yours"
    assert bob.post(f"/api/conversations/{call_id}/typing", {}).status_code == 403
    with stack.db.session() as session:
        assert not session.exec(
            select(ConversationMessage).where(ConversationMessage.sender == Sender.counselor)
        ).all()
    bob.console.close()


def test_a_supervisor_reads_it_and_the_read_is_audited(talk: tuple[Stack, int]) -> None:
    stack, call_id = talk
    with stack.db.session() as session:  # a supervisor's private note, for the counselor only
        session.add(
            ConversationMessage(
                call_id=call_id,
                sender=Sender.supervisor,
                body="Ask about sleep",
                at=stack.clock.now(),
                delivery=Delivery.private,
            )
        )
    wang = NoteClient(stack, "wang")
    read = wang.get(f"/api/conversations/{call_id}/messages")
    assert read.status_code == 200, read.text
    assert "Ask about sleep" in [m["body"] for m in read.json()["messages"]]
    # A supervisor does not answer the person.
    assert wang.post(f"/api/conversations/{call_id}/messages", {"body": "x"}).status_code == 403
    alice = NoteClient(stack, "alice")
    assert "Ask about sleep" in [
        m["body"] for m in alice.get(f"/api/conversations/{call_id}/messages").json()["messages"]
    ]
    with stack.db.session() as session:
        audited = session.exec(
            select(AuditEvent).where(AuditEvent.object_type == "conversation")
        ).all()
        assert [(a.action, a.object_id, a.username) for a in audited] == [
            (AuditAction.view, str(call_id), "wang")
        ]
    wang.console.close()
    alice.console.close()


def test_bad_replies_are_refused_not_failed(talk: tuple[Stack, int]) -> None:
    stack, call_id = talk
    alice = NoteClient(stack, "alice")
    path = f"/api/conversations/{call_id}/messages"
    assert alice.post(path, {"body": "   "}).status_code == 422
    assert alice.post(path, {"body": "x" * 5000}).status_code == 422
    assert alice.post(path, {"text": "hi"}).status_code == 422
    assert alice.post("/api/conversations/99999/messages", {"body": "hi"}).status_code == 404
    no_csrf = alice.http.post(path, json={"body": "hi"})
    assert no_csrf.status_code == 403
    with stack.db.session() as session:
        counselor_messages = session.exec(
            select(ConversationMessage).where(col(ConversationMessage.sender) == Sender.counselor)
        ).all()
        assert counselor_messages == []
    alice.console.send("hangup", call_id=call_id)  # ended: no more replies
    alice.console.wait(lambda s: [c["state"] for c in s.get("conversations") or []] == ["wrap_up"])
    ended = alice.post(path, {"body": "still there?"})
    assert ended.status_code == 409, ended.text
    assert alice.post(f"/api/conversations/{call_id}/typing", {}).status_code == 409
    alice.console.close()


def test_typing_reaches_the_conversations_topic(talk: tuple[Stack, int]) -> None:
    stack, call_id = talk
    bus = stack.db.bus
    assert isinstance(bus, LocalBus)
    alice = NoteClient(stack, "alice")

    async def typed() -> dict[str, object]:
        subscription = bus.subscribe({conversations.chat_topic(call_id)})
        try:
            answer = await asyncio.to_thread(alice.post, f"/api/conversations/{call_id}/typing", {})
            assert answer.status_code == 204, answer.text
            event = await asyncio.wait_for(subscription.get(), timeout=10)
            return event.data
        finally:
            subscription.close()

    assert asyncio.run(typed()) == {"typing": "counselor"}
    with stack.db.session() as session:  # nothing stored
        assert (
            session.exec(
                select(ConversationMessage).where(col(ConversationMessage.user_id).is_not(None))
            ).all()
            == []
        )
    alice.console.close()


def test_a_message_frame_on_the_bus_carries_no_words(talk: tuple[Stack, int]) -> None:
    """The counselor's console socket reads the words where it runs; the bus between instances
    (Redis when there are several) carries ids and a count only."""
    stack, call_id = talk
    bus = stack.db.bus
    assert isinstance(bus, LocalBus)
    with stack.db.session() as session:
        alice = session.exec(select(User).where(User.username == "alice")).one()
    assert alice.id is not None

    async def published() -> dict[str, object]:
        subscription = bus.subscribe({agent_topic(alice.id or 0)})
        try:
            with stack.db.session() as session:
                call = session.get(Call, call_id)
                assert call is not None
                conversations.receive(
                    session=session, call=call, body="no one listens", now=stack.clock.now()
                )
            event = await asyncio.wait_for(subscription.get(), timeout=10)
            return event.data
        finally:
            subscription.close()

    frame = asyncio.run(published())["frame"]
    assert isinstance(frame, dict) and set(frame) == {
        "type",
        "call_id",
        "last_message_id",
        "unread",
        "after",
        "messages",
    }
    assert frame["messages"] is None and frame["unread"] == 2
    assert "listens" not in repr(frame)
