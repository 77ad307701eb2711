"""A person's SMS to a line's number becomes a text conversation (the paged responders' replies
are told apart first, in hotline/escalation/webhooks.py).

While the line is open, the first SMS starts a conversation (`service.begin`: queued, the
line's welcome queued for the `conversations.deliver` job) and the next ones go on in it; the
webhook itself answers empty TwiML. Their number is kept only encrypted, in the conversation,
as the way back. A closed line gets `hotline.telephony.texts.closed` and keeps nothing; a
withheld number, a blocked sender or a number that is no line's get no reply. Pictures and
voice are never fetched nor stored: the person is told only text can be read. A sender past
`texts_per_minute` is not stored (a looping phone must not flood the queue or a counselor's
screen).

Long messages: Twilio joins the parts of a long SMS into one Body, and splits ours (at most
1,600 characters) into parts itself; we never split.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session
from twilio.twiml.messaging_response import MessagingResponse

from hotline import phone
from hotline.blocklist import service as blocklist
from hotline.calls.models import Channel
from hotline.config import Settings
from hotline.conversations import service as conversations
from hotline.lines import service as lines
from hotline.lines.models import Line
from hotline.linkage import service as linkage
from hotline.privacy import caller_hash, is_withheld
from hotline.telephony import texts
from hotline.telephony.params import as_id

log = logging.getLogger(__name__)
PROVIDER_PREFIX = "sms:"
NOTHING = str(MessagingResponse())  # no reply: no line, a withheld number, a blocked sender


@dataclass(frozen=True)
class Answer:
    """The TwiML to answer with, and whether a message was stored (the job then sends)."""

    twiml: str
    stored: bool = False


def provider_id(message_sid: str) -> str:
    return PROVIDER_PREFIX + message_sid


def answer(
    *, session: Session, params: dict[str, str], settings: Settings, now: datetime
) -> Answer:
    """The answer to a person's SMS (not a responder's): see the module's docstring."""
    line = lines.get_by_number(session=session, number=phone.caller_id(params.get("To", "")))
    number = phone.caller_id(params["From"])
    if line is None or is_withheld(number):
        return Answer(NOTHING)
    sender = caller_hash(settings.secret_key, number)
    if blocklist.is_blocked(session=session, caller_hash=sender, now=now):
        return Answer(NOTHING)
    assert line.id is not None
    ongoing = conversations.open_for(
        session=session, line_id=line.id, sender_hash=sender, channel=Channel.sms
    )
    if ongoing is None and not lines.is_open(line, now):
        closed = MessagingResponse()
        closed.message(texts.closed(line))
        return Answer(str(closed))
    response = MessagingResponse()
    if (as_id(params.get("NumMedia")) or 0) > 0:
        response.message(texts.text_only(line))
    body = params.get("Body", "")
    sid = params.get("MessageSid")
    key = provider_id(sid) if sid else None
    if not body.strip() or (
        key is not None and conversations.seen(session=session, provider_id=key)
    ):
        return Answer(str(response))
    if conversations.over_rate(
        session=session, sender_hash=sender, per_minute=settings.texts_per_minute, now=now
    ):
        log.warning(
            "SMS dropped: a sender wrote more than %d in a minute", settings.texts_per_minute
        )
        return Answer(NOTHING)
    if ongoing is not None:
        conversations.receive(
            session=session,
            call=ongoing,
            body=body,
            now=now,
            provider_id=key,
            phrases=settings.danger_phrases,
        )
    else:
        _begin(session, line, sender, number, body, key, settings, now)
    return Answer(str(response), stored=True)


def _begin(
    session: Session,
    line: Line,
    sender: str,
    number: str,
    body: str,
    key: str | None,
    settings: Settings,
    now: datetime,
) -> None:
    call = conversations.begin(
        session=session,
        line=line,
        channel=Channel.sms,
        sender_hash=sender,
        body=body,
        now=now,
        max_wait_s=settings.conversation_max_wait_s,
        provider_id=key,
        address=number,
        phrases=settings.danger_phrases,
    )
    # Kept for a rescue as a caller's number is (linkage: erased after its window unless a
    # high-risk escalation holds it), apart from the conversation's own copy, which is purged.
    linkage.capture(session=session, call=call, number=number, location={}, now=now)
