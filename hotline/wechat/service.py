"""What a message to the line's official account is answered with (a passive reply).

Until text conversations are answered by counselors, a person gets at once the line's number to
call, the emergency numbers and whether the line is open (`hotline.telephony.texts`). Nothing of
the message is kept. The sender is known only by their OpenID for this account; the blocklist
holds a keyed hash of it, as it does of a caller's number.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session
from wechatpy.replies import TextReply

from hotline.blocklist import service as blocklist
from hotline.lines.models import Line
from hotline.privacy import caller_hash
from hotline.telephony import texts

# Message types that carry media: answered, never fetched nor stored.
MEDIA = frozenset({"image", "voice", "video", "shortvideo", "file", "location", "link"})
# Events that open a conversation with the account: following it, or opening it from a menu.
GREETED_EVENTS = frozenset({"subscribe", "subscribe_scan", "click", "view"})
# The answer WeChat takes for "no reply" (an empty body works too; this one is documented).
NO_REPLY = "success"


def sender_hash(*, secret: str, open_id: str) -> str:
    """The blocklist's key for a WeChat sender (never a phone number's hash)."""
    return caller_hash(secret, f"wechat:{open_id}")


def answer(*, session: Session, line: Line, message: object, secret: str, now: datetime) -> str:
    """The XML reply to one parsed message (`wechatpy.parse_message`), or NO_REPLY."""
    kind = str(getattr(message, "type", ""))
    event = str(getattr(message, "event", "")) if kind == "event" else ""
    open_id = str(getattr(message, "source", ""))
    if kind == "event" and event not in GREETED_EVENTS:
        return NO_REPLY  # unfollowing, location reports, template results: nothing to say
    if blocklist.is_blocked(
        session=session, caller_hash=sender_hash(secret=secret, open_id=open_id), now=now
    ):
        return NO_REPLY
    content = texts.text(line, now, call=line.number)
    if kind in MEDIA:
        content = f"{texts.text_only(line)} {content}"
    reply = TextReply(message=message, content=content)
    return str(reply.render())
