"""The web chat socket against bad input: frames that are not JSON, too long, of an unknown type,
or a message before hello get an error frame, store nothing and leave the socket open; a flood
past the rate limit is refused (not stored) until the minute has passed (the faked clock)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlmodel import func, select
from websockets.sync.client import ClientConnection, connect

from agent_console.webchat.ws import MAX_FRAME
from hotline.calls.models import Call
from hotline.conversations.models import ConversationMessage, Sender
from tests.factories import make_line
from tests.stack import Stack

Frame = dict[str, Any]


def open_socket(stack: Stack, line_id: int) -> ClientConnection:
    return connect(stack.url.replace("http://", "ws://") + f"/chat/{line_id}/ws", open_timeout=10)


def until(ws: ClientConnection, predicate: Callable[[Frame], bool]) -> Frame:
    while True:
        frame: Frame = json.loads(ws.recv(timeout=10))
        if predicate(frame):
            return frame


def error_for(ws: ClientConnection, raw: str) -> str:
    """Send `raw`; the error code that answers it. Commands are answered in order, so the pong
    to a ping sent after it proves the socket is still open. (Status frames may come between:
    the conversation's events reach the page too.)"""
    ws.send(raw)
    ws.send(json.dumps({"type": "ping", "id": 7}))
    codes: list[str] = []
    while True:
        frame = until(ws, lambda f: f["type"] in {"error", "pong", "ready", "resume", "message"})
        if frame["type"] == "pong":
            assert frame == {"type": "pong", "id": 7}
            break
        assert frame["type"] == "error", frame  # nothing was accepted
        codes.append(frame["code"])
    assert len(codes) == 1, codes
    return codes[0]


def said(ws: ClientConnection, body: str) -> None:
    """Wait until the page is sent back its own message (it is stored)."""
    until(ws, lambda f: f["type"] == "message" and f["body"] == body)


def stored(stack: Stack, sender: Sender | None = None) -> tuple[int, int]:
    """How many calls and (the sender's) messages are stored."""
    with stack.db.session() as session:
        calls = session.exec(select(func.count()).select_from(Call)).one()
        query = select(func.count()).select_from(ConversationMessage)
        if sender is not None:
            query = query.where(ConversationMessage.sender == sender)
        return int(calls), int(session.exec(query).one())


def message(body: Any, page_id: Any = "m1") -> str:
    return json.dumps({"type": "message", "id": page_id, "body": body})


def test_malformed_frames_get_an_error_and_store_nothing(stack: Stack) -> None:
    line = make_line(stack.db)
    with open_socket(stack, line.id or 0) as ws:
        assert error_for(ws, message("有人吗")) == "hello_first"
        assert error_for(ws, "{not json") == "bad_message"
        assert error_for(ws, json.dumps(["hello"])) == "bad_message"
        ws.send(json.dumps({"type": "hello", "resume": None}))
        assert until(ws, lambda f: f["type"] == "ready")["state"] == "none"
        assert error_for(ws, json.dumps({"type": "hello", "resume": None})) == "bad_message"
        assert error_for(ws, json.dumps({"type": "shout", "body": "x"})) == "bad_message"
        assert error_for(ws, message("x" * MAX_FRAME)) == "bad_message"  # the frame is too long
        assert error_for(ws, message("   ")) == "bad_message"
        assert error_for(ws, message(42)) == "bad_message"
        assert error_for(ws, message("hi", page_id=None)) == "bad_message"
        assert stored(stack) == (0, 0)
        # The socket still works: a good message begins the conversation.
        ws.send(message("我想找人聊聊"))
        said(ws, "我想找人聊聊")
    assert stored(stack, Sender.person) == (1, 1)


def test_a_flood_is_refused_until_the_minute_has_passed(stack: Stack) -> None:
    line = make_line(stack.db)
    per_minute = stack.settings.texts_per_minute
    with open_socket(stack, line.id or 0) as ws:
        ws.send(json.dumps({"type": "hello", "resume": None}))
        token = until(ws, lambda f: f["type"] == "ready")["resume"]
        for i in range(per_minute):
            ws.send(message(f"第{i}条", page_id=f"m{i}"))
            said(ws, f"第{i}条")
        assert error_for(ws, message("再来一条", page_id="over")) == "too_fast"
        assert stored(stack, Sender.person) == (1, per_minute)
        # The limit is the person's, not the socket's: another tab resuming is refused too.
        with open_socket(stack, line.id or 0) as again:
            again.send(json.dumps({"type": "hello", "resume": token}))
            until(again, lambda f: f["type"] == "ready")
            assert error_for(again, message("换个窗口", page_id="tab2")) == "too_fast"
        assert stored(stack, Sender.person) == (1, per_minute)

        stack.clock.advance(61)
        ws.send(message("过了一分钟", page_id="later"))
        said(ws, "过了一分钟")
    assert stored(stack, Sender.person) == (1, per_minute + 1)
