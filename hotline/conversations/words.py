"""What the line itself says in a text conversation, in the conversation's language: the first
answer (the emergency numbers before anything, what is kept, the place in the queue), the place
as it changes, and the closing words when nobody could answer or the line is closed."""

from __future__ import annotations

from collections.abc import Callable

from hotline.i18n import gettext_for
from hotline.lines.models import Line
from hotline.telephony.prompts import AMBULANCE, POLICE, line_language

EMERGENCY = {"police": POLICE, "ambulance": AMBULANCE}


def _for(line: Line, language: str | None) -> Callable[[str], str]:
    return gettext_for(line_language(line, language))


def welcome(
    line: Line, language: str | None, position: int | None, wait_s: int | None = None
) -> str:
    _ = _for(line, language)
    text = _(
        "%(name)s: if you are in danger right now, call %(police)s or %(ambulance)s. "
        "A counselor will answer here as soon as one is free. What you write is kept in the "
        "line's confidential records, like a call."
    ) % {"name": line.name, **EMERGENCY}
    if position is not None:
        text += " " + place(line, language, position, wait_s)
    return text


def place(line: Line, language: str | None, position: int, wait_s: int | None = None) -> str:
    """Their place in the queue, and the expected wait when the line's recent answers tell it
    (`lines.prompts.expected_wait_s`)."""
    _ = _for(line, language)
    if position <= 1:
        text = _("You are next.")
    else:
        text = _("You are number %(position)d in the queue.") % {"position": position}
    if wait_s is not None:
        minutes = max(1, round(wait_s / 60))
        text += " " + _("The expected wait is about %(minutes)s minutes.") % {"minutes": minutes}
    return str(text)


def answered(line: Line, language: str | None, counselor: str) -> str:
    _ = _for(line, language)
    return str(_("%(counselor)s, a counselor, is with you now.") % {"counselor": counselor})


def taken_over(line: Line, language: str | None, counselor: str) -> str:
    _ = _for(line, language)
    return str(
        _("%(counselor)s, another counselor, goes on with this conversation now.")
        % {"counselor": counselor}
    )


def nobody_free(line: Line, language: str | None) -> str:
    _ = _for(line, language)
    text = (
        _(
            "We are sorry: no counselor could answer in time, and this conversation has ended. "
            "If you are in danger, call %(police)s or %(ambulance)s now."
        )
        % EMERGENCY
    )
    if line.partner_number:
        text += " " + _("You can call the partner hotline at %(number)s.") % {
            "number": line.partner_number
        }
    return str(text)


def ended(line: Line, language: str | None) -> str:
    _ = _for(line, language)
    return str(
        _(
            "The counselor has ended this conversation. You can write again at any time. If you "
            "are in danger, call %(police)s or %(ambulance)s now."
        )
        % EMERGENCY
    )


def responder_joined(line: Line, language: str | None) -> str:
    _ = _for(line, language)
    return str(
        _(
            "A crisis worker of %(name)s has joined this conversation to help you. You can write "
            "to them here."
        )
        % {"name": line.name}
    )


def responder_ended(line: Line, language: str | None) -> str:
    _ = _for(line, language)
    return str(
        _(
            "The crisis worker has ended this conversation. You can write again at any time. If "
            "you are in danger, call %(police)s or %(ambulance)s now."
        )
        % EMERGENCY
    )


def calling_you(line: Line, language: str | None) -> str:
    """The person agreed to a call: the line rings them now, from its own number."""
    _ = _for(line, language)
    return str(
        _(
            "%(name)s will call you now from %(number)s. Answer it to talk with your counselor "
            "by phone."
        )
        % {"name": line.name, "number": line.number}
    )


def call_offered(line: Line, language: str | None) -> str:
    """A web chat's counselor offers a call: the page asks for a number (used for it alone)."""
    _ = _for(line, language)
    return str(
        _(
            "Your counselor offers to call you by phone. If you would like that, type your "
            "phone number in the box below: it is used for this call only. Or choose to go on "
            "writing."
        )
    )


def call_offered_reply(line: Line, language: str | None) -> str:
    """A WeChat follower's counselor offers a call: they answer with their number, or "no"."""
    _ = _for(line, language)
    return str(
        _(
            "Your counselor offers to call you by phone. If you would like that, reply with "
            'your phone number: it is used for this call only. Reply "no" to go on writing.'
        )
    )


def call_declined(line: Line, language: str | None) -> str:
    _ = _for(line, language)
    return str(_("You chose to go on writing. Your counselor is still here."))


def call_not_now(line: Line, language: str | None) -> str:
    _ = _for(line, language)
    return str(_("The call cannot be made right now. You can go on writing here."))


def call_missed(line: Line, language: str | None) -> str:
    _ = _for(line, language)
    return str(_("We could not reach you by phone. You can go on writing here."))


def moved_to_voice(line: Line, language: str | None) -> str:
    _ = _for(line, language)
    return str(_("You are now talking by phone; this conversation has moved to the call."))
