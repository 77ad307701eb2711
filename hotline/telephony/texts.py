"""What a person who texts a line's number (or its WeChat official account, hotline/wechat/) is
told at once when no conversation can start: the line is closed (that it is closed, the
emergency numbers, the partner line), or a picture came (only text can be read). An open line
starts a text conversation instead (`hotline.conversations.sms`, `hotline.wechat.service`).
Nothing of the message is kept. A blocked sender, a withheld number, or a number that is no
line's, gets no reply, as a blocked caller gets no counselor.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session
from twilio.twiml.messaging_response import MessagingResponse

from hotline import phone
from hotline.blocklist import service as blocklist
from hotline.i18n import gettext_for
from hotline.lines import service as lines
from hotline.lines.models import Line
from hotline.privacy import caller_hash, is_withheld
from hotline.telephony.prompts import AMBULANCE, POLICE, line_language


def reply(*, session: Session, to: str, sender: str, secret: str, now: datetime) -> str:
    """The TwiML answer to a person's SMS to the line at `to` (empty when nothing is said)."""
    response = MessagingResponse()
    line = lines.get_by_number(session=session, number=phone.caller_id(to))
    number = phone.caller_id(sender)
    if line is None or is_withheld(number):
        return str(response)
    if blocklist.is_blocked(session=session, caller_hash=caller_hash(secret, number), now=now):
        return str(response)
    response.message(text(line, now))
    return str(response)


def text(line: Line, now: datetime, *, call: str | None = None) -> str:
    """The reply itself: open or closed, in the line's first language. `call` is the number to
    ring when the message did not come to one (WeChat); an SMS says "this number"."""
    _ = gettext_for(line_language(line, None))
    emergency = {"police": POLICE, "ambulance": AMBULANCE}
    if not lines.is_open(line, now):
        closed = _(
            "%(name)s: this line is closed now and cannot answer text messages. If you are in "
            "danger, call %(police)s or %(ambulance)s now."
        ) % {"name": line.name, **emergency}
        if line.partner_number:
            closed += " " + _("You can call the partner hotline at %(number)s.") % {
                "number": line.partner_number
            }
        return closed
    if call is not None:
        return _(
            "%(name)s: we cannot answer messages here yet. Call %(number)s to talk with a "
            "counselor now. If you are in danger, call %(police)s or %(ambulance)s now."
        ) % {"name": line.name, "number": call, **emergency}
    return _(
        "%(name)s: we cannot answer text messages yet. Call this number to talk with a "
        "counselor now. If you are in danger, call %(police)s or %(ambulance)s now."
    ) % {"name": line.name, **emergency}


def text_only(line: Line) -> str:
    """Said before the reply to a picture, voice message or video (never stored)."""
    _ = gettext_for(line_language(line, None))
    return _("We can only read text messages.")
