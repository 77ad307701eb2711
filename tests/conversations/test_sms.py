"""A person's SMS to an open line becomes a text conversation, end to end: the SMS arrives at the
line's number through the Twilio simulator, the app queues it and sends the line's welcome from
the line's number (the `conversations.deliver` job, the `twilio` library against the
simulator), a counselor accepts on the console's websocket and replies, the simulator carries
the reply to the person's phone and calls back, signed, that it was delivered. Both databases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from hotline.auth.models import User
from hotline.calls.models import Call, CallState, Channel
from hotline.conversations import service as conversations
from hotline.conversations.models import Conversation, ConversationMessage, Delivery, Sender
from hotline.linkage import service as linkage
from hotline.linkage.models import RescueNumber
from hotline.simulator.console_client import ConsoleClient
from hotline.simulator.world import segments
from tests.calls import CALLER, LINE
from tests.factories import PASSWORD, make_line, make_user
from tests.fuzz.test_fuzz import row_counts
from tests.stack import ACCOUNT_SID, AUTH_TOKEN, Stack, running_stack

OTHER = "+8613900001111"


def sent_to(stack: Stack, number: str) -> list[dict[str, Any]]:
    """What the line sent to `number` through the REST API (not a TwiML reply), oldest first."""
    found = [
        m
        for m in stack.simulator.list_messages()
        if m["to"] == number and m["direction"] == "outbound-api"
    ]
    return sorted(found, key=lambda m: m["created_at"])


def messages(stack: Stack) -> list[ConversationMessage]:
    with stack.db.session() as session:
        return list(session.exec(select(ConversationMessage).order_by(ConversationMessage.id)))


def wait_delivered(stack: Stack, body: str) -> ConversationMessage:
    def delivered() -> ConversationMessage | None:
        for message in messages(stack):
            if message.body == body and message.delivery == Delivery.delivered:
                return message
        return None

    return stack.simulator.wait_for(delivered)


def test_an_sms_is_answered_by_a_counselor_and_their_reply_delivered(stack: Stack) -> None:
    line = make_line(stack.db, number=LINE, languages=["zh_CN"])
    alice = make_user(stack.db, "alice")
    stack.dispatcher.sync_numbers()

    stack.simulator.send_sms(CALLER, LINE, "我很难受，睡不着")
    welcome = stack.simulator.wait_for(lambda: sent_to(stack, CALLER))[0]
    assert welcome["from"] == LINE and "110" in welcome["body"] and "120" in welcome["body"]
    with stack.db.session() as session:
        call = session.exec(select(Call)).one()
        assert call.channel == Channel.sms and call.state == CallState.queued
        talk = session.get(Conversation, call.id)
        assert talk is not None and talk.address == CALLER  # decrypted: kept encrypted
    first = messages(stack)[0]
    assert first.sender == Sender.person and first.body == "我很难受，睡不着"
    assert first.provider_id is not None and first.provider_id.startswith("sms:SM")
    # The welcome's status callback (signed by the simulator) marked it delivered.
    told = wait_delivered(stack, welcome["body"])
    assert told.provider_id == "sms:" + welcome["sid"]

    console = ConsoleClient(stack.url, "alice", PASSWORD)
    try:
        console.send("set_state", state="available", reason=None)
        offer = console.offer()
        assert offer["call_id"] == call.id and offer["channel"] == "sms"
        console.send("accept", call_id=call.id)
        console.wait(lambda s: any(c["call_id"] == call.id for c in s["conversations"]))
    finally:
        console.close()
    # The person is told who answered.
    stack.simulator.wait_for(lambda: len(sent_to(stack, CALLER)) >= 2)
    assert "Alice" in sent_to(stack, CALLER)[1]["body"]

    reply = "我在这里，愿意听你说说发生了什么。"
    with stack.db.session() as session:
        user = session.get(User, alice.id)
        assert user is not None and call.id is not None
        conversations.reply(
            session=session, user=user, call_id=call.id, body=reply, now=stack.clock.now()
        )
    stack.dispatcher.kick()
    stack.simulator.wait_for(lambda: any(m["body"] == reply for m in sent_to(stack, CALLER)))
    assert wait_delivered(stack, reply).sender == Sender.counselor
    # The person writes again: the same conversation, no second welcome.
    stack.simulator.send_sms(CALLER, LINE, "谢谢")
    with stack.db.session() as session:
        assert len(session.exec(select(Call)).all()) == 1
    assert [m.body for m in messages(stack)][-1] == "谢谢"
    assert line.id is not None


def test_a_long_chinese_reply_goes_whole_and_twilio_counts_its_parts(stack: Stack) -> None:
    make_line(stack.db, number=LINE, languages=["zh_CN"])
    stack.dispatcher.sync_numbers()
    long = "我" * 600  # UCS-2: 600 characters in parts of 67
    stack.simulator.send_sms(CALLER, LINE, long)
    assert messages(stack)[0].body == long
    welcome = stack.simulator.wait_for(lambda: sent_to(stack, CALLER))[0]
    rest = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=TwilioHttpClient(timeout=10))
    rest.api.base_url = stack.settings.simulator_url
    fetched = rest.messages(welcome["sid"]).fetch()
    assert fetched.num_segments == str(segments(welcome["body"]))
    assert segments("我" * 70) == 1 and segments("我" * 71) == 2 and segments("我" * 600) == 9
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2


def inbound_sms(sid: str, body: str = "你好", sender: str = CALLER, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": sid,
        "SmsSid": sid,
        "From": sender,
        "To": LINE,
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


@pytest.fixture
def hooks(database_url: str) -> Iterator[Stack]:
    """The app without the simulator or its timers: webhooks posted by hand."""
    with running_stack(
        database_url, with_simulator=False, run_engine=False, texts_per_minute=3
    ) as s:
        yield s


def test_a_repeated_webhook_stores_nothing_twice(hooks: Stack) -> None:
    stack = hooks
    make_line(stack.db, number=LINE)
    params = inbound_sms("SM" + "a" * 32)
    for _ in range(2):
        assert stack.webhook("/twilio/sms/incoming", params).status_code == 200
    # A retry that differs in a value Twilio adds still carries the same MessageSid.
    retry = {**params, "ApiVersion": "2010-04-01"}
    assert stack.webhook("/twilio/sms/incoming", retry).status_code == 200
    with stack.db.session() as session:
        [call] = session.exec(select(Call)).all()
        # Kept once for a rescue, as a caller's number is (erased after its window unless a
        # high-risk escalation holds it).
        kept = linkage.kept(session=session, call_id=call.id or 0)
        assert kept is not None and kept.number == CALLER and not kept.held
        assert len(session.exec(select(RescueNumber)).all()) == 1
    kinds = [(m.sender, m.delivery) for m in messages(stack)]
    assert kinds == [(Sender.person, Delivery.received), (Sender.line, Delivery.queued)]


def test_pictures_are_not_kept_and_the_person_is_told(hooks: Stack) -> None:
    stack = hooks
    make_line(stack.db, number=LINE, languages=["en"])
    before = row_counts(stack)
    answer = stack.webhook(
        "/twilio/sms/incoming", inbound_sms("SM" + "b" * 32, body="", NumMedia="1")
    )
    assert "We can only read text messages." in answer.text
    after = row_counts(stack)
    assert {t for t in before if before[t] != after[t]} <= {"webhook_receipts"}


def test_a_flood_from_one_sender_is_dropped_past_the_limit(hooks: Stack) -> None:
    stack = hooks
    make_line(stack.db, number=LINE)
    for n in range(5):
        assert stack.webhook("/twilio/sms/incoming", inbound_sms(f"SM{n:032x}")).is_success
    person = [m for m in messages(stack) if m.sender == Sender.person]
    assert len(person) == 3  # texts_per_minute
    # Someone else is still heard, and the sender again a minute later.
    stack.webhook("/twilio/sms/incoming", inbound_sms("SM" + "c" * 32, sender=OTHER))
    stack.clock.advance(61)
    stack.webhook("/twilio/sms/incoming", inbound_sms("SM" + "d" * 32))
    assert len([m for m in messages(stack) if m.sender == Sender.person]) == 5


def test_a_withheld_number_starts_no_conversation(hooks: Stack) -> None:
    stack = hooks
    make_line(stack.db, number=LINE)
    before = row_counts(stack)
    stack.webhook("/twilio/sms/incoming", inbound_sms("SM" + "e" * 32, sender="anonymous"))
    after = row_counts(stack)
    assert {t for t in before if before[t] != after[t]} <= {"webhook_receipts"}


def status(sid: str, value: str) -> dict[str, str]:
    return {"AccountSid": ACCOUNT_SID, "MessageSid": sid, "MessageStatus": value}


def test_status_callbacks_move_a_message_forward_only(hooks: Stack) -> None:
    stack = hooks
    make_line(stack.db, number=LINE)
    stack.webhook("/twilio/sms/incoming", inbound_sms("SM" + "a" * 32))
    welcome = messages(stack)[1]
    sid = "SM" + "f" * 32
    path = f"/twilio/sms/status?message_id={welcome.id}"
    # Still queued, not being sent: a callback naming it by our id alone changes nothing.
    assert stack.webhook(path, status("SM" + "9" * 32, "delivered")).status_code == 200
    assert messages(stack)[1].delivery == Delivery.queued
    with stack.db.session() as session:  # as the delivery job does
        from hotline.conversations import delivery

        [claimed] = delivery.claim(session=session, now=stack.clock.now())
        assert claimed.to == CALLER and claimed.from_ == LINE
    # The callback comes before the sender recorded the SID: found by our id.
    assert stack.webhook(path, status(sid, "sent")).status_code == 200
    with stack.db.session() as session:
        delivery.sent(session=session, message_id=claimed.message_id, provider_id="sms:" + sid)
    assert stack.webhook(path, status(sid, "delivered")).status_code == 200
    assert stack.webhook(path, status(sid, "failed")).status_code == 200  # never back
    assert stack.webhook(path, status(sid, "queued")).status_code == 200  # nothing new
    moved = messages(stack)[1]
    assert moved.delivery == Delivery.delivered and moved.provider_id == "sms:" + sid
    # Forged, and malformed: refused before anything is read.
    forged = stack.webhook(path, status(sid, "failed"), signature="x")
    assert forged.status_code == 403
    assert stack.webhook(path, status("SM-nope", "failed")).status_code == 400
    assert stack.webhook(path, {"MessageSid": sid}).status_code == 400
    assert stack.webhook("/twilio/sms/status?message_id=abc", status(sid, "x")).status_code == 200
