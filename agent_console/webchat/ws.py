"""The web chat's websocket (`/chat/{line_id}/ws`): a person with no account talks to the line.

Protocol (JSON text frames):
- in: `{"type": "hello", "resume": token | null}` first; then `{"type": "message", "id": "<the
  page's id>", "body": "..."}`, `{"type": "typing"}`, `{"type": "leave"}`, and when their
  counselor offered a call, `{"type": "call_me", "number": "..."}` or `{"type": "no_call"}`.
- out: `{"type": "ready", "resume": token, "state": ..., "position": n | null, "call_offer":
  bool, "messages": [...]}` after hello; then `{"type": "message", ...}` for each new message,
  `{"type": "status", "state": "waiting" | "live" | "ended" | "none", "position": n | null,
  "call_offer": bool}` when it changes,
  `{"type": "typing"}` while the counselor writes, `{"type": "error", "code": ...}`.

The resume token is the conversation's only key: the page keeps it (sessionStorage), so a
network drop or a reload finds the conversation again; nothing identifies the person. The
conversation begins with the first message (opening the page stores nothing). A closed line
answers with the emergency numbers and stores nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from agent_console.kit.sockets import origin_allowed
from hotline import privacy, threads
from hotline.blocklist import service as blocklist
from hotline.calls.models import TERMINAL_STATES, Call, CallState, Channel
from hotline.conversations import service as conversations
from hotline.conversations.models import ConversationMessage, Sender
from hotline.conversations.openings import Openings
from hotline.conversations.schemas import TypingFrame
from hotline.dialback import service as dialbacks
from hotline.lines import service as lines
from hotline.realtime.events import agent_topic
from hotline.routing.engine import Dispatcher
from hotline.telephony import texts

log = logging.getLogger(__name__)
router = APIRouter()
CLOSE_FORBIDDEN_ORIGIN = 4403
CLOSE_NO_LINE = 4404
MAX_FRAME = 8_000  # characters of one frame (a message is cut to 1,600 anyway)


def sender_hash(secret: str, token: str) -> str:
    """The blocklist's and the case's key for a web chat person: their resume token's hash."""
    return privacy.sender_hash(secret, "webchat", token)


def _provider_id(token: str, page_id: str) -> str:
    """The page numbers its messages: one sent again after a reconnect is stored once."""
    return f"webchat:{conversations.resume_hash(token)[:32]}:{page_id[:40]}"


def _view(message: ConversationMessage) -> dict[str, Any]:
    return {
        "type": "message",
        "id": message.id,
        "sender": message.sender.value,
        "body": message.body,
        "at": message.at.isoformat(),
    }


def _state(session: Any, call: Call | None) -> str:
    if call is None:
        return "none"
    # Live with its counselor, or with the crisis worker it was handed to.
    if conversations.live_for_person(session=session, call=call):
        return "live"
    if call.state in TERMINAL_STATES or call.state == CallState.wrap_up:
        return "ended"
    return "waiting"


@dataclass
class Chat:
    """One page's socket: which line, which conversation, what it has been sent."""

    dispatcher: Dispatcher
    bus: Any
    line_id: int
    token: str | None = None
    call_id: int | None = None
    last_sent: int = 0
    address: str | None = None  # the page's network address: only to count its new chats
    openings: Openings | None = None

    # --- blocking parts, run in the thread pool ---

    def hello(self, token: str | None) -> dict[str, Any]:
        with self.dispatcher.db.session() as session:
            call = None
            if token:
                found = conversations.by_resume_token(session=session, token=token)
                if found is not None and found.line_id == self.line_id:
                    call = found
            if call is None:
                token = conversations.new_resume_token()
            self.token = token
            self.call_id = call.id if call is not None else None
            return {"type": "ready", "resume": token, **self._news(session, call)}

    def _news(self, session: Any, call: Call | None) -> dict[str, Any]:
        """Messages not sent yet, the state and the place in the queue."""
        messages: list[dict[str, Any]] = []
        if call is not None and call.id is not None:
            news = conversations.transcript(session=session, call_id=call.id, after=self.last_sent)
            for message in news:
                assert message.id is not None
                messages.append(_view(message))
                self.last_sent = message.id
        position = conversations.queue_position(session=session, call=call) if call else None
        return {
            "state": _state(session, call),
            "position": position,
            "messages": messages,
            # Their counselor offered a call: the page asks for their number.
            "call_offer": call is not None and dialbacks.call_offered(session=session, call=call),
        }

    def news(self) -> dict[str, Any]:
        with self.dispatcher.db.session() as session:
            call = session.get(Call, self.call_id) if self.call_id is not None else None
            return self._news(session, call)

    def post(self, body: str, page_id: str) -> dict[str, Any] | str:
        """The person's message: the conversation begins with the first. An error code, or what
        to send the page: its news (read in the same transaction: one session a message), and
        the conversation's new key if it began one, or the closed line's words."""
        assert self.token is not None
        settings = self.dispatcher.settings
        now = self.dispatcher.clock.now()
        with self.dispatcher.db.session() as session:
            who = sender_hash(settings.secret_key, self.token)
            if blocklist.is_blocked(session=session, caller_hash=who, now=now):
                return "unavailable"
            # Per person (their conversation's key), whichever socket or instance they use.
            if conversations.over_rate(
                session=session, sender_hash=who, per_minute=settings.texts_per_minute, now=now
            ):
                return "too_fast"
            call = session.get(Call, self.call_id) if self.call_id is not None else None
            provider_id = _provider_id(self.token, page_id)
            if call is not None and (
                call.state not in TERMINAL_STATES | {CallState.wrap_up}
                or conversations.with_responder(session=session, call=call)
            ):
                # A conversation under way goes on, whatever became of its line meanwhile.
                conversations.receive(
                    session=session,
                    call=call,
                    body=body,
                    now=now,
                    provider_id=provider_id,
                    phrases=settings.danger_phrases,
                )
                return {"news": self._news(session, call)}
            line = lines.active(session=session, line_id=self.line_id)
            if line is None:
                return "no_line"
            if not lines.is_open(line, now):
                return {"closed": texts.closed(line)}
            if self.openings is not None and not self.openings.allow(self.address, now):
                return "too_many_chats"
            if call is not None:  # a new conversation after one ended: a new key
                self.token = conversations.new_resume_token()
                who = sender_hash(settings.secret_key, self.token)
                provider_id = _provider_id(self.token, page_id)
            call = conversations.begin(
                session=session,
                line=line,
                channel=Channel.webchat,
                sender_hash=who,
                body=body,
                now=now,
                max_wait_s=settings.conversation_max_wait_s,
                provider_id=provider_id,
                resume_token=self.token,
                phrases=settings.danger_phrases,
            )
            self.call_id = call.id
            return {"resume": self.token, "news": self._news(session, call)}

    def answer_call_offer(self, number: str | None) -> str | None:
        """The person gives their number for the call their counselor offered (the line calls
        them now), or None to go on writing. An error code, or None."""
        if self.call_id is None:
            return "no_offer"
        try:
            with self.dispatcher.db.session() as session:
                dial = dialbacks.answer_offer(
                    session=session,
                    call_id=self.call_id,
                    number=number,
                    now=self.dispatcher.clock.now(),
                )
        except dialbacks.DialBackError as error:
            return error.code
        if dial is not None:
            self.dispatcher.kick()  # placed by the job at once if the pace allows
        return None

    def leave(self) -> None:
        if self.call_id is None:
            return
        with self.dispatcher.db.session() as session:
            call = session.get(Call, self.call_id)
            if call is not None:
                conversations.end_by_person(
                    session=session, call=call, now=self.dispatcher.clock.now()
                )

    def typing(self) -> None:
        """Said to the conversation's topic and to its counselor's console (nothing stored)."""
        if self.call_id is None:
            return
        self.bus.publish(conversations.chat_topic(self.call_id), {"typing": Sender.person.value})
        with self.dispatcher.db.session() as session:
            call = session.get(Call, self.call_id)
            counselor = call.counselor_id if call is not None else None
        if counselor is not None:
            frame = TypingFrame(call_id=self.call_id).model_dump()
            self.bus.publish(agent_topic(counselor), {"frame": frame})


@router.websocket("/chat/{line_id}/ws")
async def chat_socket(websocket: WebSocket, line_id: int) -> None:
    await websocket.accept()
    if not origin_allowed(websocket):
        await websocket.close(code=CLOSE_FORBIDDEN_ORIGIN)
        return
    dispatcher: Dispatcher = websocket.app.state.dispatcher
    bus = websocket.app.state.bus
    chat = Chat(
        dispatcher=dispatcher,
        bus=bus,
        line_id=line_id,
        address=websocket.client.host if websocket.client else None,
        openings=websocket.app.state.webchat_openings,
    )
    lock = asyncio.Lock()
    # One subscription for the socket's life: its topic is the conversation's, once there is one
    # (swapping the set is atomic for the bus's thread that reads it).
    subscription = bus.subscribe(set())

    async def send(data: dict[str, Any]) -> None:
        async with lock:
            await websocket.send_text(json.dumps(data, ensure_ascii=False))

    async def send_news() -> None:
        async with lock:  # read and send under one lock: never an older state after a newer
            news = await threads.run(threads.SOCKETS, chat.news)
            for frame in _frames_of({"news": news}):
                await websocket.send_text(json.dumps(frame, ensure_ascii=False))

    def listen() -> None:
        if chat.call_id is not None:
            subscription.topics = {conversations.chat_topic(chat.call_id)}

    async def events() -> None:
        while True:
            event = await subscription.get()
            who = event.data.get("typing")
            if who in (Sender.counselor.value, Sender.responder.value):
                await send({"type": "typing", "who": who})
                continue
            mine = event.data.get("message")
            if set(event.data) == {"message"} and isinstance(mine, int) and mine <= chat.last_sent:
                continue  # the person's own message: its post sent it already
            await send_news()

    async def commands() -> None:
        while True:
            text = await websocket.receive_text()
            try:
                message = json.loads(text) if len(text) <= MAX_FRAME else None
            except json.JSONDecodeError:
                message = None
            if not isinstance(message, dict):
                await send({"type": "error", "code": "bad_message"})
                continue
            kind = message.get("type")
            if kind == "ping":  # the page's keep-alive (kit/socket.js)
                ping_id = message.get("id")
                await send({"type": "pong", "id": ping_id if isinstance(ping_id, int) else None})
            elif kind == "hello" and chat.token is None:
                resume = message.get("resume")
                ready = await threads.run(
                    threads.SOCKETS,
                    chat.hello,
                    resume if isinstance(resume, str) and len(resume) < 100 else None,
                )
                if ready["state"] == "none" and not await threads.run(
                    threads.SOCKETS, _line_exists, chat
                ):
                    await websocket.close(code=CLOSE_NO_LINE)
                    return
                await send(ready)
                listen()
            elif chat.token is None:
                await send({"type": "error", "code": "hello_first"})
            elif kind == "message":
                body, page_id = message.get("body"), message.get("id")
                if not isinstance(body, str) or not body.strip() or not isinstance(page_id, str):
                    await send({"type": "error", "code": "bad_message"})
                    continue
                before = chat.call_id
                async with lock:  # as send_news: its news are read and sent in order
                    result = await threads.run(threads.SOCKETS, chat.post, body, page_id)
                    if isinstance(result, str):
                        result = {"error": result}
                    for frame in _frames_of(result):
                        await websocket.send_text(json.dumps(frame, ensure_ascii=False))
                if chat.call_id != before:  # a new conversation: hear its topic from now on,
                    listen()
                    await send_news()  # and catch up what came before that
            elif kind == "typing":
                await threads.run(threads.SOCKETS, chat.typing)
            elif kind in ("call_me", "no_call"):
                number = message.get("number") if kind == "call_me" else None
                if kind == "call_me" and not (isinstance(number, str) and 0 < len(number) <= 40):
                    await send({"type": "error", "code": "bad_number"})
                    continue
                code = await threads.run(threads.SOCKETS, chat.answer_call_offer, number)
                if code is not None:
                    await send({"type": "error", "code": code})
                await send_news()
            elif kind == "leave":
                await threads.run(threads.SOCKETS, chat.leave)
                await send_news()
            else:
                await send({"type": "error", "code": "bad_message"})

    tasks = [asyncio.create_task(commands()), asyncio.create_task(events())]
    try:
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            error = task.exception()
            if error is not None and not isinstance(error, WebSocketDisconnect):
                log.error("web chat socket failed on line %s", line_id, exc_info=error)
    finally:
        for task in tasks:
            task.cancel()
        subscription.close()
        with contextlib.suppress(Exception):
            await websocket.close()


def _frames_of(result: dict[str, Any]) -> list[dict[str, Any]]:
    """What the page is sent after its message: an error, the closed line's words, or the
    conversation's new key and its news (each new message, then the status)."""
    if "error" in result:
        return [{"type": "error", "code": result["error"]}]
    if "closed" in result:
        return [{"type": "closed", "body": result["closed"]}]
    frames = [{"type": "resume", "resume": result["resume"]}] if "resume" in result else []
    news = dict(result["news"])
    frames += news.pop("messages")
    return [*frames, {"type": "status", **news}]


def _line_exists(chat: Chat) -> bool:
    with chat.dispatcher.db.session() as session:
        return lines.active(session=session, line_id=chat.line_id) is not None
