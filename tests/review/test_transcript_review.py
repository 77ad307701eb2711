"""A reviewed text conversation over real HTTP, on both databases: its page shows the transcript
(who wrote, when, a supervisor's private note marked) where a call has its recording, viewing
it is audited, and the call list says each contact's channel."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import select

from hotline.audit.models import AuditAction, AuditEvent
from hotline.auth.models import Role
from hotline.calls.models import Channel
from hotline.conversations import service as conversations
from hotline.conversations.models import ConversationMessage, Delivery, Sender
from hotline.routing import service as routing
from hotline.routing.models import AgentState
from tests.factories import make_line, make_user
from tests.review import drive
from tests.review.test_pages import client_for
from tests.stack import Stack, running_stack

S = timedelta(seconds=1)


@dataclass
class World:
    stack: Stack
    text_id: int
    voice_id: int


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with running_stack(database_url, with_simulator=False, run_engine=False) as stack:
        db = stack.db
        at = stack.clock.now() - timedelta(hours=1)
        line = make_line(db)
        alice = make_user(db, "alice")
        boss = make_user(db, "boss", role=Role.supervisor)
        make_user(db, "bob")
        voice_id = drive.whole_call(db, line, alice, "CA1", at - timedelta(hours=1), 60, 10)
        drive.presence(db, alice, AgentState.available, at)
        with db.session() as session:
            call = conversations.begin(
                session=session,
                line=line,
                channel=Channel.sms,
                sender_hash="h-sms",
                body="我好累，不想活了",
                now=at,
                max_wait_s=600,
            )
            assert call.id is not None
            text_id = call.id
        with db.session() as session:
            routing.offer_next(session=session, now=at + S, offer_timeout_s=20, max_conversations=2)
        with db.session() as session:
            routing.accept(
                session=session, user=alice, call_id=text_id, now=at + 2 * S, connect_timeout_s=45
            )
        with db.session() as session:
            conversations.reply(
                session=session, user=alice, call_id=text_id, body="我在这里陪你", now=at + 3 * S
            )
            session.add(
                ConversationMessage(
                    call_id=text_id,
                    sender=Sender.supervisor,
                    user_id=boss.id,
                    body="请评估自杀风险",
                    at=at + 4 * S,
                    delivery=Delivery.private,
                )
            )
        with db.session() as session:
            conversations.close_by_counselor(
                session=session, user=alice, call_id=text_id, now=at + 60 * S
            )
        yield World(stack, text_id, voice_id)


def test_a_text_conversation_shows_its_transcript_in_place_of_the_recording(
    world: World,
) -> None:
    boss = client_for(world.stack, "boss")
    answer = boss.get(f"/supervisor/calls/{world.text_id}")
    assert answer.status_code == 200
    page = answer.text
    assert 'data-testid="recording-player"' not in page
    assert 'data-testid="no-recording"' not in page
    assert 'data-testid="call-channel">SMS<' in page
    transcript = page[page.index('data-testid="transcript"') : page.index("</ol>")]
    items = transcript.split('data-testid="transcript-message"')[1:]
    senders = [item.split('data-sender="')[1].split('"')[0] for item in items]
    assert senders[0] == "person" and "我好累，不想活了" in items[0]
    assert "line" in senders  # the line's welcome, as the person got it
    counselor = items[senders.index("counselor")]
    assert "Alice" in counselor and "我在这里陪你" in counselor
    (private,) = [item for item in items if 'data-private="true"' in item]
    assert "请评估自杀风险" in private and "Boss" in private
    assert "never sent" in private and senders[-1] == "line"  # the closing words
    assert "<time datetime=" in items[0]

    voice = boss.get(f"/supervisor/calls/{world.voice_id}").text
    assert 'data-testid="transcript"' not in voice
    assert 'data-testid="no-recording"' in voice
    assert 'data-testid="call-channel">Phone call<' in voice

    with world.stack.db.session() as session:
        views = session.exec(
            select(AuditEvent).where(
                AuditEvent.username == "boss", AuditEvent.action == AuditAction.view
            )
        ).all()
    got = [(v.object_type, v.object_id, v.detail) for v in views]
    assert got == [
        ("call", str(world.text_id), "review, transcript"),
        ("call", str(world.voice_id), "review"),
    ]
    # The person's words never reach the audit log.
    assert not any("不想活" in (v.detail or "") for v in views)

    chinese = boss.get(f"/supervisor/calls/{world.text_id}", params={"lang": "zh_CN"}).text
    assert 'data-testid="call-channel">短信<' in chinese
    assert "给咨询员的私下提示" in chinese


def test_the_call_list_shows_each_contacts_channel(world: World) -> None:
    boss = client_for(world.stack, "boss")
    page = boss.get("/supervisor/calls").text
    rows = page.split('data-testid="call-row"')[1:]
    channels = {
        int(row.split('data-id="')[1].split('"')[0]): row.split('data-testid="call-row-channel">')[
            1
        ].split("<")[0]
        for row in rows
    }
    assert channels == {world.text_id: "SMS", world.voice_id: "Phone call"}


def test_only_reviewers_read_a_transcript(world: World) -> None:
    alice = client_for(world.stack, "alice")
    bob = client_for(world.stack, "bob")
    for client in (alice, bob):
        answer = client.get(f"/supervisor/calls/{world.text_id}")
        assert answer.status_code == 403
        assert "我好累" not in answer.text
