"""What a page says and where it goes, in the paged person's language."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from hotline.auth.models import User
from hotline.errors import DomainError
from hotline.escalation.models import Channel, Escalation, Page, PolicyDrill
from hotline.i18n import gettext_for
from hotline.lines.models import Line
from hotline.notes.options import LEVEL_LABELS

ACK_KEY = "1"
# After acknowledging on the paging call: this key puts the responder into the caller's call.
JOIN_KEY = "1"


class PageError(DomainError):
    """A page that cannot be sent: its person has no phone number for its channel. Only the
    dispatcher meets it, and records it on the page (its text says whose and which channel)."""

    def __str__(self) -> str:
        return "user {user} has no phone number for {channel}".format(**self.params)


@dataclass(frozen=True)
class Outgoing:
    channel: str
    to: str
    from_: str
    text: str


def alert_text(
    *, level: str, line_name: str, locale: str, voice: bool, repeat_of: int | None = None
) -> str:
    """The alert; `repeat_of` (the page's id) when it is sent again and the first may have
    reached the person already (at-least-once: a sender that died mid-send, a timed-out send)."""
    _ = gettext_for(locale)
    text = _("Crisis alert from %(line)s: a caller is at %(level)s.") % {
        "line": line_name,
        "level": _(LEVEL_LABELS.get(level, level)).lower(),
    }
    if repeat_of is not None:
        text = (
            _("Repeat of page %(page)s, in case it did not reach you.") % {"page": repeat_of}
            + " "
            + text
        )
    if voice:
        return text + " " + _("Press 1 to acknowledge, then open the console to join the call.")
    return text + " " + _("Reply 1 to acknowledge, then open the console to join the call.")


def drill_text(*, policy_name: str, locale: str, voice: bool) -> str:
    """A drill's page: it says at once that it is a drill and that no caller is waiting."""
    _ = gettext_for(locale)
    text = _("DRILL (演练): a test of escalation policy %(policy)s. No caller is waiting.") % {
        "policy": policy_name
    }
    if voice:
        return text + " " + _("Press 1 to acknowledge the drill.")
    return text + " " + _("Reply 1 to acknowledge the drill.")


def _drill_outgoing(session: Session, page: Page, user: User) -> Outgoing:
    drill = session.get(PolicyDrill, page.drill_id)
    assert drill is not None
    line = session.get(Line, drill.line_id)
    assert line is not None
    return Outgoing(
        channel=page.channel.value,
        to=user.endpoint,
        from_=line.number,
        text=drill_text(
            policy_name=drill.policy_name, locale=user.locale, voice=page.channel.value == "voice"
        ),
    )


def outgoing(*, session: Session, page_id: int) -> Outgoing | None:
    page = session.get(Page, page_id)
    if page is None:
        return None
    if page.channel == Channel.push:  # no phone: hotline.push.sender builds and sends it
        return Outgoing(channel=page.channel.value, to="", from_="", text="")
    if page.drill_id is not None:
        drilled = session.get(User, page.user_id)
        assert drilled is not None
        if not has_phone(drilled):
            raise PageError("no_phone", params={"user": drilled.id, "channel": page.channel.value})
        return _drill_outgoing(session, page, drilled)
    escalation = session.get(Escalation, page.escalation_id)
    user = session.get(User, page.user_id)
    assert escalation is not None and user is not None
    line = session.get(Line, escalation.line_id)
    assert line is not None
    if not has_phone(user):
        raise PageError("no_phone", params={"user": user.id, "channel": page.channel.value})
    return Outgoing(
        channel=page.channel.value,
        to=user.endpoint,
        from_=line.number,
        text=alert_text(
            level=escalation.level,
            line_name=line.name,
            locale=user.locale,
            voice=page.channel.value == "voice",
            repeat_of=repeat_of(page),
        ),
    )


def has_phone(user: User) -> bool:
    """SMS and paging calls need a phone number (E.164); a browser client gets console pages."""
    return user.endpoint.startswith("+")


def repeat_of(page: Page) -> int | None:
    """The page's id when this is not its first send: an earlier one may have gone out."""
    return page.id if page.attempts > 1 else None
