"""A text conversation moves to voice, end to end on both databases: the counselor holding an
SMS conversation confirms the person agreed, the line tells the person it will call, calls
their phone (the simulator's) from its own number with the counselor put through; the
conversation ends into the call and each records the other; the counselor never sees the
number. Nobody answering keeps the conversation going. A web chat's person is asked for their
number on the chat page when the counselor offers a call (or says no); WeChat has no number to
call: refused with a clear reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text as sql
from sqlmodel import select

from hotline.calls.models import Call, CallEvent, CallState, Channel
from hotline.conversations import service as conversations
from hotline.dialback import service as dialbacks
from hotline.dialback.models import DialBack, DialBackKind, DialBackStatus
from hotline.routing import service as routing
from tests.calls import CALLER, LINE
from tests.conversations.test_api import begin, held_by
from tests.conversations.test_sms import sent_to
from tests.conversations.test_webchat import Page
from tests.dialback.drive import Counselor, dial_back
from tests.factories import make_line, make_user
from tests.stack import Stack

NUMBER_FORMS = (CALLER, CALLER.lstrip("+"), CALLER[3:])


def _sms_conversation(stack: Stack) -> tuple[Counselor, int]:
    """A person's SMS, accepted by alice on her console."""
    make_line(stack.db, number=LINE, languages=["en"])
    make_user(stack.db, "alice")
    stack.dispatcher.sync_numbers()
    stack.simulator.send_sms(CALLER, LINE, "I can't go on like this")
    stack.simulator.wait_for(lambda: sent_to(stack, CALLER))
    with stack.db.session() as session:
        call_id = session.exec(select(Call.id)).one()
    assert call_id is not None
    alice = Counselor(stack, "alice")
    alice.console.send("set_state", state="available", reason=None)
    offer = alice.console.offer()
    assert offer["call_id"] == call_id and offer["channel"] == "sms"
    alice.console.send("accept", call_id=call_id)
    alice.console.wait(lambda s: any(c["call_id"] == call_id for c in s["conversations"]))
    stack.simulator.wait_for(lambda: len(sent_to(stack, CALLER)) >= 2)  # who answered
    return alice, call_id


def _assert_no_number(*texts: str) -> None:
    for text in texts:
        for form in NUMBER_FORMS:
            assert form not in text


def test_an_sms_conversation_moves_to_a_call_from_the_line(stack: Stack) -> None:
    alice, conversation_id = _sms_conversation(stack)
    asked = alice.post(f"/api/dialbacks/conversations/{conversation_id}")
    assert asked.status_code == 201, asked.text
    body: dict[str, Any] = asked.json()
    assert body["kind"] == "conversation" and body["conversation_id"] == conversation_id
    # The person is told by SMS, from the line's number, that the line calls them now.
    told = stack.simulator.wait_for(
        lambda: [m for m in sent_to(stack, CALLER) if "will call you now" in m["body"]]
    )
    assert told[0]["from"] == LINE and LINE in told[0]["body"]

    connected = alice.wait_state(stack, body["id"], "connected")
    call_id = connected["call_id"]
    dial = dial_back(stack, body["id"])
    assert dial.kind == DialBackKind.conversation and dial.call_sid is not None
    placed = stack.simulator.get_call(dial.call_sid)
    assert placed["from"] == LINE and placed["to"] == CALLER
    shot = alice.console.wait(lambda s: (s["call"] or {}).get("state") == "connected")
    assert shot["call"]["call_id"] == call_id
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        talk = session.get(Call, conversation_id)
        assert call is not None and talk is not None
        assert call.channel == Channel.voice and call.direction == "outbound"
        assert call.counselor_id == talk.counselor_id
        # The same person: their case gathers both (the keyed hash of the same number).
        assert call.caller_hash == talk.caller_hash
        # The conversation ended into the call; its note is still to be written.
        assert talk.state == CallState.wrap_up and talk.end_reason == "moved_to_voice"
        events = {
            (e.call_id, e.state, e.detail)
            for e in session.exec(select(CallEvent).where(CallEvent.detail.is_not(None)))  # type: ignore[union-attr]
        }
        assert (conversation_id, "moved_to_voice", f"call {call_id}") in events
        assert (call_id, "from_conversation", f"conversation {conversation_id}") in events
        assert dial.number is None  # an SMS conversation's number is never copied
    stack.simulator.wait_for(
        lambda: [m for m in sent_to(stack, CALLER) if "now talking by phone" in m["body"]]
    )

    # The person hangs up: the call's wrap-up, then back to the conversation's note.
    stack.simulator.hangup(dial.call_sid)
    alice.wait_state(stack, body["id"], "ended")
    alice.console.state("wrap_up")
    alice.console.send("finish_wrap_up", call_id=call_id)
    alice.console.state("chatting")  # the conversation's note still waits for her
    alice.console.send("finish_wrap_up", call_id=conversation_id)
    alice.console.state("available")
    snapshots = [str(alice.console.wait(lambda s: True))]
    _assert_no_number(*alice.seen, *snapshots, asked.text)


def test_nobody_answering_keeps_the_conversation_going(stack: Stack) -> None:
    alice, conversation_id = _sms_conversation(stack)
    stack.simulator.set_phone(CALLER, "no-answer")
    asked = alice.post(f"/api/dialbacks/conversations/{conversation_id}")
    assert asked.status_code == 201, asked.text
    outcome = alice.wait_state(stack, asked.json()["id"], "no_answer")
    assert outcome["call_id"] is None
    alice.console.state("chatting")  # back to her conversation
    stack.simulator.wait_for(
        lambda: [m for m in sent_to(stack, CALLER) if "could not reach you" in m["body"]]
    )
    with stack.db.session() as session:
        talk = session.get(Call, conversation_id)
        assert talk is not None and talk.state == CallState.connected
        assert session.exec(select(Call).where(Call.direction == "outbound")).all() == []
        dial = session.exec(select(DialBack)).one()
        assert dial.status == DialBackStatus.no_answer
    # Still hers to answer by text.
    sent = alice.post(f"/api/conversations/{conversation_id}/messages", {"body": "I'm still here."})
    assert sent.status_code == 201, sent.text


def test_only_its_counselor_and_a_web_chat_asks_for_the_number(quiet_app: Stack) -> None:
    line = make_line(quiet_app.db)
    alice = make_user(quiet_app.db, "alice")
    make_user(quiet_app.db, "bob")
    with quiet_app.db.session() as session:
        call = conversations.begin(
            session=session,
            line=line,
            channel=Channel.webchat,
            sender_hash="w1",
            body="hello",
            now=quiet_app.clock.now(),
            max_wait_s=600,
        )
        call_id = call.id
    assert call_id is not None
    held_by(quiet_app, alice, call_id)
    mine = Counselor(quiet_app, "alice")
    web = mine.post(f"/api/dialbacks/conversations/{call_id}")
    assert web.status_code == 409 and web.json()["code"] == "ask_number"
    bob = Counselor(quiet_app, "bob")
    other = bob.post(f"/api/dialbacks/conversations/{call_id}")
    assert other.status_code == 403
    assert bob.post("/api/dialbacks/conversations/99999").status_code == 404
    with quiet_app.db.session() as session:
        assert session.exec(select(DialBack)).all() == []
    mine.console.close()
    bob.console.close()


def test_wechat_is_not_called_without_asking_for_a_number(quiet_app: Stack) -> None:
    line = make_line(quiet_app.db)
    alice = make_user(quiet_app.db, "alice")
    call_id = begin(quiet_app, line, "o1", "hello", Channel.wechat)
    held_by(quiet_app, alice, call_id)
    mine = Counselor(quiet_app, "alice")
    refused = mine.post(f"/api/dialbacks/conversations/{call_id}")
    assert refused.status_code == 409 and refused.json()["code"] == "ask_number"
    assert "WeChat" in refused.json()["detail"]
    mine.console.close()


def test_a_web_chat_person_offered_a_call_gives_their_number_on_the_page(stack: Stack) -> None:
    line = make_line(stack.db, number=LINE, languages=["en"])
    make_user(stack.db, "alice")
    stack.dispatcher.sync_numbers()
    page = Page(stack, line.id or 0)
    page.say("I would rather talk")
    page.status("waiting")
    alice = Counselor(stack, "alice")
    alice.console.send("set_state", state="available", reason=None)
    offer = alice.console.offer()
    conversation_id = offer["call_id"]
    alice.console.send("accept", call_id=conversation_id)
    page.status("live")
    assert alice.post("/api/dialbacks/conversations/99999/offer").status_code == 404

    # She offers a call; the page asks for the number (and a reload would ask again).
    offered = alice.post(f"/api/dialbacks/conversations/{conversation_id}/offer")
    assert offered.status_code == 202, offered.text
    asking = page.until(lambda f: f["type"] == "status" and f["call_offer"])
    assert asking["state"] == "live"
    assert any("type your phone number" in m["body"] for m in page.messages)

    # What is not a number is refused on the page; the offer stands and nothing is dialled.
    page.ws.send(json.dumps({"type": "call_me", "number": "call me maybe"}))
    assert page.until(lambda f: f["type"] == "error")["code"] == "bad_number"
    assert page.until(lambda f: f["type"] == "status")["call_offer"] is True
    with stack.db.session() as session:
        assert session.exec(select(DialBack)).all() == []

    # Their number: the line calls it from its own, with alice put through.
    page.ws.send(json.dumps({"type": "call_me", "number": "138 1234 5678"}))
    page.until(lambda f: f["type"] == "status" and not f["call_offer"])
    assert any("will call you now" in m["body"] for m in page.messages), page.messages
    dial_id = stack.simulator.wait_for(lambda: _only_dial_back_id(stack), timeout=10, interval=0.1)
    alice.wait_state(stack, dial_id, "connected")
    dial = dial_back(stack, dial_id)
    assert dial.kind == DialBackKind.conversation and dial.conversation_id == conversation_id
    assert dial.call_sid is not None
    placed = stack.simulator.get_call(dial.call_sid)
    assert placed["from"] == LINE and placed["to"] == "+8613812345678"
    with stack.db.session() as session:  # kept on the dial-back alone, erased once answered
        raw = session.execute(
            sql("SELECT number FROM dial_backs WHERE id = :id"), {"id": dial_id}
        ).scalar_one()
        assert raw is None and dial.number is None
    _assert_no_number(*alice.seen, str(alice.console.wait(lambda s: True)))
    page.close()
    alice.console.close()


def _only_dial_back_id(stack: Stack) -> int | None:
    with stack.db.session() as session:
        dial = session.exec(select(DialBack)).first()
        return dial.id if dial is not None else None


def test_a_web_chat_person_may_say_no_and_only_a_web_chat_is_offered(quiet_app: Stack) -> None:
    line = make_line(quiet_app.db, languages=["en"])
    alice = make_user(quiet_app.db, "alice")
    started: dict[Channel, int] = {}
    for channel in (Channel.webchat, Channel.sms):
        with quiet_app.db.session() as session:
            started[channel] = (
                conversations.begin(
                    session=session,
                    line=line,
                    channel=channel,
                    sender_hash=f"p-{channel.value}",
                    body="hello",
                    now=quiet_app.clock.now(),
                    max_wait_s=600,
                ).id
                or 0
            )
        quiet_app.clock.advance(1)
    web_id, sms_id = started[Channel.webchat], started[Channel.sms]
    held_by(quiet_app, alice, web_id)
    mine = Counselor(quiet_app, "alice")
    assert mine.post(f"/api/dialbacks/conversations/{web_id}/offer").status_code == 202
    now = quiet_app.clock.now()
    with quiet_app.db.session() as session:  # the person says no on the page
        assert dialbacks.answer_offer(session=session, call_id=web_id, number=None, now=now) is None
    with quiet_app.db.session() as session:
        said = conversations.transcript(session=session, call_id=web_id)[-1]
        assert said.body == "You chose to go on writing. Your counselor is still here."
        web = session.get(Call, web_id)
        assert web is not None and not dialbacks.call_offered(session=session, call=web)
        assert session.exec(select(DialBack)).all() == []
        with pytest.raises(dialbacks.DialBackError) as twice:
            dialbacks.answer_offer(session=session, call_id=web_id, number="13812345678", now=now)
        assert twice.value.code == "no_offer"

    # Holding an SMS conversation too: its person is never asked on a page, and no call is
    # offered while she holds two (a call takes all her attention).
    quiet_app.dispatcher.tick()
    with quiet_app.db.session() as session:
        call = routing.accept(
            session=session, user=alice, call_id=sms_id, now=now, connect_timeout_s=45
        )
        conversations.accepted(session=session, call=call, user=alice, now=now)
    sms = mine.post(f"/api/dialbacks/conversations/{sms_id}/offer")
    assert sms.status_code == 409 and sms.json()["code"] == "not_asked"
    web_again = mine.post(f"/api/dialbacks/conversations/{web_id}/offer")
    assert web_again.status_code == 409 and web_again.json()["code"] == "other_conversations"
    mine.console.close()
