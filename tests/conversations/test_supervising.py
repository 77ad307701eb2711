"""Supervisors and live text conversations, against both databases with times set by hand: a
private note reaches the counselor only (never the web chat page, never the SMS delivery job),
and a take-over moves the conversation to the supervisor (the counselor's place freed and
told, the person told another counselor goes on, the supervisor 'in conversations' but offered
nothing more when they were not taking contacts, and back to signed off once its note is done).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from hotline.auth.models import Role, User
from hotline.calls.models import Call, CallEvent, CallState, Channel
from hotline.conversations import delivery, words
from hotline.conversations import service as conversations
from hotline.conversations.models import ConversationMessage, Delivery, Sender
from hotline.db import Database
from hotline.lines.models import Line
from hotline.routing import service as routing
from hotline.routing.models import AgentState, AgentStatus
from tests.factories import make_line, make_user
from tests.review.drive import presence

T0 = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def held_text(
    db: Database, line: Line, user: User, sender: str, at: datetime, channel: Channel
) -> int:
    """A conversation `user` (available or chatting) is offered and accepts."""
    with db.session() as session:
        call = conversations.begin(
            session=session,
            line=line,
            channel=channel,
            sender_hash=sender,
            body="I feel alone",
            now=at,
            max_wait_s=600,
            address="+8613800001111" if channel == Channel.sms else None,
        )
        assert call.id is not None
        call_id = call.id
    with db.session() as session:
        assert routing.offer_next(session=session, now=at, offer_timeout_s=20)
    with db.session() as session:
        call = routing.accept(
            session=session, user=user, call_id=call_id, now=at + S, connect_timeout_s=45
        )
        conversations.accepted(session=session, call=call, user=user, now=at + S)
    return call_id


def status_of(db: Database, user: User) -> AgentStatus:
    with db.session() as session:
        status = session.get(AgentStatus, user.id)
        assert status is not None
        session.expunge(status)
        return status


def take_over(db: Database, user: User, call_id: int, from_user: User, at: datetime) -> None:
    assert from_user.id is not None
    with db.session() as session:
        conversations.take_over(
            session=session, user=user, call_id=call_id, from_user_id=from_user.id, now=at
        )


@pytest.fixture
def people(db: Database) -> tuple[Line, User, User]:
    line = make_line(db)
    alice = make_user(db, "alice")
    wang = make_user(db, "wang", role=Role.supervisor)
    presence(db, alice, AgentState.available, T0)
    return line, alice, wang


def test_a_private_note_reaches_the_counselor_only(
    db: Database, people: tuple[Line, User, User]
) -> None:
    line, alice, wang = people
    web = held_text(db, line, alice, "p1", T0 + S, Channel.webchat)
    sms = held_text(db, line, alice, "p2", T0 + 3 * S, Channel.sms)
    with db.session() as session:  # what the SMS job has to send so far goes out first
        delivery.claim(session=session, now=T0)
    for call_id in (web, sms):
        with db.session() as session:
            note = conversations.note_to_counselor(
                session=session, user=wang, call_id=call_id, body=" Ask about sleep ", now=T0
            )
            assert note.sender == Sender.supervisor and note.delivery == Delivery.private
            assert note.user_id == wang.id and note.body == "Ask about sleep"
    with db.session() as session:
        # The counselor's transcript (private=True) shows it; the person's never does.
        for call_id in (web, sms):
            mine = conversations.transcript(session=session, call_id=call_id, private=True)
            assert "Ask about sleep" in [m.body for m in mine]
            theirs = conversations.transcript(session=session, call_id=call_id)
            assert "Ask about sleep" not in [m.body for m in theirs]
        # The SMS delivery job never picks it, now or later.
        assert delivery.claim(session=session, now=T0) == []
        stored = session.exec(
            select(ConversationMessage).where(ConversationMessage.sender == Sender.supervisor)
        ).all()
        assert {m.delivery for m in stored} == {Delivery.private}
    with db.session() as session, pytest.raises(conversations.ConversationError) as refused:
        conversations.note_to_counselor(session=session, user=alice, call_id=web, body="x", now=T0)
    assert refused.value.code == "supervisors_only" and refused.value.status == 403
    with db.session() as session, pytest.raises(conversations.ConversationError) as empty:
        conversations.note_to_counselor(session=session, user=wang, call_id=web, body=" ", now=T0)
    assert empty.value.code == "empty"


def test_a_supervisor_takes_a_conversation_over(
    db: Database, people: tuple[Line, User, User]
) -> None:
    line, alice, wang = people
    call_id = held_text(db, line, alice, "p1", T0 + S, Channel.webchat)
    assert status_of(db, alice).state == AgentState.chatting
    take_over(db, wang, call_id, alice, T0 + 10 * S)
    with db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        assert call.counselor_id == wang.id and call.state == CallState.connected
        assert call.connected_at is not None  # one answered conversation
        event = session.exec(
            select(CallEvent).where(CallEvent.call_id == call_id, CallEvent.state == "taken_over")
        ).one()
        assert event.user_id == wang.id and event.detail is not None
        assert event.detail.startswith(f"from={alice.id} ")
        told = conversations.transcript(session=session, call_id=call_id)[-1]
        assert told.sender == Sender.line
        assert told.body == words.taken_over(line, call.language, "Wang")
        assert "Wang" in told.body
        # Listed in the supervisor's console, gone from the counselor's.
        assert [c.id for c in routing.conversations_of(session=session, user_id=wang.id or 0)] == [
            call_id
        ]
        assert routing.conversations_of(session=session, user_id=alice.id or 0) == []
    # The counselor's place is free: holding nothing else, she is available again.
    assert status_of(db, alice).state == AgentState.available
    # The supervisor, signed off before, is 'in conversations' but offered nothing more.
    status = status_of(db, wang)
    assert (status.state, status.reason) == (AgentState.chatting, routing.TAKEN_OVER)
    presence(db, alice, AgentState.offline, T0 + 11 * S)
    with db.session() as session:
        conversations.begin(
            session=session,
            line=line,
            channel=Channel.webchat,
            sender_hash="p9",
            body="hello?",
            now=T0 + 12 * S,
            max_wait_s=600,
        )
    with db.session() as session:
        assert not routing.offer_next(session=session, now=T0 + 13 * S, offer_timeout_s=20)

    # He answers it, the counselor may not.
    with db.session() as session:
        reply = conversations.reply(
            session=session, user=wang, call_id=call_id, body="I am here.", now=T0 + 14 * S
        )
        assert reply.sender == Sender.counselor and reply.user_id == wang.id
    with db.session() as session, pytest.raises(conversations.ConversationError) as refused:
        conversations.reply(session=session, user=alice, call_id=call_id, body="x", now=T0)
    assert refused.value.code == "not_yours"

    # He ends it and writes the note: back to signed off, not available.
    with db.session() as session:
        conversations.close_by_counselor(session=session, user=wang, call_id=call_id, now=T0)
    with db.session() as session:
        routing.finish_wrap_up(session=session, user=wang, call_id=call_id, now=T0 + 20 * S)
    assert status_of(db, wang).state == AgentState.offline


def test_a_supervisor_already_taking_contacts_stays_in_rotation(
    db: Database, people: tuple[Line, User, User]
) -> None:
    line, alice, wang = people
    call_id = held_text(db, line, alice, "p1", T0 + S, Channel.webchat)
    other = held_text(db, line, alice, "p2", T0 + 3 * S, Channel.webchat)
    presence(db, wang, AgentState.available, T0 + 4 * S)
    take_over(db, wang, call_id, alice, T0 + 5 * S)
    status = status_of(db, wang)
    assert (status.state, status.reason) == (AgentState.chatting, None)
    # Alice still holds her other conversation: she stays in it.
    assert status_of(db, alice).state == AgentState.chatting
    with db.session() as session:
        assert [c.id for c in routing.conversations_of(session=session, user_id=alice.id or 0)] == [
            other
        ]
    with db.session() as session:
        conversations.close_by_counselor(session=session, user=wang, call_id=call_id, now=T0)
    with db.session() as session:
        routing.finish_wrap_up(session=session, user=wang, call_id=call_id, now=T0 + 9 * S)
    assert status_of(db, wang).state == AgentState.available


def test_of_two_supervisors_taking_over_only_one_wins(
    db: Database, people: tuple[Line, User, User]
) -> None:
    line, alice, wang = people
    root = make_user(db, "root", role=Role.admin)
    call_id = held_text(db, line, alice, "p1", T0 + S, Channel.webchat)
    take_over(db, wang, call_id, alice, T0 + 5 * S)
    # Root saw alice holding it too: too late, and nothing changes.
    with pytest.raises(routing.RoutingError) as late:
        take_over(db, root, call_id, alice, T0 + 6 * S)
    assert late.value.code == "taken_already"
    with pytest.raises(routing.RoutingError) as again:
        take_over(db, wang, call_id, alice, T0 + 6 * S)
    assert again.value.code == "already_yours"
    with db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.counselor_id == wang.id
        assert (
            len(
                session.exec(
                    select(CallEvent).where(
                        CallEvent.call_id == call_id, col(CallEvent.state) == "taken_over"
                    )
                ).all()
            )
            == 1
        )
    with db.session() as session:  # never made 'in conversations'
        status = session.get(AgentStatus, root.id)
        assert status is None or status.state == AgentState.offline


def test_nothing_to_take_over_when_it_is_not_live(
    db: Database, people: tuple[Line, User, User]
) -> None:
    line, alice, wang = people
    call_id = held_text(db, line, alice, "p1", T0 + S, Channel.webchat)
    with db.session() as session:
        conversations.close_by_counselor(session=session, user=alice, call_id=call_id, now=T0)
    with pytest.raises(conversations.ConversationError) as ended:
        take_over(db, wang, call_id, alice, T0 + 5 * S)
    assert ended.value.code == "not_live"
    with pytest.raises(conversations.ConversationError) as counselor:
        take_over(db, alice, call_id, alice, T0 + 5 * S)
    assert counselor.value.code == "supervisors_only"
