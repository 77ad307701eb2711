"""Text conversations: started by a person's first message, queued and offered like a call
(hotline/routing/), answered by one counselor, ended by either side.

A conversation is a `Call` whose channel is sms, webchat or wechat, so the queue, the offer,
the note, the screener, escalation, review and retention treat both alike. This module adds what
only text has: the messages (encrypted), the automatic answers of the line, danger phrases, and
where a reply goes. Replies are delivered after the commit: to the web chat page by the bus
(`chat_topic`), to SMS and WeChat by the `conversations.deliver` job (`jobs.py`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from hotline.auth.models import Role, User
from hotline.calls import service as calls
from hotline.calls.models import (
    PRIORITY_IN_DANGER,
    TERMINAL_STATES,
    WAITING_STATES,
    Call,
    CallState,
    Channel,
)
from hotline.conversations import danger, words
from hotline.conversations.models import Conversation, ConversationMessage, Delivery, Sender
from hotline.conversations.schemas import MessageFrame, MessageOut, ReadAlongSnapshot, TranscriptOut
from hotline.errors import DomainError
from hotline.escalation import service as escalations
from hotline.i18n import N_
from hotline.lines import prompts as line_prompts
from hotline.lines.models import Line
from hotline.realtime.events import BOARD_TOPIC, SUPERVISORS_TOPIC, agent_topic, emit
from hotline.routing import priority
from hotline.routing import service as routing

# A message longer than this is cut (an SMS of 10 segments; a page can send no more).
MAX_BODY = 1600
RATE_WINDOW = timedelta(minutes=1)  # `over_rate` counts a person's messages over this
SID_PREFIX = "CV"  # a conversation's own id in `calls.call_sid` (Twilio's call SIDs start CA)
# End reasons.
PERSON_LEFT = "person_left"
COUNSELOR_ENDED = "counselor_ended"
WENT_QUIET = "went_quiet"


class ConversationError(DomainError):
    messages: ClassVar[Mapping[str, str]] = {
        "not_yours": N_("This conversation is not yours to answer."),
        "not_live": N_("This conversation has ended."),
        "empty": N_("Write a message first."),
        "not_found": N_("No such conversation."),
        "not_allowed": N_(
            "Only its counselor, the crisis worker who joined it and supervisors may read this "
            "conversation."
        ),
        "supervisors_only": N_("Only supervisors may do this."),
        "no_counselor": N_("Nobody holds this conversation now."),
    }


# Who reads any conversation (their reads are audited) and sees supervisors' private notes.
SUPERVISING = frozenset({Role.supervisor, Role.admin})


def chat_topic(call_id: int) -> str:
    """The bus topic of one conversation: the web chat page's socket and the consoles showing
    it listen (a new message, typing, the end)."""
    return f"chat.{call_id}"


def resume_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_resume_token() -> str:
    return secrets.token_urlsafe(24)


def clean(body: str) -> str:
    return body.strip()[:MAX_BODY]


# --- starting and finding ---------------------------------------------------------------------


def start(
    *,
    session: Session,
    line: Line,
    channel: Channel,
    sender_hash: str,
    now: datetime,
    max_wait_s: int,
    address: str | None = None,
    resume_token: str | None = None,
) -> Call:
    """A person's first message: the conversation waits in the line's queue at once."""
    assert line.id is not None and channel != Channel.voice
    history = priority.has_open_high_risk_history(session=session, caller_hash=sender_hash, now=now)
    repeat = session.exec(
        select(Call.id).where(
            Call.caller_hash == sender_hash, Call.created_at >= now - calls.REPEAT_CALLER_WINDOW
        )
    ).first()
    call = Call(
        call_sid=SID_PREFIX + secrets.token_hex(16),
        line_id=line.id,
        caller_hash=sender_hash,
        channel=channel,
        state=CallState.ringing,
        created_at=now,
        repeat_caller=repeat is not None,
        high_risk_history=history,
        language=line.languages[0] if line.languages else None,
    )
    session.add(call)
    session.flush()
    assert call.id is not None
    calls.record_event(
        session=session, call_id=call.id, state=CallState.ringing.value, now=now, detail=channel
    )
    session.add(
        Conversation(
            call_id=call.id,
            address=address,
            resume_hash=resume_hash(resume_token) if resume_token else None,
            started_at=now,
            last_inbound_at=now,
        )
    )
    calls.enqueue(
        session=session,
        call=call,
        language=call.language,
        in_danger=False,
        max_wait_s=max_wait_s,
        now=now,
    )
    return call


def open_for(*, session: Session, line_id: int, sender_hash: str, channel: Channel) -> Call | None:
    """The person's conversation on this line and channel that has not ended (an SMS thread or
    a WeChat chat goes on in it), or None. One handed to a crisis worker goes on with them."""
    found = session.exec(
        select(Call)
        .where(
            Call.line_id == line_id,
            Call.caller_hash == sender_hash,
            Call.channel == channel,
            col(Call.state).not_in([s.value for s in TERMINAL_STATES | {CallState.wrap_up}]),
        )
        .order_by(col(Call.id).desc())
    ).first()
    if found is not None:
        return found
    handed = session.exec(
        select(Call)
        .where(
            Call.line_id == line_id,
            Call.caller_hash == sender_hash,
            Call.channel == channel,
            Call.end_reason == escalations.HANDED_TO_RESPONDER,
        )
        .order_by(col(Call.id).desc())
    ).first()
    return handed if handed is not None and with_responder(session=session, call=handed) else None


def with_responder(*, session: Session, call: Call) -> bool:
    """The counselor's part is over and the person goes on with the crisis worker."""
    return (
        call.end_reason == escalations.HANDED_TO_RESPONDER
        and escalations.responder_of(session=session, call_id=call.id or 0) is not None
        and escalations.caller_gone_at(session=session, call=call) is None
    )


def live_for_person(*, session: Session, call: Call) -> bool:
    """Someone answers the person now: its counselor, or the crisis worker it was handed to."""
    return call.state == CallState.connected or with_responder(session=session, call=call)


def by_resume_token(*, session: Session, token: str) -> Call | None:
    row = session.exec(
        select(Call)
        .join(Conversation, col(Conversation.call_id) == Call.id)
        .where(Conversation.resume_hash == resume_hash(token))
    ).first()
    return row


def conversation(*, session: Session, call_id: int) -> Conversation | None:
    return session.get(Conversation, call_id)


# --- messages -------------------------------------------------------------------------------


def _add(
    session: Session,
    *,
    call: Call,
    sender: Sender,
    body: str,
    now: datetime,
    delivery: Delivery,
    user_id: int | None = None,
    provider_id: str | None = None,
    danger_phrase: str | None = None,
) -> ConversationMessage:
    assert call.id is not None
    message = ConversationMessage(
        call_id=call.id,
        sender=sender,
        user_id=user_id,
        body=body,
        at=now,
        provider_id=provider_id,
        delivery=delivery,
        danger_phrase=danger_phrase,
    )
    session.add(message)
    session.flush()
    assert message.id is not None
    emit(session, chat_topic(call.id), {"message": message.id})
    # Their consoles get a frame, not a snapshot: a snapshot per message kept 200 web chats'
    # counselors seconds behind (bench_webchat.py). What else changes emits its own snapshot.
    readers = _console_readers(session, call)
    if readers:
        frame = MessageFrame(
            call_id=call.id,
            last_message_id=message.id,
            unread=routing.unanswered(session=session, call_id=call.id),
        ).model_dump()
        for user_id in readers:
            emit(session, agent_topic(user_id), {"frame": frame})
    return message


def _console_readers(session: Session, call: Call) -> list[int]:
    """Whose console lists the conversation: its counselor, and the crisis worker who joined."""
    assert call.id is not None
    readers = [call.counselor_id] if call.counselor_id is not None else []
    responder = escalations.responder_of(session=session, call_id=call.id)
    if responder is not None and responder != call.counselor_id:
        readers.append(responder)
    return readers


def receive(
    *,
    session: Session,
    call: Call,
    body: str,
    now: datetime,
    provider_id: str | None = None,
    phrases: Mapping[str, Sequence[str]] | None = None,
) -> ConversationMessage | None:
    """A message from the person. None if it was stored before (the channel delivered it
    twice: its provider id is unique, so the insert is refused; no read first, since this runs
    for every message). A danger phrase puts a waiting conversation first and tells the
    supervisors."""
    phrase = danger.match(body, danger.phrases(phrases or {}))
    try:
        with session.begin_nested():
            message = _add(
                session,
                call=call,
                sender=Sender.person,
                body=clean(body),
                now=now,
                delivery=Delivery.received,
                provider_id=provider_id,
                danger_phrase=phrase,
            )
    except IntegrityError:  # the same message delivered again (or twice at once)
        return None
    session.execute(
        update(Conversation).where(col(Conversation.call_id) == call.id).values(last_inbound_at=now)
    )
    if phrase is not None and not call.in_danger:
        _in_danger(session, call, now)
    return message


def _in_danger(session: Session, call: Call, now: datetime) -> None:
    """First in the queue (if still waiting) and shown as in danger everywhere."""
    assert call.id is not None
    values: dict[str, object] = {"in_danger": True}
    if call.state in WAITING_STATES:
        values["priority"] = PRIORITY_IN_DANGER
    session.execute(update(Call).where(col(Call.id) == call.id).values(**values))
    session.refresh(call)
    calls.record_event(session=session, call_id=call.id, state="in_danger", now=now)
    emit(session, SUPERVISORS_TOPIC, {"in_danger_call": call.id})
    emit(session, BOARD_TOPIC)
    for user_id in _console_readers(session, call):  # its card shows why it comes first
        emit(session, agent_topic(user_id))


def say(*, session: Session, call: Call, body: str, now: datetime) -> ConversationMessage:
    """An automatic answer of the line (greeting, place in the queue, closing words)."""
    return _add(session, call=call, sender=Sender.line, body=body, now=now, delivery=_out(call))


def _out(call: Call) -> Delivery:
    # The web chat page gets it from the bus at once; SMS and WeChat wait for the job.
    return Delivery.sent if call.channel == Channel.webchat else Delivery.queued


def _is_responder(session: Session, user: User, call_id: int) -> bool:
    """`user` is the crisis worker who joined this conversation (escalation still open)."""
    return (
        user.id is not None
        and escalations.responder_of(session=session, call_id=call_id) == user.id
    )


def reply(
    *, session: Session, user: User, call_id: int, body: str, now: datetime
) -> ConversationMessage:
    """The counselor answers the person of a conversation they hold, or the crisis worker who
    joined it writes to them (as "the crisis worker"), while the person is there."""
    call = session.get(Call, call_id)
    if call is None or not call.is_text:
        raise ConversationError("not_found", 404)
    if call.counselor_id == user.id and call.state == CallState.connected:
        sender = Sender.counselor
    elif _is_responder(session, user, call_id):
        if escalations.caller_gone_at(session=session, call=call) is not None:
            raise ConversationError("not_live", 409)
        sender = Sender.responder
    elif call.counselor_id != user.id:
        raise ConversationError("not_yours", 403)
    else:
        raise ConversationError("not_live", 409)
    text = clean(body)
    if not text:
        raise ConversationError("empty", 422)
    return _add(
        session,
        call=call,
        sender=sender,
        body=text,
        now=now,
        delivery=_out(call),
        user_id=user.id,
    )


def _supervised(*, session: Session, user: User, call_id: int) -> Call:
    """A live conversation someone holds, for a supervisor to write to or take over."""
    if user.role not in SUPERVISING:
        raise ConversationError("supervisors_only", 403)
    call = session.get(Call, call_id)
    if call is None or not call.is_text:
        raise ConversationError("not_found", 404)
    if call.state != CallState.connected:
        raise ConversationError("not_live", 409)
    if call.counselor_id is None:
        raise ConversationError("no_counselor", 409)
    return call


def note_to_counselor(
    *, session: Session, user: User, call_id: int, body: str, now: datetime
) -> ConversationMessage:
    """A supervisor's private note (the text whisper): only the counselor holding the
    conversation and supervisors see it; it is never delivered to the person on any channel
    (delivery `private`: the delivery job takes only `queued`, the web chat page's transcript
    leaves supervisors' notes out)."""
    call = _supervised(session=session, user=user, call_id=call_id)
    text = clean(body)
    if not text:
        raise ConversationError("empty", 422)
    return _add(
        session,
        call=call,
        sender=Sender.supervisor,
        body=text,
        now=now,
        delivery=Delivery.private,
        user_id=user.id,
    )


def take_over(
    *, session: Session, user: User, call_id: int, from_user_id: int, now: datetime
) -> Call:
    """A supervisor becomes the holder of the conversation they saw `from_user_id` hold
    (routing.take_over_text: of two at once, one wins); the person is told that another
    counselor goes on with them."""
    call = _supervised(session=session, user=user, call_id=call_id)
    routing.take_over_text(session=session, call=call, user=user, from_id=from_user_id, now=now)
    line = session.get(Line, call.line_id)
    if line is not None:
        say(
            session=session,
            call=call,
            body=words.taken_over(line, call.language, user.display_name),
            now=now,
        )
    return call


def readable(*, session: Session, user: User, call_id: int) -> Call:
    """The conversation, if `user` may read it: the counselor holding it, the crisis worker who
    joined it, or a supervisor."""
    call = session.get(Call, call_id)
    if call is None:
        raise ConversationError("not_found", 404)
    if (
        call.counselor_id != user.id
        and user.role not in SUPERVISING
        and not _is_responder(session, user, call_id)
    ):
        raise ConversationError("not_allowed", 403)
    if not call.is_text:
        raise ConversationError("not_found", 404)
    return call


def held(*, session: Session, user: User, call_id: int) -> Call:
    """The conversation, if `user` holds it or joined it as the crisis worker (to answer it, or
    say they are typing)."""
    call = session.get(Call, call_id)
    if call is None:
        raise ConversationError("not_found", 404)
    if call.counselor_id != user.id and not _is_responder(session, user, call_id):
        raise ConversationError("not_yours", 403)
    if not call.is_text:
        raise ConversationError("not_found", 404)
    return call


def typing(*, session: Session, user: User, call_id: int) -> None:
    """The counselor (or crisis worker) is writing: the person's page shows it (nothing is
    stored)."""
    call = held(session=session, user=user, call_id=call_id)
    if call.counselor_id == user.id and call.state == CallState.connected:
        emit(session, chat_topic(call_id), {"typing": Sender.counselor.value})
    elif _is_responder(session, user, call_id) and live_for_person(session=session, call=call):
        emit(session, chat_topic(call_id), {"typing": Sender.responder.value})
    else:
        raise ConversationError("not_live", 409)


def read_along(*, session: Session, call: Call, user_id: int, now: datetime) -> ReadAlongSnapshot:
    """The state of a conversation a supervisor reads along (not its messages)."""
    assert call.id is not None
    session.refresh(call)
    line = session.get(Line, call.line_id)
    holder = session.get(User, call.counselor_id) if call.counselor_id is not None else None
    last = session.exec(
        select(func.max(ConversationMessage.id)).where(ConversationMessage.call_id == call.id)
    ).one()
    return ReadAlongSnapshot(
        server_time=now,
        call_id=call.id,
        channel=call.channel.value,
        state="live" if call.state in (*WAITING_STATES, CallState.connected) else "ended",
        line_name=line.name if line is not None else "",
        counselor_id=call.counselor_id,
        counselor_name=holder.display_name if holder is not None else None,
        mine=call.counselor_id == user_id,
        last_message_id=last,
    )


def authors(*, session: Session, messages: Sequence[ConversationMessage]) -> dict[int, str]:
    """The display names of the people who wrote `messages`, by user id."""
    ids = {m.user_id for m in messages if m.user_id is not None}
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.display_name).where(col(User.id).in_(ids))).all()
    return {user_id: name for user_id, name in rows if user_id is not None}


def transcript(
    *, session: Session, call_id: int, private: bool = False, after: int = 0
) -> list[ConversationMessage]:
    """The messages in order (those after the id `after`); a supervisor's private notes only
    when `private`."""
    return _in_order(session, call_id, col(ConversationMessage.id) > after, private=private)


# Deliveries that may still change: handed to the channel or not yet. Only SMS reports
# "delivered" afterwards; a web chat or WeChat message is final once sent.
_UNSETTLED = (Delivery.queued, Delivery.sending)
_UNSETTLED_SMS = (*_UNSETTLED, Delivery.sent)


def changes(
    *, session: Session, call: Call, after: int, private: bool = False
) -> list[ConversationMessage]:
    """What a reader who has the messages up to `after` lacks: the newer ones, and the earlier
    ones whose delivery may have moved on since (so the console need not read it all again)."""
    assert call.id is not None
    unsettled = _UNSETTLED_SMS if call.channel == Channel.sms else _UNSETTLED
    lacking = or_(
        col(ConversationMessage.id) > after,
        col(ConversationMessage.delivery).in_([d.value for d in unsettled]),
    )
    return _in_order(session, call.id, lacking, private=private)


def _in_order(
    session: Session, call_id: int, which: ColumnElement[bool], *, private: bool
) -> list[ConversationMessage]:
    """The conversation's messages that `which` picks, in order; a supervisor's private notes
    only when `private`."""
    query = select(ConversationMessage).where(ConversationMessage.call_id == call_id, which)
    if not private:
        query = query.where(ConversationMessage.sender != Sender.supervisor)
    return list(session.exec(query.order_by(col(ConversationMessage.id))))


def message_out(message: ConversationMessage, names: dict[int, str]) -> MessageOut:
    """A message as its readers get it, its author named from `names` (see `authors`)."""
    assert message.id is not None
    return MessageOut(
        id=message.id,
        sender=message.sender,
        body=message.body,
        at=message.at,
        delivery=message.delivery,
        danger_phrase=message.danger_phrase,
        author=names.get(message.user_id) if message.user_id is not None else None,
    )


def transcript_out(
    *, session: Session, call: Call, private: bool, after: int | None = None
) -> TranscriptOut:
    """The transcript as its readers get it; with `after`, only what a reader who has the
    messages up to that id lacks (`changes`)."""
    assert call.id is not None
    call_id = call.id
    # Private notes: for the counselor holding it and supervisors (not a crisis worker).
    if after is None:
        messages = transcript(session=session, call_id=call_id, private=private)
    else:
        messages = changes(session=session, call=call, after=after, private=private)
    names = authors(session=session, messages=messages)
    return TranscriptOut(
        call_id=call_id,
        channel=call.channel.value,
        state=call.state.value,
        messages=[message_out(m, names) for m in messages],
        after=after,
    )


def set_delivery(
    *,
    session: Session,
    provider_id: str,
    delivery: Delivery,
    message_id: int | None = None,
) -> bool:
    """A channel's status callback: sent, delivered or failed (never back from delivered).

    The callback can come before the sender has recorded the channel's id (Twilio calls back
    as soon as it has the message): `message_id` (ours, in the callback's URL) then finds the
    message still being sent, and the channel's id is recorded with its state."""
    allowed = [
        d.value
        for d in {
            Delivery.sent: (Delivery.queued, Delivery.sending),
            Delivery.delivered: (Delivery.queued, Delivery.sending, Delivery.sent),
            Delivery.failed: (Delivery.queued, Delivery.sending, Delivery.sent),
        }.get(delivery, ())
    ]
    known = session.exec(
        select(ConversationMessage.id).where(ConversationMessage.provider_id == provider_id)
    ).first()
    if known is None and message_id is not None:
        moved = session.execute(
            update(ConversationMessage)
            .where(
                col(ConversationMessage.id) == message_id,
                col(ConversationMessage.provider_id).is_(None),
                col(ConversationMessage.delivery) == Delivery.sending.value,
                col(ConversationMessage.delivery).in_(allowed),
            )
            .values(delivery=delivery.value, provider_id=provider_id)
        )
        return bool(getattr(moved, "rowcount", 0))
    moved = session.execute(
        update(ConversationMessage)
        .where(
            col(ConversationMessage.provider_id) == provider_id,
            col(ConversationMessage.delivery).in_(allowed),
        )
        .values(delivery=delivery.value)
    )
    return bool(getattr(moved, "rowcount", 0))


def take_for_reply(*, session: Session, call: Call) -> ConversationMessage | None:
    """The line's last queued message to the person, marked sent: the channel's answer to
    their message carries it (a WeChat passive reply), so the delivery job must not."""
    message = session.exec(
        select(ConversationMessage)
        .where(
            ConversationMessage.call_id == call.id,
            ConversationMessage.sender == Sender.line,
            ConversationMessage.delivery == Delivery.queued,
        )
        .order_by(col(ConversationMessage.id).desc())
    ).first()
    if message is None:
        return None
    message.delivery = Delivery.sent
    session.add(message)
    session.flush()
    return message


def seen(*, session: Session, provider_id: str) -> bool:
    """Whether the channel's message is stored already (a retried delivery)."""
    return (
        session.exec(
            select(ConversationMessage.id).where(ConversationMessage.provider_id == provider_id)
        ).first()
        is not None
    )


def over_rate(*, session: Session, sender_hash: str, per_minute: int, now: datetime) -> bool:
    """The person has written `per_minute` messages in the last minute already (on any line and
    channel): the next is dropped. Counted in the database, so every instance agrees."""
    return received_since(session=session, sender_hash=sender_hash, since=now - RATE_WINDOW) >= (
        per_minute
    )


def received_since(*, session: Session, sender_hash: str, since: datetime) -> int:
    """How many messages the sender has written (on any line and channel) since `since`."""
    count = session.exec(
        select(func.count())
        .select_from(ConversationMessage)
        .join(Call, col(Call.id) == ConversationMessage.call_id)
        .where(
            Call.caller_hash == sender_hash,
            ConversationMessage.sender == Sender.person,
            col(ConversationMessage.at) >= since,
        )
    ).one()
    return int(count)


def queue_position(*, session: Session, call: Call) -> int | None:
    """1 for the next to be offered on this line; None once it is no longer waiting."""
    if call.state != CallState.queued or call.queued_at is None:
        return None
    ahead = session.exec(
        select(func.count())
        .select_from(Call)
        .where(
            Call.line_id == call.line_id,
            Call.state == CallState.queued,
            (col(Call.priority) > call.priority)
            | ((col(Call.priority) == call.priority) & (col(Call.queued_at) < call.queued_at))
            | (
                (col(Call.priority) == call.priority)
                & (col(Call.queued_at) == call.queued_at)
                & (col(Call.id) < call.id)
            ),
        )
    ).one()
    return int(ahead) + 1


# --- ending ---------------------------------------------------------------------------------


def end_by_person(
    *, session: Session, call: Call, now: datetime, reason: str = PERSON_LEFT
) -> bool:
    ended = routing.person_left_text(session=session, call=call, now=now, reason=reason)
    if not ended and with_responder(session=session, call=call):
        # Handed to the crisis worker: the person leaving ends it for them (logged, once).
        escalations.caller_left(session=session, call=call, now=now)
        ended = True
    if ended and call.id is not None:
        emit(session, chat_topic(call.id), {"ended": True})
        responder = escalations.responder_of(session=session, call_id=call.id)
        if responder is not None:
            emit(session, agent_topic(responder))
    return ended


# --- what the line says -----------------------------------------------------------------------


def begin(
    *,
    session: Session,
    line: Line,
    channel: Channel,
    sender_hash: str,
    body: str,
    now: datetime,
    max_wait_s: int,
    provider_id: str | None = None,
    address: str | None = None,
    resume_token: str | None = None,
    phrases: Mapping[str, Sequence[str]] | None = None,
) -> Call:
    """A person's first message: the conversation is queued, the message kept, and the line
    answers at once (the emergency numbers, what is kept, their place in the queue)."""
    call = start(
        session=session,
        line=line,
        channel=channel,
        sender_hash=sender_hash,
        now=now,
        max_wait_s=max_wait_s,
        address=address,
        resume_token=resume_token,
    )
    if body.strip():
        receive(
            session=session,
            call=call,
            body=body,
            now=now,
            provider_id=provider_id,
            phrases=phrases,
        )
    position = queue_position(session=session, call=call)
    wait_s = _expected_wait(session, call, now)
    say(
        session=session,
        call=call,
        body=words.welcome(line, call.language, position, wait_s),
        now=now,
    )
    _told(session, call, position, now)
    return call


def _expected_wait(session: Session, call: Call, now: datetime) -> int | None:
    return line_prompts.expected_wait_s(session=session, line_id=call.line_id, now=now, texts=True)


def _told(session: Session, call: Call, position: int | None, now: datetime) -> None:
    session.execute(
        update(Conversation)
        .where(col(Conversation.call_id) == call.id)
        .values(position_told=position, position_told_at=now)
    )


def accepted(*, session: Session, call: Call, user: User, now: datetime) -> None:
    """The counselor took the conversation: the person is told who is with them."""
    line = session.get(Line, call.line_id)
    if line is not None:
        say(
            session=session,
            call=call,
            body=words.answered(line, call.language, user.display_name),
            now=now,
        )


def close_by_counselor(*, session: Session, user: User, call_id: int, now: datetime) -> Call:
    """The counselor ends the conversation: the person is told, and the note is written. With a
    crisis worker in it, only the counselor's part ends: the person stays with the crisis
    worker (docs/domain.md 6), and is told nothing ended."""
    call = routing.end_text(
        session=session, user=user, call_id=call_id, now=now, reason=COUNSELOR_ENDED
    )
    if call.end_reason == escalations.HANDED_TO_RESPONDER:
        return call
    line = session.get(Line, call.line_id)
    if line is not None:
        say(session=session, call=call, body=words.ended(line, call.language), now=now)
    assert call.id is not None
    emit(session, chat_topic(call.id), {"ended": True})
    return call


def close(*, session: Session, user: User, call_id: int, now: datetime) -> Call:
    """The console's "End conversation": its counselor's (`close_by_counselor`), or the crisis
    worker's once the conversation is theirs alone (`close_by_responder`)."""
    call = session.get(Call, call_id)
    if call is not None and call.counselor_id != user.id and _is_responder(session, user, call_id):
        return close_by_responder(session=session, user=user, call_id=call_id, now=now)
    return close_by_counselor(session=session, user=user, call_id=call_id, now=now)


def close_by_responder(*, session: Session, user: User, call_id: int, now: datetime) -> Call:
    """The crisis worker ends a conversation handed to them: the person is told, and the
    escalation's log says the person's part ended (the escalation stays open until resolved).
    While the counselor is still in it, it is theirs to end (or the crisis worker takes over)."""
    call = session.get(Call, call_id)
    if call is None or not call.is_text or not _is_responder(session, user, call_id):
        raise routing.RoutingError("no_live_call")
    if call.state == CallState.connected:
        raise routing.RoutingError("counselor_holds")
    if not with_responder(session=session, call=call):
        raise routing.RoutingError("no_live_call")
    escalations.caller_left(session=session, call=call, now=now)
    line = session.get(Line, call.line_id)
    if line is not None:
        say(session=session, call=call, body=words.responder_ended(line, call.language), now=now)
    emit(session, chat_topic(call_id), {"ended": True})
    if user.id is not None:
        emit(session, agent_topic(user.id))
    return call


def responder_joined(*, session: Session, call: Call, user: User, now: datetime) -> bool:
    """The crisis worker who acknowledged joins a live conversation (no phone leg): they read
    and write from their console, and the person is told a crisis worker is with them. False
    when the person had gone meanwhile."""
    already = escalations.responder_of(session=session, call_id=call.id or 0) is not None
    if not escalations.responder_joined(session=session, call=call, user_id=user.id or 0, now=now):
        return False
    line = session.get(Line, call.line_id)
    if line is not None and not already:  # a repeated join tells the person once
        say(session=session, call=call, body=words.responder_joined(line, call.language), now=now)
    if user.id is not None:
        emit(session, agent_topic(user.id))
    return True


def tell_positions(*, session: Session, line_id: int | None = None, now: datetime) -> int:
    """Waiting people whose place in the queue changed since they were last told hear the new
    one. Returns how many were told."""
    query = (
        select(Call, Conversation)
        .join(Conversation, col(Conversation.call_id) == Call.id)
        .where(Call.state == CallState.queued)
    )
    if line_id is not None:
        query = query.where(Call.line_id == line_id)
    told = 0
    for call, talk in session.exec(query).all():
        position = queue_position(session=session, call=call)
        if position is None or talk.position_told is None or position >= talk.position_told:
            continue  # only better news is worth a message
        line = session.get(Line, call.line_id)
        if line is None:
            continue
        wait_s = _expected_wait(session, call, now)
        body = words.place(line, call.language, position, wait_s)
        say(session=session, call=call, body=body, now=now)
        _told(session, call, position, now)
        told += 1
    return told


def give_up_waiting(*, session: Session, call: Call, now: datetime) -> bool:
    """Past the maximum wait: the person is given the partner line and the emergency numbers."""
    if not routing.to_overflow(session=session, call=call, now=now):
        return False
    line = session.get(Line, call.line_id)
    if line is not None:
        say(session=session, call=call, body=words.nobody_free(line, call.language), now=now)
    assert call.id is not None
    emit(session, chat_topic(call.id), {"ended": True})
    return True
