"""The web chat over a real websocket: the page is answered at once (the emergency numbers
first), queued, offered to a counselor in the console, and both sides talk; a dropped socket
resumes with the token; a closed line stores nothing. Both databases, the clock faked."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from sqlmodel import Session, col, select
from websockets.sync.client import ClientConnection, connect

from hotline.auth.models import User
from hotline.calls.models import Call, CallState, Channel
from hotline.conversations import service as conversations
from hotline.conversations.models import ConversationMessage
from hotline.lines import service as lines
from hotline.lines.models import Line
from hotline.simulator.console_client import ConsoleClient
from tests.factories import PASSWORD, make_line, make_user
from tests.stack import Stack

CLOSED_ALL_WEEK = {day: [["03:00", "03:01"]] for day in lines.WEEKDAYS}
Frame = dict[str, Any]


class Page:
    """What the web chat page does, over the same protocol."""

    def __init__(self, stack: Stack, line_id: int, resume: str | None = None) -> None:
        url = stack.url.replace("http://", "ws://") + f"/chat/{line_id}/ws"
        self.ws: ClientConnection = connect(url, open_timeout=10)
        self.ws.send(json.dumps({"type": "hello", "resume": resume}))
        self.ready = self.until(lambda f: f["type"] == "ready")
        self.token: str = self.ready["resume"]
        self.messages: list[Frame] = list(self.ready["messages"])
        self.counter = 0

    def until(self, predicate: Callable[[Frame], bool], timeout: float = 10.0) -> Frame:
        while True:
            frame = json.loads(self.ws.recv(timeout=timeout))
            if frame["type"] == "message":
                self.messages.append(frame)
            if frame["type"] == "resume":
                self.token = frame["resume"]
            if predicate(frame):
                return frame

    def say(self, body: str, page_id: str | None = None) -> None:
        self.counter += 1
        self.ws.send(
            json.dumps({"type": "message", "id": page_id or f"m{self.counter}", "body": body})
        )

    def status(self, state: str) -> Frame:
        return self.until(lambda f: f["type"] == "status" and f["state"] == state)

    def close(self) -> None:
        self.ws.close()


def say(session: Session, user: User, call_id: int, body: str, stack: Stack) -> None:
    conversations.reply(
        session=session, user=user, call_id=call_id, body=body, now=stack.clock.now()
    )


def test_a_person_on_the_web_chat_talks_with_a_counselor(stack: Stack) -> None:
    line = make_line(stack.db)
    make_user(stack.db, "alice")
    console = ConsoleClient(stack.url, "alice", PASSWORD)
    page = Page(stack, line.id or 0)
    assert page.ready["state"] == "none" and page.messages == []

    page.say("我最近很难受")
    page.status("waiting")
    welcome = [m for m in page.messages if m["sender"] == "line"]
    assert welcome and "110" in welcome[0]["body"]
    assert [m["body"] for m in page.messages if m["sender"] == "person"] == ["我最近很难受"]

    console.send("set_state", state="available", reason=None)
    offer = console.offer()
    assert offer["channel"] == "webchat"
    console.send("accept", call_id=offer["call_id"])
    page.status("live")
    snap = console.wait(lambda s: bool(s.get("conversations")))
    assert snap["agent"]["state"] == "chatting"
    page.ws.send(json.dumps({"type": "typing"}))  # the counselor's console is told, once
    assert console.signal("typing") == {"type": "typing", "call_id": offer["call_id"]}

    with stack.db.session() as session:
        alice = session.exec(select(Call)).one()
        assert alice.channel == Channel.webchat and alice.state == CallState.connected
        user = session.exec(select(User).where(User.username == "alice")).one()
        answer = conversations.reply(
            session=session,
            user=user,
            call_id=offer["call_id"],
            body="我在，慢慢说",
            now=stack.clock.now(),
        )
    reply = page.until(lambda f: f["type"] == "message" and f["sender"] == "counselor")
    assert reply["body"] == "我在，慢慢说"
    # Each message reaches the counselor's console as a frame with what it lacks, read by the
    # socket (the bus carries ids and a count: test_api.py): the first, the whole transcript,
    # then what is newer; the reply leaves nothing unanswered; the person's next message is one
    # waiting.
    first = console.signal("conversation_message")
    assert first["after"] == 0
    assert [m["body"] for m in first["messages"] if m["sender"] == "person"] == ["我最近很难受"]
    of_reply = console.signal(
        "conversation_message", where=lambda s: s["last_message_id"] == answer.id
    )
    assert {k: v for k, v in of_reply.items() if k not in {"messages", "after"}} == {
        "type": "conversation_message",
        "call_id": offer["call_id"],
        "last_message_id": answer.id,
        "unread": 0,
    }
    assert 0 < of_reply["after"] < (answer.id or 0)
    assert [(m["sender"], m["body"]) for m in of_reply["messages"]] == [
        ("counselor", "我在，慢慢说")
    ]
    page.say("谢谢你")
    theirs = console.signal(
        "conversation_message", where=lambda s: s["last_message_id"] > (answer.id or 0)
    )
    assert theirs["unread"] == 1 and theirs["after"] == answer.id
    assert [(m["sender"], m["body"]) for m in theirs["messages"]] == [("person", "谢谢你")]

    # The network drops; the page comes back with its token and misses nothing.
    page.close()
    with stack.db.session() as session:
        conversations.reply(
            session=session,
            user=user,
            call_id=offer["call_id"],
            body="你还在吗",
            now=stack.clock.now(),
        )
    again = Page(stack, line.id or 0, resume=page.token)
    assert again.ready["state"] == "live"
    assert [m["body"] for m in again.messages if m["sender"] == "counselor"] == [
        "我在，慢慢说",
        "你还在吗",
    ]
    # An admin deactivating the line meanwhile cuts off no conversation under way; and a
    # message the page sent again after the drop (same page id) is stored once.
    with stack.db.session() as session:
        closing = session.get(Line, line.id)
        assert closing is not None
        closing.active = False
        session.add(closing)
    again.say("在", page_id="x1")
    again.say("在", page_id="x1")
    again.until(lambda f: f["type"] == "status")
    again.until(lambda f: f["type"] == "status")
    with stack.db.session() as session:
        mine = session.exec(
            select(ConversationMessage)
            .where(ConversationMessage.sender == "person")
            .order_by(col(ConversationMessage.id))
        ).all()
        assert [m.body for m in mine] == ["我最近很难受", "谢谢你", "在"]

    console.send("hangup", call_id=offer["call_id"])
    again.status("ended")
    console.close()
    again.close()


def test_a_closed_line_gives_the_emergency_numbers_and_keeps_nothing(stack: Stack) -> None:
    line = make_line(stack.db, opening_hours=CLOSED_ALL_WEEK, partner_number="+8612356")
    page = Page(stack, line.id or 0)
    page.say("有人吗")
    closed = page.until(lambda f: f["type"] == "closed")
    assert "110" in closed["body"] and "+8612356" in closed["body"]
    with stack.db.session() as session:
        assert session.exec(select(Call)).all() == []
        assert session.exec(select(ConversationMessage)).all() == []
    page.close()


def test_one_address_starts_only_so_many_conversations(database_url: str) -> None:
    from tests.stack import running_stack

    with running_stack(
        database_url, with_simulator=False, run_engine=False, webchats_per_address=2
    ) as stack:
        line = make_line(stack.db)
        pages = [Page(stack, line.id or 0) for _ in range(3)]
        for page in pages[:2]:  # one after the other: the sockets' order is not the server's
            page.say("hello")
            page.status("waiting")
        pages[2].say("hello")
        refused = pages[2].until(lambda f: f["type"] == "error")
        assert refused["code"] == "too_many_chats"
        with stack.db.session() as session:
            assert len(session.exec(select(Call)).all()) == 2
        # Ten minutes on (the fake clock), the address may start one again.
        stack.clock.advance(seconds=601)
        pages[2].say("hello again", page_id="m-again")
        pages[2].status("waiting")
        # A conversation under way is not a new one: its person writes on.
        pages[0].say("still there?")
        pages[0].until(lambda f: f["type"] == "message" and f["body"] == "still there?")
        for page in pages:
            page.close()


def test_the_page_is_anonymous_and_an_unknown_line_is_refused(stack: Stack) -> None:
    line = make_line(stack.db)
    page = httpx.get(f"{stack.url}/chat/{line.id}?lang=en", timeout=10)
    assert page.status_code == 200
    assert "set-cookie" not in page.headers
    assert "call 110" in page.text.lower() or "110" in page.text
    assert httpx.get(f"{stack.url}/chat/9999", timeout=10).status_code == 404
    url = stack.url.replace("http://", "ws://") + "/chat/9999/ws"
    with connect(url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "resume": None}))
        try:
            ws.recv(timeout=10)
            closed_code = None
        except Exception:  # noqa: BLE001 - closed by the server, as expected
            closed_code = ws.close_code
    assert closed_code == 4404
