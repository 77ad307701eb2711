"""What a message to the line's official account is answered with (a passive reply).

While the line is open, a follower's text starts a conversation (channel wechat: their OpenID
kept encrypted as the way back, `MsgId` as the message's id) or goes on in their open one; the
first is answered passively with the line's welcome (marked sent), the next ones with no reply.
Counselors' replies go out later as customer-service messages (`outbound.py`). A closed line,
a picture or voice message, and following the account are answered at once
(`hotline.telephony.texts`, `hotline.conversations.words`); nothing of a picture is fetched.
The sender is known only by their OpenID for this account; the blocklist holds a keyed hash of
it, as it does of a caller's number.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session
from wechatpy.replies import TextReply

from hotline import phone, privacy
from hotline.blocklist import service as blocklist
from hotline.calls.models import Call, Channel
from hotline.config import Settings
from hotline.conversations import service as conversations
from hotline.conversations import words
from hotline.dialback import service as dialbacks
from hotline.lines import service as lines
from hotline.lines.models import Line
from hotline.telephony import texts

log = logging.getLogger(__name__)

# Message types that carry media: answered, never fetched nor stored.
MEDIA = frozenset({"image", "voice", "video", "shortvideo", "file", "location", "link"})
# Events that open a conversation with the account: following it, or opening it from a menu.
GREETED_EVENTS = frozenset({"subscribe", "subscribe_scan", "click", "view"})
# The answer WeChat takes for "no reply" (an empty body works too; this one is documented).
NO_REPLY = "success"
PROVIDER_PREFIX = "wechat:"
# A follower's "no" to a call their counselor offered (`_converse`).
DECLINE = frozenset({"no", "no thanks", "不", "不用", "不要", "不用了", "不了", "算了"})


def sender_hash(*, secret: str, open_id: str) -> str:
    """The blocklist's key for a WeChat sender (never a phone number's hash)."""
    return privacy.sender_hash(secret, "wechat", open_id)


@dataclass
class Answered:
    """The reply to render, and whether a message was stored (the caller kicks the jobs)."""

    xml: str
    stored: bool = False


def answer(
    *, session: Session, line: Line, message: object, settings: Settings, now: datetime
) -> Answered:
    """The XML reply to one parsed message (`wechatpy.parse_message`), or NO_REPLY."""
    kind = str(getattr(message, "type", ""))
    event = str(getattr(message, "event", "")) if kind == "event" else ""
    open_id = str(getattr(message, "source", ""))
    if kind == "event" and event not in GREETED_EVENTS:
        return Answered(NO_REPLY)  # unfollowing, location reports, template results
    sender = sender_hash(secret=settings.secret_key, open_id=open_id)
    if blocklist.is_blocked(session=session, caller_hash=sender, now=now):
        return Answered(NO_REPLY)
    assert line.id is not None
    ongoing = conversations.open_for(
        session=session, line_id=line.id, sender_hash=sender, channel=Channel.wechat
    )
    if ongoing is None and not lines.is_open(line, now):
        content = texts.closed(line)
        if kind in MEDIA:
            content = f"{texts.text_only(line)} {content}"
        return Answered(_render(message, content))
    if kind in MEDIA:
        return Answered(_render(message, texts.text_only(line)))
    if kind != "text":  # following the account, opening it from a menu
        return Answered(_render(message, words.welcome(line, None, None)))
    return _converse(session, line, message, ongoing, sender, open_id, settings, now)


def _converse(
    session: Session,
    line: Line,
    message: object,
    ongoing: Call | None,
    sender: str,
    open_id: str,
    settings: Settings,
    now: datetime,
) -> Answered:
    body = str(getattr(message, "content", "") or "")
    key = f"{PROVIDER_PREFIX}{getattr(message, 'id', '')}"
    if not body.strip() or conversations.seen(session=session, provider_id=key):
        return Answered(NO_REPLY)
    if conversations.over_rate(
        session=session, sender_hash=sender, per_minute=settings.texts_per_minute, now=now
    ):
        log.warning(
            "WeChat message dropped: a follower wrote more than %d in a minute",
            settings.texts_per_minute,
        )
        return Answered(NO_REPLY)
    if ongoing is not None:
        offered = dialbacks.call_offered(session=session, call=ongoing)
        if offered and _called_back(session, ongoing, body, now):
            return Answered(NO_REPLY, stored=True)  # the caller kicks the jobs: the call goes out
        conversations.receive(
            session=session,
            call=ongoing,
            body=body,
            now=now,
            provider_id=key,
            phrases=settings.danger_phrases,
        )
        if offered and _words_of(body) in DECLINE:  # kept as their message, then declined
            assert ongoing.id is not None
            dialbacks.answer_offer(session=session, call_id=ongoing.id, number=None, now=now)
        return Answered(NO_REPLY, stored=True)
    call = conversations.begin(
        session=session,
        line=line,
        channel=Channel.wechat,
        sender_hash=sender,
        body=body,
        now=now,
        max_wait_s=settings.conversation_max_wait_s,
        provider_id=key,
        address=open_id,
        phrases=settings.danger_phrases,
    )
    welcome = conversations.take_for_reply(session=session, call=call)
    if welcome is None:
        return Answered(NO_REPLY, stored=True)
    return Answered(_render(message, welcome.body), stored=True)


def _words_of(body: str) -> str:
    return body.strip().strip(".。!！").lower()


def _called_back(session: Session, call: Call, body: str, now: datetime) -> bool:
    """The follower was asked for their number (their counselor offered a call) and answered
    with one the line can call: it is called now, and the number is never stored as a message
    (it is kept encrypted on the dial-back alone). False: anything else, a message like any
    other ("no" among them, which the caller then declines with)."""
    assert call.id is not None
    number = _words_of(body)
    if phone.to_e164(number) is None:
        return False
    try:
        with session.begin_nested():
            dialbacks.answer_offer(session=session, call_id=call.id, number=number, now=now)
    except dialbacks.DialBackError:  # not a number the line can call
        return False
    return True


def _render(message: object, content: str) -> str:
    return str(TextReply(message=message, content=content).render())
