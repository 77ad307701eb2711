"""Text conversations in the records, on both databases with an injected clock: a conversation
and its messages are purged with their call (never while a legal hold protects it), and an SMS
sender's subject-access export holds their transcripts (never a supervisor's private note)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from hotline.auth.models import Role, User
from hotline.calls.models import Call, CallState, Channel
from hotline.clock import FakeClock
from hotline.conversations import service as conversations
from hotline.conversations.models import Conversation, ConversationMessage, Delivery, Sender
from hotline.db import Database
from hotline.lines.models import Line
from hotline.privacy import caller_hash
from hotline.retention import access
from hotline.retention import service as retention
from hotline.retention.models import MIN_RETENTION_DAYS
from hotline.wechat.service import sender_hash
from tests.factories import make_line, make_user
from tests.retention.records import SECRET, days, make_record, row_counts

ENDED = datetime(2023, 3, 1, 10, 0, 0, tzinfo=UTC)
EXPIRES = ENDED + days(MIN_RETENTION_DAYS)
NUMBER = "+8613800000001"
S = timedelta(seconds=1)


def conversation(
    db: Database,
    line: Line,
    counselor: User,
    *,
    channel: Channel = Channel.sms,
    sender: str | None = None,
    at: datetime = ENDED - timedelta(minutes=10),
    words: str = "我睡不着",
) -> int:
    """A finished SMS (or other) conversation: the person's words, the line's, the counselor's
    and a supervisor's private note."""
    assert counselor.id is not None
    with db.session() as session:
        call = conversations.start(
            session=session,
            line=line,
            channel=channel,
            sender_hash=sender or caller_hash(SECRET, NUMBER),
            now=at,
            max_wait_s=600,
            address=NUMBER if channel == Channel.sms else None,
        )
        assert call.id is not None
        conversations.receive(session=session, call=call, body=words, now=at, provider_id=None)
        conversations.say(session=session, call=call, body="您好，这里是热线", now=at + S)
        call.counselor_id = counselor.id
        call.state = CallState.connected
        session.flush()
        conversations.reply(
            session=session, user=counselor, call_id=call.id, body="我在听", now=at + 2 * S
        )
        session.add(
            ConversationMessage(
                call_id=call.id,
                sender=Sender.supervisor,
                user_id=counselor.id,
                body="问一下安全",
                at=at + 3 * S,
                delivery=Delivery.private,
            )
        )
        call.state = CallState.completed
        call.ended_at = ENDED
        return call.id


def stored(db: Database, call_id: int) -> tuple[bool, bool, list[str]]:
    with db.session() as session:
        messages = session.exec(
            select(ConversationMessage.body)
            .where(ConversationMessage.call_id == call_id)
            .order_by(col(ConversationMessage.id))
        ).all()
        return (
            session.get(Call, call_id) is not None,
            session.get(Conversation, call_id) is not None,
            list(messages),
        )


def test_a_conversation_and_its_messages_go_with_their_call_unless_held(db: Database) -> None:
    line = make_line(db)
    counselor = make_user(db, "counselor")
    admin = make_user(db, "admin", role=Role.admin)
    held = conversation(db, line, counselor, words="held words")
    gone = conversation(db, line, counselor, words="purged words")
    with db.session() as session:
        retention.place_hold(
            session=session, call_id=held, user=admin, reason="court order", now=ENDED
        )
    clock = FakeClock(EXPIRES)
    clock.advance(-1)
    assert retention.purge(db=db, now=clock.now()).summary() == "nothing"
    assert stored(db, gone)[2] == ["purged words", "您好，这里是热线", "我在听", "问一下安全"]

    clock.advance(2)
    before = row_counts(db)
    result = retention.purge(db=db, now=clock.now())
    assert result.counts["conversations"] == 1
    assert result.counts["conversation_messages"] == 4
    assert stored(db, gone) == (False, False, [])
    after = row_counts(db)
    assert before["conversation_messages"] - after["conversation_messages"] == 4
    # The held one keeps its transport row and every message, still readable.
    assert stored(db, held) == (
        True,
        True,
        ["held words", "您好，这里是热线", "我在听", "问一下安全"],
    )

    with db.session() as session:
        retention.release_hold(session=session, call_id=held, user=admin, now=clock.now())
    retention.purge(db=db, now=clock.now())
    assert stored(db, held) == (False, False, [])
    assert row_counts(db)["conversations"] == 0


def test_an_sms_senders_export_holds_their_transcripts_without_private_notes(
    db: Database,
) -> None:
    line = make_line(db)
    counselor = make_user(db, "counselor")
    mine = conversation(db, line, counselor, words="我睡不着")
    # The same person on WeChat and someone else by SMS: neither is found by this number.
    conversation(
        db,
        line,
        counselor,
        channel=Channel.wechat,
        sender=sender_hash(secret=SECRET, open_id="o-openid-1"),
        words="wechat words",
    )
    conversation(
        db, line, counselor, sender=caller_hash(SECRET, "+8613900000009"), words="not theirs"
    )
    with db.session() as session:
        export = access.subject_access(session=session, secret=SECRET, number=NUMBER, now=EXPIRES)
    assert [c["id"] for c in export["calls"]] == [mine]
    (found,) = export["calls"]
    assert found["channel"] == "sms"
    assert [(m["sender"], m["body"]) for m in found["transcript"]] == [
        ("person", "我睡不着"),
        ("line", "您好，这里是热线"),
        ("counselor", "我在听"),
    ]
    assert found["transcript"][0]["at"] == (ENDED - timedelta(minutes=10)).isoformat()
    assert "问一下安全" not in str(export)
    assert NUMBER not in str(export)  # the conversation's address is never exported


def test_a_voice_calls_export_has_no_transcript(db: Database) -> None:
    line = make_line(db)
    counselor = make_user(db, "counselor")
    make_record(db, line=line, counselor=counselor, caller=NUMBER, created_at=ENDED, ended_at=ENDED)
    with db.session() as session:
        export = access.subject_access(session=session, secret=SECRET, number=NUMBER, now=EXPIRES)
    (found,) = export["calls"]
    assert found["channel"] == "voice" and found["transcript"] is None
