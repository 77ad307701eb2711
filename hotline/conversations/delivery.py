"""Handing the line's and the counselors' messages to SMS and WeChat, after the commit.

`claim` takes the queued messages (FOR UPDATE SKIP LOCKED on PostgreSQL, the write lock on
SQLite) and marks them `sending` with the time, so one instance sends each once; the job
(`jobs.py`) sends them on the dispatcher's pool and records the channel's id (`sent`) or the
refusal (`failed`). A conversation with a message still being sent is left for the next run: its
messages go out one after another, in order. A message `sending` for longer than `SEND_LEASE`
was claimed by an instance that died before it could say how it went: it is claimed again (sent
twice, at worst, rather than never, and the conversation's later messages no longer wait on it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, exists, select

from hotline.calls.models import Call, Channel
from hotline.conversations.models import Conversation, ConversationMessage, Delivery
from hotline.lines.models import Line

CHANNELS = (Channel.sms, Channel.wechat)
BATCH = 50
SEND_LEASE = timedelta(seconds=60)  # a send takes seconds; Twilio's own timeout is 15 s


@dataclass(frozen=True)
class Outgoing:
    """One message to send: where to, from which line, and when the person last wrote."""

    message_id: int
    call_id: int
    channel: Channel
    to: str
    from_: str
    body: str
    last_inbound_at: datetime


def _takeable(stale: datetime) -> ColumnElement[bool]:
    """Queued, or `sending` past the lease (its sender died mid-send)."""
    message = ConversationMessage
    return or_(
        col(message.delivery) == Delivery.queued.value,
        and_(col(message.delivery) == Delivery.sending.value, col(message.sending_at) <= stale),
    )


def claim(*, session: Session, now: datetime, limit: int = BATCH) -> list[Outgoing]:
    """The queued messages of SMS and WeChat conversations (and those whose sender's lease ran
    out), oldest first, now `sending`."""
    stale = now - SEND_LEASE
    busy = aliased(ConversationMessage)
    rows = session.exec(
        select(ConversationMessage, Call, Conversation, Line)
        .join(Call, col(Call.id) == ConversationMessage.call_id)
        .join(Conversation, col(Conversation.call_id) == Call.id)
        .join(Line, col(Line.id) == Call.line_id)
        .where(
            _takeable(stale),
            col(Call.channel).in_([c.value for c in CHANNELS]),
            ~exists().where(
                col(busy.call_id) == ConversationMessage.call_id,
                col(busy.delivery) == Delivery.sending.value,
                col(busy.sending_at) > stale,
            ),
        )
        .order_by(col(ConversationMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True, of=ConversationMessage)
    ).all()
    taken: list[Outgoing] = []
    for message, call, talk, line in rows:
        assert message.id is not None and call.id is not None
        moved = session.execute(
            update(ConversationMessage)
            .where(col(ConversationMessage.id) == message.id, _takeable(stale))
            .values(delivery=Delivery.sending.value, sending_at=now)
        )
        if not getattr(moved, "rowcount", 0):
            continue
        taken.append(
            Outgoing(
                message_id=message.id,
                call_id=call.id,
                channel=call.channel,
                to=talk.address or "",
                from_=line.number,
                body=message.body,
                last_inbound_at=talk.last_inbound_at,
            )
        )
    return taken


def sent(*, session: Session, message_id: int, provider_id: str | None) -> None:
    """The channel took the message: its id, if it gives one, is kept (its status callbacks
    name it)."""
    values: dict[str, str] = {"delivery": Delivery.sent.value}
    if provider_id is not None:
        values["provider_id"] = provider_id
    session.execute(
        update(ConversationMessage)
        .where(
            col(ConversationMessage.id) == message_id,
            col(ConversationMessage.delivery) == Delivery.sending.value,
        )
        .values(**values)
    )
    # A status callback faster than us has moved it on already, with the same id.


def failed(*, session: Session, message_id: int) -> None:
    """The channel refused the message (or it could not be sent at all)."""
    session.execute(
        update(ConversationMessage)
        .where(
            col(ConversationMessage.id) == message_id,
            col(ConversationMessage.delivery) == Delivery.sending.value,
        )
        .values(delivery=Delivery.failed.value)
    )
