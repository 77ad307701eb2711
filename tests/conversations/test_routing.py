"""Text conversations share the queue with calls: a counselor holds up to N conversations,
never a voice call while chatting, and goes back to their conversations (not free) when an
offer of another ends. Against both databases, with times set by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hotline.auth.models import User
from hotline.calls.models import Call, CallState, Channel
from hotline.conversations import service as conversations
from hotline.conversations.models import Delivery, Sender
from hotline.db import Database
from hotline.lines.models import Line
from hotline.routing import service as routing
from hotline.routing.models import AgentState, AgentStatus
from tests.factories import make_line, make_user
from tests.review.drive import presence, ring

T0 = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def text(db: Database, line: Line, sender: str, at: datetime, body: str = "你好") -> int:
    with db.session() as session:
        call = conversations.start(
            session=session,
            line=line,
            channel=Channel.webchat,
            sender_hash=sender,
            now=at,
            max_wait_s=600,
        )
        conversations.receive(session=session, call=call, body=body, now=at)
        assert call.id is not None
        return call.id


def offer(db: Database, at: datetime, capacity: int = 2) -> bool:
    with db.session() as session:
        return routing.offer_next(
            session=session, now=at, offer_timeout_s=20, max_conversations=capacity
        )


def accept(db: Database, user: User, call_id: int, at: datetime) -> None:
    with db.session() as session:
        routing.accept(session=session, user=user, call_id=call_id, now=at, connect_timeout_s=45)


def state_of(db: Database, user: User) -> AgentState:
    with db.session() as session:
        status = session.get(AgentStatus, user.id)
        assert status is not None
        return status.state


def call_of(db: Database, call_id: int) -> Call:
    with db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        return call


def test_a_counselor_holds_two_conversations_and_no_third(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    presence(db, alice, AgentState.available, T0)
    first = text(db, line, "p1", T0 + S)
    second = text(db, line, "p2", T0 + 2 * S)
    third = text(db, line, "p3", T0 + 3 * S)

    assert offer(db, T0 + 4 * S)
    assert call_of(db, first).offered_to_id == alice.id
    assert not offer(db, T0 + 4 * S)  # one offer at a time
    accept(db, alice, first, T0 + 5 * S)
    assert call_of(db, first).state == CallState.connected
    assert state_of(db, alice) == AgentState.chatting

    assert offer(db, T0 + 6 * S)
    assert call_of(db, second).offered_to_id == alice.id
    accept(db, alice, second, T0 + 7 * S)
    assert not offer(db, T0 + 8 * S)  # two held: the third waits
    assert call_of(db, third).state == CallState.queued
    with db.session() as session:
        held = routing.conversations_of(session=session, user_id=alice.id or 0)
        assert [c.id for c in held] == [first, second]
        snap = routing.snapshot(session=session, user_id=alice.id or 0, now=T0 + 8 * S)
        assert [c["call_id"] for c in snap["conversations"]] == [first, second]

    # Ending one frees a place only once its note is done.
    with db.session() as session:
        conversations.close_by_counselor(session=session, user=alice, call_id=first, now=T0 + 9 * S)
    assert not offer(db, T0 + 10 * S)
    with db.session() as session:
        routing.finish_wrap_up(session=session, user=alice, call_id=first, now=T0 + 11 * S)
    assert call_of(db, first).state == CallState.completed
    assert state_of(db, alice) == AgentState.chatting
    assert offer(db, T0 + 12 * S)
    assert call_of(db, third).offered_to_id == alice.id


def test_a_counselors_own_capacity_overrides_the_setting(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    with db.session() as session:
        user = session.get(User, alice.id)
        assert user is not None
        user.max_conversations = 1
    presence(db, alice, AgentState.available, T0)
    first = text(db, line, "p1", T0 + S)
    text(db, line, "p2", T0 + 2 * S)
    assert offer(db, T0 + 3 * S, capacity=3)
    accept(db, alice, first, T0 + 4 * S)
    assert not offer(db, T0 + 5 * S, capacity=3)


def test_no_voice_call_goes_to_a_counselor_holding_a_conversation(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    bob = make_user(db, "bob")
    presence(db, alice, AgentState.available, T0)
    chat = text(db, line, "p1", T0 + S)
    assert offer(db, T0 + 2 * S)
    accept(db, alice, chat, T0 + 3 * S)
    voice = ring(db, line, "CA" + "1" * 32, T0 + 4 * S)
    assert not offer(db, T0 + 5 * S)
    assert call_of(db, voice).state == CallState.queued
    presence(db, bob, AgentState.available, T0 + 6 * S)
    assert offer(db, T0 + 7 * S)
    assert call_of(db, voice).offered_to_id == bob.id


@pytest.mark.parametrize("how", ["decline", "expire"])
def test_an_offer_that_ends_sends_them_back_to_their_conversations(db: Database, how: str) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    presence(db, alice, AgentState.available, T0)
    first = text(db, line, "p1", T0 + S)
    assert offer(db, T0 + 2 * S)
    accept(db, alice, first, T0 + 3 * S)
    second = text(db, line, "p2", T0 + 4 * S)
    assert offer(db, T0 + 5 * S)
    assert state_of(db, alice) == AgentState.offered
    with db.session() as session:
        if how == "decline":
            routing.decline(session=session, user=alice, call_id=second, now=T0 + 6 * S)
        else:
            # Even past the missed offers that would set a free counselor away.
            routing.expire_offers(session=session, now=T0 + 60 * S, missed_before_away=1)
    assert state_of(db, alice) == AgentState.chatting
    assert call_of(db, second).state == CallState.queued


def test_the_person_leaving_ends_the_conversation_for_the_note(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    presence(db, alice, AgentState.available, T0)
    chat = text(db, line, "p1", T0 + S)
    waiting = text(db, line, "p2", T0 + 2 * S)
    assert offer(db, T0 + 3 * S)
    accept(db, alice, chat, T0 + 4 * S)
    with db.session() as session:
        assert conversations.end_by_person(
            session=session, call=session.get(Call, chat), now=T0 + 5 * S
        )
        assert conversations.end_by_person(
            session=session, call=session.get(Call, waiting), now=T0 + 5 * S
        )
    assert call_of(db, chat).state == CallState.wrap_up
    assert call_of(db, waiting).state == CallState.abandoned
    assert state_of(db, alice) == AgentState.chatting  # their note is still to write
    with db.session() as session:
        routing.finish_wrap_up(session=session, user=alice, call_id=chat, now=T0 + 6 * S)
    assert state_of(db, alice) == AgentState.available


def test_a_danger_phrase_puts_a_waiting_conversation_first(db: Database) -> None:
    line = make_line(db)
    calm = text(db, line, "p1", T0 + S, body="最近睡不好")
    urgent = text(db, line, "p2", T0 + 2 * S, body="我不想活了")
    with db.session() as session:
        assert session.get(Call, urgent).in_danger  # type: ignore[union-attr]
        assert not session.get(Call, calm).in_danger  # type: ignore[union-attr]
        first = conversations.queue_position(session=session, call=session.get(Call, urgent))
        assert first == 1
        [message] = conversations.transcript(session=session, call_id=urgent)
        assert message.danger_phrase == "不想活" and message.sender == Sender.person
    alice = make_user(db, "alice")
    presence(db, alice, AgentState.available, T0 + 3 * S)
    assert offer(db, T0 + 4 * S)
    assert call_of(db, urgent).offered_to_id == alice.id


def test_a_message_delivered_twice_is_stored_once_and_replies_need_the_conversation(
    db: Database,
) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    bob = make_user(db, "bob")
    chat = text(db, line, "p1", T0)
    with db.session() as session:
        call = session.get(Call, chat)
        assert call is not None
        assert conversations.receive(
            session=session, call=call, body="hi", now=T0, provider_id="webchat:x:1"
        )
        assert (
            conversations.receive(
                session=session, call=call, body="hi", now=T0, provider_id="webchat:x:1"
            )
            is None
        )
    presence(db, alice, AgentState.available, T0)
    assert offer(db, T0 + S)
    accept(db, alice, chat, T0 + 2 * S)
    with db.session() as session:
        with pytest.raises(conversations.ConversationError) as refused:
            conversations.reply(session=session, user=bob, call_id=chat, body="x", now=T0)
        assert refused.value.code == "not_yours"
    with db.session() as session:
        sent = conversations.reply(
            session=session, user=alice, call_id=chat, body=" 我在这里 ", now=T0 + 3 * S
        )
        assert sent.body == "我在这里" and sent.delivery == Delivery.sent
    with db.session() as session:
        bodies = [m.body for m in conversations.transcript(session=session, call_id=chat)]
    assert bodies == ["你好", "hi", "我在这里"]


def test_the_safety_net_frees_a_counselor_chatting_with_nobody(db: Database) -> None:
    alice = make_user(db, "alice")
    with db.session() as session:
        routing.ensure_agent(session=session, user_id=alice.id or 0, now=T0)
        status = session.get(AgentStatus, alice.id)
        assert status is not None
        status.state = AgentState.chatting
    with db.session() as session:
        assert routing.free_stranded(session=session, now=T0 + S) == 1
    assert state_of(db, alice) == AgentState.available


def test_a_person_waiting_is_told_their_place_and_past_the_wait_the_emergency_numbers(
    db: Database,
) -> None:
    line = make_line(db, partner_number="+8612356", languages=["en"])
    with db.session() as session:
        first = conversations.begin(
            session=session,
            line=line,
            channel=Channel.webchat,
            sender_hash="p1",
            body="hello",
            now=T0,
            max_wait_s=600,
        )
        second = conversations.begin(
            session=session,
            line=line,
            channel=Channel.webchat,
            sender_hash="p2",
            body="hello",
            now=T0 + S,
            max_wait_s=600,
        )
        first_id, second_id = first.id or 0, second.id or 0
    with db.session() as session:
        said = [m.body for m in conversations.transcript(session=session, call_id=second_id)]
    assert "110" in said[-1] and "number 2 in the queue" in said[-1]
    with db.session() as session:
        conversations.give_up_waiting(session=session, call=session.get(Call, first_id), now=T0)
        assert conversations.tell_positions(session=session, now=T0 + 2 * S) == 1
        assert conversations.tell_positions(session=session, now=T0 + 3 * S) == 0
    with db.session() as session:
        said = [m.body for m in conversations.transcript(session=session, call_id=second_id)]
        assert said[-1] == "You are next."
        overdue = routing.past_deadline(session=session, now=T0 + 700 * S, texts=True)
        assert [c.id for c in overdue] == [second_id]
        assert conversations.give_up_waiting(session=session, call=overdue[0], now=T0 + 700 * S)
    assert call_of(db, second_id).state == CallState.overflow
    with db.session() as session:
        last = conversations.transcript(session=session, call_id=second_id)[-1]
    assert "+8612356" in last.body and last.sender == Sender.line


def test_the_first_answer_tells_the_expected_wait_of_the_lines_texts_not_its_calls(
    db: Database,
) -> None:
    line = make_line(db, languages=["en"])

    def answered(n: int, channel: Channel, minutes: int) -> None:
        with db.session() as session:
            session.add(
                Call(
                    call_sid=f"answered-{channel.value}-{n}",
                    line_id=line.id or 0,
                    caller_hash=f"h{channel.value}{n}",
                    channel=channel,
                    state=CallState.completed,
                    created_at=T0 - timedelta(minutes=40),
                    queued_at=T0 - timedelta(minutes=40),
                    connected_at=T0 - timedelta(minutes=40 - minutes),
                )
            )

    def first_answer(sender: str, at: datetime) -> str:
        with db.session() as session:
            call = conversations.begin(
                session=session,
                line=line,
                channel=Channel.sms,
                sender_hash=sender,
                body="hello",
                now=at,
                max_wait_s=600,
            )
            said = conversations.transcript(session=session, call_id=call.id or 0)
        return [m.body for m in said if m.sender == Sender.line][0]

    for n, minutes in enumerate((1, 1, 2)):  # calls answered at once: not the texts' wait
        answered(n, Channel.voice, minutes)
    assert "expected wait" not in first_answer("p1", T0)
    for n, minutes in enumerate((2, 6, 30)):  # texts answered after 2, 6 and 30 minutes
        answered(n, Channel.webchat, minutes)
    assert "You are number 2 in the queue. The expected wait is about 6 minutes." in (
        first_answer("p2", T0 + S)
    )


def test_a_counselor_who_chose_calls_while_chatting_is_offered_one_and_returns_to_the_texts(
    db: Database,
) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    presence(db, alice, AgentState.available, T0)
    chat = text(db, line, "p1", T0 + S)
    assert offer(db, T0 + 2 * S)
    accept(db, alice, chat, T0 + 3 * S)
    voice = ring(db, line, "CA" + "2" * 32, T0 + 4 * S)
    assert not offer(db, T0 + 5 * S)
    with db.session() as session:
        routing.set_calls_while_chatting(session=session, user=alice, on=True, now=T0 + 6 * S)
    assert offer(db, T0 + 7 * S)
    assert call_of(db, voice).offered_to_id == alice.id
    with db.session() as session:  # (their phone is never dialled here: straight to the end)
        routing.decline(session=session, user=alice, call_id=voice, now=T0 + 8 * S)
    assert state_of(db, alice) == AgentState.chatting
    with db.session() as session:
        status = session.get(AgentStatus, alice.id)
        assert status is not None and status.calls_while_chatting
        snap = routing.snapshot(session=session, user_id=alice.id or 0, now=T0 + 9 * S)
        assert snap["agent"]["calls_while_chatting"] is True
