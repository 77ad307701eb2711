"""A text conversation moves to voice, end to end on both databases: the counselor holding an
SMS conversation confirms the person agreed, the line tells the person it will call, calls
their phone (the simulator's) from its own number with the counselor put through; the
conversation ends into the call and each records the other; the counselor never sees the
number. Nobody answering keeps the conversation going. WeChat and web chat have no number to
call from here: refused with a clear reason."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from hotline.calls.models import Call, CallEvent, CallState, Channel
from hotline.conversations import service as conversations
from hotline.dialback.models import DialBack, DialBackKind, DialBackStatus
from tests.calls import CALLER, LINE
from tests.conversations.test_api import held_by
from tests.conversations.test_sms import sent_to
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


def test_wechat_is_refused_with_a_reason(quiet_app: Stack) -> None:
    line = make_line(quiet_app.db)
    alice = make_user(quiet_app.db, "alice")
    with quiet_app.db.session() as session:
        call = conversations.begin(
            session=session,
            line=line,
            channel=Channel.wechat,
            sender_hash="o1",
            body="hello",
            now=quiet_app.clock.now(),
            max_wait_s=600,
        )
        call_id = call.id
    assert call_id is not None
    held_by(quiet_app, alice, call_id)
    mine = Counselor(quiet_app, "alice")
    refused = mine.post(f"/api/dialbacks/conversations/{call_id}")
    assert refused.status_code == 409 and refused.json()["code"] == "wechat_no_number"
    assert "WeChat" in refused.json()["detail"]
    mine.console.close()
