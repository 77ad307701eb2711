"""Two app processes on one PostgreSQL (and Redis for events) share the web chats: every
conversation is offered to one counselor at a time and taken by exactly one, nobody holds more
than their capacity, and each person is told once who answered.

The people's pages open on either instance and the counselors' consoles too, and both instances
dispatch, so they race for the same conversations and counselors. The proof is in the stored
history, as for calls (tests/routing/test_two_instances.py).
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, select
from websockets.sync.client import ClientConnection, connect

from hotline.calls.models import Call, CallEvent, Channel
from hotline.conversations.models import ConversationMessage, Sender
from hotline.db import Database, make_engine
from hotline.simulator.console_client import ConsoleClient
from tests.conftest import migrated_postgres_database, require_redis
from tests.factories import PASSWORD, make_line, make_user
from tests.instances import until_all_completed
from tests.routing.test_two_instances import instance

CHATS = 16
COUNSELORS = 4
CAPACITY = 2  # the setting's default


def open_chat(url: str, line_id: int, index: int) -> ClientConnection:
    """A person's page: hello, then their first message."""
    ws = connect(url.replace("http://", "ws://") + f"/chat/{line_id}/ws", open_timeout=30)
    ws.send(json.dumps({"type": "hello", "resume": None}))
    while json.loads(ws.recv(timeout=30))["type"] != "ready":
        pass
    ws.send(json.dumps({"type": "message", "id": "m1", "body": f"person {index} here"}))
    return ws


def text_bot(console: ConsoleClient, stop: threading.Event) -> None:
    """Accept every offer, end each conversation once it is live, free its place at once."""
    console.send("set_state", state="available", reason=None)
    done: set[tuple[str, int]] = set()
    while not stop.is_set():
        snap = console.next_snapshot(timeout=0.1) or console.last
        if snap is None:
            continue
        offer = snap["offer"]
        if offer and ("accept", offer["call_id"]) not in done:
            done.add(("accept", offer["call_id"]))
            console.send("accept", call_id=offer["call_id"])
        for card in snap.get("conversations") or []:
            step = "hangup" if card["state"] == "connected" else "finish_wrap_up"
            if (step, card["call_id"]) not in done:
                done.add((step, card["call_id"]))
                console.send(step, call_id=card["call_id"])


def test_two_instances_offer_each_conversation_once(request: pytest.FixtureRequest) -> None:
    redis_url = require_redis()
    with migrated_postgres_database(request) as database_url:
        engine = make_engine(database_url)
        db = Database(engine)
        line = make_line(db, languages=["en"])
        for i in range(COUNSELORS):
            make_user(db, f"counselor{i}")
        stop = threading.Event()
        pages: list[ClientConnection] = []
        nowhere = "http://127.0.0.1:9"  # web chats need no phone network
        try:
            with (
                instance("A", database_url, redis_url, nowhere) as url_a,
                instance("B", database_url, redis_url, nowhere) as url_b,
            ):
                consoles = [
                    ConsoleClient(url_a if i % 2 else url_b, f"counselor{i}", PASSWORD)
                    for i in range(COUNSELORS)
                ]
                bots = [
                    threading.Thread(target=text_bot, args=(c, stop), daemon=True) for c in consoles
                ]
                for bot in bots:
                    bot.start()
                for i in range(CHATS):
                    pages.append(open_chat(url_b if i % 2 else url_a, line.id or 0, i))
                until_all_completed(engine, CHATS)
                stop.set()
                for bot in bots:
                    bot.join(timeout=5)
                for console in consoles:
                    console.close()
        finally:
            stop.set()
            for page in pages:
                page.close()

        with Session(create_engine(database_url)) as session:
            events = session.exec(select(CallEvent).order_by(CallEvent.id)).all()
            calls = session.exec(select(Call)).all()
            # (Times, not bodies: the instances' key is not this process's.)
            told = session.exec(
                select(ConversationMessage.call_id, ConversationMessage.at).where(
                    ConversationMessage.sender == Sender.line
                )
            ).all()
        engine.dispose()

    assert {c.channel for c in calls} == {Channel.webchat}
    offers: dict[int, list[str | None]] = defaultdict(list)
    connected: dict[int, int] = defaultdict(int)
    held: dict[int, int] = defaultdict(int)  # per counselor, conversations held at this point
    most: dict[int, int] = defaultdict(int)
    for event in events:
        if event.state == "offered" and event.detail in {"A", "B"}:
            offers[event.call_id].append(event.detail)
        if event.state == "connected":
            connected[event.call_id] += 1
            if event.user_id is not None:
                held[event.user_id] += 1
                most[event.user_id] = max(most[event.user_id], held[event.user_id])
        if event.state == "completed":
            owner = next(c.counselor_id for c in calls if c.id == event.call_id)
            if owner is not None:
                held[owner] -= 1
    # Each conversation: offered once (the bots accept every offer), taken once.
    assert all(len(offers[c.id or 0]) == 1 for c in calls), dict(offers)
    assert all(connected[c.id or 0] == 1 for c in calls), dict(connected)
    assert all(c.counselor_id is not None and c.connected_at is not None for c in calls)
    # Nobody held more than their capacity at once. (Which instance made each offer is the
    # timing's: both dispatch, and either may win every race.)
    assert max(most.values()) <= CAPACITY, dict(most)
    assert {d for found in offers.values() for d in found} <= {"A", "B"}
    # Each person was told once who answered: the line's message written with the accept.
    answered: dict[int, int] = defaultdict(int)
    taken_at = {c.id: c.connected_at for c in calls}
    for call_id, at in told:
        if at == taken_at[call_id]:
            answered[call_id] += 1
    assert all(answered[c.id or 0] == 1 for c in calls), dict(answered)
