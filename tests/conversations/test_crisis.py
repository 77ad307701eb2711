"""A text conversation escalated to the crisis team, over real HTTP on both databases: the crisis
worker who acknowledged joins it in the console (no phone leg), reads it and writes to the
person as "the crisis worker", and the person is told. The counselor ending it hands it over:
the person is never cut off from the crisis worker, who ends it when it is theirs alone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, select

from hotline.auth.models import Role
from hotline.calls.models import Call, CallState, Channel
from hotline.conversations import service as conversations
from hotline.conversations import words
from hotline.conversations.models import ConversationMessage, Sender
from hotline.escalation import service as escalations
from hotline.escalation.models import Escalation, EscalationLog, EscalationStatus
from hotline.lines.models import Line
from hotline.routing import service as routing
from tests.calls import get_user
from tests.conversations.test_api import begin, held_by
from tests.factories import make_line, make_rota, make_user
from tests.notes.test_api import NoteClient
from tests.stack import Stack


@pytest.fixture
def escalated(quiet_app: Stack) -> tuple[Stack, int, int]:
    """Alice holds a web chat and escalates it (high); zhao is the crisis worker on call."""
    line = make_line(quiet_app.db)
    alice = make_user(quiet_app.db, "alice")
    make_rota(quiet_app.db, "crisis", [make_user(quiet_app.db, "zhao", role=Role.crisis)])
    make_user(quiet_app.db, "qian", role=Role.crisis)
    call_id = begin(quiet_app, line, "p1", "I have the pills here")
    held_by(quiet_app, alice, call_id)
    response = NoteClient(quiet_app, "alice").post(
        f"/api/calls/{call_id}/escalate", {"reason": "Pills at hand", "level": "high"}
    )
    assert response.status_code == 200, response.text
    return quiet_app, call_id, int(response.json()["id"])


def act(client: NoteClient, escalation_id: int, action: str) -> Any:
    return client.http.post(
        f"/api/escalations/{escalation_id}/{action}", headers={"X-CSRF-Token": client.token}
    )


def messages(stack: Stack, call_id: int) -> list[tuple[Sender, str]]:
    with stack.db.session() as session:
        return [
            (m.sender, m.body) for m in conversations.transcript(session=session, call_id=call_id)
        ]


def log_of(stack: Stack, escalation_id: int) -> list[tuple[str, str | None]]:
    with stack.db.session() as session:
        return [
            (e.kind, e.channel)
            for e in session.exec(
                select(EscalationLog)
                .where(EscalationLog.escalation_id == escalation_id)
                .order_by(col(EscalationLog.id))
            )
        ]


def joined_words(stack: Stack, call_id: int) -> str:
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        line = session.get(Line, call.line_id)
        assert line is not None
        return words.responder_joined(line, call.language)


def cards(stack: Stack, username: str) -> list[dict[str, Any]]:
    user = get_user(stack.db, username)
    assert user is not None and user.id is not None
    with stack.db.session() as session:
        snap = routing.snapshot(session=session, user_id=user.id, now=stack.clock.now())
    found: list[dict[str, Any]] = snap["conversations"]
    return found


def joined(stack: Stack, escalation_id: int) -> NoteClient:
    zhao = NoteClient(stack, "zhao")
    assert act(zhao, escalation_id, "ack").status_code == 200
    response = act(zhao, escalation_id, "join")
    assert response.status_code == 200, response.text
    return zhao


def test_the_crisis_worker_joins_reads_and_writes_as_the_crisis_worker(
    escalated: tuple[Stack, int, int],
) -> None:
    stack, call_id, escalation_id = escalated
    url = f"/api/conversations/{call_id}/messages"
    zhao = NoteClient(stack, "zhao")
    # Before joining: neither reading nor writing.
    assert zhao.get(url).status_code == 403
    assert zhao.post(url, {"body": "hello"}).status_code == 403
    assert act(zhao, escalation_id, "join").json()["code"] == "acknowledge_first"
    assert act(zhao, escalation_id, "ack").status_code == 200
    assert act(zhao, escalation_id, "join").status_code == 200
    assert act(zhao, escalation_id, "join").status_code == 200  # a second click changes nothing

    with stack.db.session() as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None
        assert escalation.status == EscalationStatus.joined
        assert escalation.joined_at == stack.clock.now()
    log = log_of(stack, escalation_id)
    assert log[0] == ("triggered", "webchat")  # the log says the channel
    assert ("joined", "webchat") in log
    # The person is told, once.
    told = [body for sender, body in messages(stack, call_id) if sender == Sender.line]
    assert told.count(joined_words(stack, call_id)) == 1

    read = zhao.get(url)
    assert read.status_code == 200, read.text
    assert read.json()["messages"][0]["body"] == "I have the pills here"
    sent = zhao.post(url, {"body": "I am from the crisis team. Are the pills near you now?"})
    assert sent.status_code == 201, sent.text
    assert sent.json()["sender"] == "responder" and sent.json()["author"] == "Zhao"
    assert messages(stack, call_id)[-1] == (
        Sender.responder,
        "I am from the crisis team. Are the pills near you now?",
    )
    assert (
        NoteClient(stack, "zhao").post(f"/api/conversations/{call_id}/typing", {}).status_code
        == 204
    )
    # The counselor still writes too.
    assert NoteClient(stack, "alice").post(url, {"body": "We are both here."}).status_code == 201

    # Their console lists it as a crisis worker's conversation; the counselor's as hers.
    [card] = cards(stack, "zhao")
    assert card["call_id"] == call_id and card["role"] == "responder"
    assert card["state"] == "connected" and card["counselor_left"] is False
    assert card["escalation_id"] == escalation_id
    [mine] = cards(stack, "alice")
    assert mine["role"] == "counselor"
    # Another crisis worker may neither read nor write.
    qian = NoteClient(stack, "qian")
    assert qian.get(url).status_code == 403
    assert qian.post(url, {"body": "x"}).status_code == 403
    for client in (zhao, qian):
        client.console.close()


def test_the_alert_says_the_channel_and_a_text_is_never_dialled(
    escalated: tuple[Stack, int, int],
) -> None:
    stack, call_id, escalation_id = escalated
    zhao_user = get_user(stack.db, "zhao")
    assert zhao_user is not None
    stack.dispatcher.tick()  # pages the rota: zhao's console alert
    with stack.db.session() as session:
        alerts = escalations.alerts_for(session=session, user_id=zhao_user.id or 0)
    assert [(a["escalation_id"], a["channel"]) for a in alerts] == [(escalation_id, "webchat")]
    with stack.db.session() as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None
        call = session.get(Call, call_id)
        assert call is not None
        escalations.acknowledge(
            session=session,
            escalation_id=escalation_id,
            user=zhao_user,
            now=stack.clock.now(),
            channel="console",
        )
        # From a phone (the paging call's "press 1"), a text cannot be joined.
        with pytest.raises(escalations.EscalationError) as refused:
            escalations.request_join(
                session=session, escalation_id=escalation_id, user=zhao_user, now=stack.clock.now()
            )
        assert refused.value.code == "text_in_console"


def test_the_counselor_ending_it_hands_the_person_to_the_crisis_worker(
    escalated: tuple[Stack, int, int],
) -> None:
    stack, call_id, escalation_id = escalated
    zhao = joined(stack, escalation_id)
    alice_user, zhao_user = get_user(stack.db, "alice"), get_user(stack.db, "zhao")
    assert alice_user is not None and zhao_user is not None
    url = f"/api/conversations/{call_id}/messages"
    # Not theirs to end while the counselor is in it.
    with stack.db.session() as session, pytest.raises(routing.RoutingError) as refused:
        conversations.close(session=session, user=zhao_user, call_id=call_id, now=stack.clock.now())
    assert refused.value.code == "counselor_holds"

    before = len(messages(stack, call_id))
    with stack.db.session() as session:
        conversations.close(
            session=session, user=alice_user, call_id=call_id, now=stack.clock.now()
        )
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        assert call.state == CallState.wrap_up  # her note is written
        assert call.end_reason == escalations.HANDED_TO_RESPONDER
        assert conversations.live_for_person(session=session, call=call)
        # The person's next SMS or WeChat message would go on in it (not a new conversation).
        found = conversations.open_for(
            session=session, line_id=call.line_id, sender_hash="p1", channel=Channel.webchat
        )
        assert found is not None and found.id == call_id
    assert len(messages(stack, call_id)) == before  # the person is not told it ended
    assert NoteClient(stack, "alice").post(url, {"body": "x"}).json()["code"] == "not_live"
    assert zhao.post(url, {"body": "I am still here with you."}).status_code == 201
    [card] = cards(stack, "zhao")
    assert card["state"] == "connected" and card["counselor_left"] is True
    assert [c["state"] for c in cards(stack, "alice")] == ["wrap_up"]

    # Now theirs alone, the crisis worker ends it: the person is told, the log says so.
    with stack.db.session() as session:
        conversations.close(session=session, user=zhao_user, call_id=call_id, now=stack.clock.now())
    assert messages(stack, call_id)[-1][0] == Sender.line
    assert ("caller_left", None) in log_of(stack, escalation_id)
    assert zhao.post(url, {"body": "x"}).json()["code"] == "not_live"
    [card] = cards(stack, "zhao")
    assert card["state"] == "ended"
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None and not conversations.live_for_person(session=session, call=call)
    zhao.console.close()


def test_taking_over_frees_the_counselor_and_the_person_leaving_ends_it(
    escalated: tuple[Stack, int, int],
) -> None:
    stack, call_id, escalation_id = escalated
    zhao = joined(stack, escalation_id)
    response = act(zhao, escalation_id, "take_over")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "took_over"
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        assert call.state == CallState.wrap_up
        assert call.end_reason == escalations.HANDED_TO_RESPONDER
        assert conversations.end_by_person(session=session, call=call, now=stack.clock.now())
    assert ("caller_left", None) in log_of(stack, escalation_id)
    assert [c["state"] for c in cards(stack, "zhao")] == ["ended"]
    # Resolved, it leaves their console.
    resolved = zhao.post(f"/api/escalations/{escalation_id}/resolve", {"outcome": "safe_plan"})
    assert resolved.status_code == 200, resolved.text
    assert cards(stack, "zhao") == []
    with stack.db.session() as session:
        assert (
            session.exec(
                select(ConversationMessage).where(ConversationMessage.sender == Sender.responder)
            ).all()
            == []
        )
    zhao.console.close()


def test_a_person_who_left_before_the_join_is_not_joined(
    escalated: tuple[Stack, int, int],
) -> None:
    stack, call_id, escalation_id = escalated
    zhao = NoteClient(stack, "zhao")
    assert act(zhao, escalation_id, "ack").status_code == 200
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        assert conversations.end_by_person(session=session, call=call, now=stack.clock.now())
    refused = act(zhao, escalation_id, "join")
    assert refused.status_code == 409
    assert refused.json()["code"] == "caller_gone"
    assert joined_words(stack, call_id) not in [b for _s, b in messages(stack, call_id)]
    assert zhao.get(f"/api/conversations/{call_id}/messages").status_code == 403
    zhao.console.close()
