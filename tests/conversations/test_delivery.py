"""Handing messages to SMS: each is claimed once, a conversation's go out in order, and one
claimed by an instance that died mid-send is taken again after the lease, not left for ever
(nor its conversation's later messages). Against both databases, with times set by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hotline.calls.models import Channel
from hotline.conversations import delivery
from hotline.conversations import service as conversations
from hotline.db import Database
from tests.factories import make_line

T0 = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)


def claimed_ids(db: Database, at: datetime) -> list[int]:
    with db.session() as session:
        return [m.message_id for m in delivery.claim(session=session, now=at)]


def test_a_message_whose_sender_died_is_sent_again_after_the_lease_and_in_order(
    db: Database,
) -> None:
    line = make_line(db, languages=["en"])
    with db.session() as session:
        call = conversations.begin(
            session=session,
            line=line,
            channel=Channel.sms,
            sender_hash="p1",
            body="hello",
            now=T0,
            max_wait_s=600,
            address="+8613800000001",
        )
        call_id = call.id or 0
    [welcome] = claimed_ids(db, T0)  # an instance claims the welcome, then dies
    with db.session() as session:
        later = conversations.say(session=session, call=call, body="You are next.", now=T0)
    # Within the lease: neither the welcome again nor the next message (order is kept).
    assert claimed_ids(db, T0 + timedelta(seconds=30)) == []
    # Past it: the welcome is taken again, with the next one after it.
    after = T0 + delivery.SEND_LEASE + timedelta(seconds=1)
    assert claimed_ids(db, after) == [welcome, later.id]
    with db.session() as session:
        delivery.sent(session=session, message_id=welcome, provider_id="sms:SM1")
    # A message sent is never taken again; one freshly claimed waits for its lease.
    assert claimed_ids(db, after + delivery.SEND_LEASE / 2) == []
    assert claimed_ids(db, after + 2 * delivery.SEND_LEASE) == [later.id]
    with db.session() as session:
        assert [m.id for m in conversations.transcript(session=session, call_id=call_id)][1:] == [
            welcome,
            later.id,
        ]
