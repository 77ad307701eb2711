"""What a person who writes to a line (SMS, its WeChat official account, its web chat) is told
at once when no conversation can start: the line is closed (that it is closed, that nothing of
the message is kept, the emergency numbers, the partner line), or a picture came (only text can
be read). An open line starts a text conversation instead (`hotline.conversations`).
"""

from __future__ import annotations

from hotline.i18n import gettext_for
from hotline.lines.models import Line
from hotline.telephony.prompts import AMBULANCE, POLICE, line_language


def closed(line: Line) -> str:
    """What a person writing to the line while it is closed is told at once, in its first
    language: it is closed, what becomes of their message (nothing is kept), the emergency
    numbers and the partner line."""
    _ = gettext_for(line_language(line, None))
    said = _(
        "%(name)s: this line is closed now and cannot answer text messages; your message has "
        "not been kept. If you are in danger, call %(police)s or %(ambulance)s now."
    ) % {"name": line.name, "police": POLICE, "ambulance": AMBULANCE}
    if line.partner_number:
        said += " " + _("You can call the partner hotline at %(number)s.") % {
            "number": line.partner_number
        }
    return str(said)


def text_only(line: Line) -> str:
    """Said before the reply to a picture, voice message or video (never stored)."""
    _ = gettext_for(line_language(line, None))
    return _("We can only read text messages.")
