"""Proving a user's phone: a short code sent by SMS or a call, typed back on the People page.

The code is six digits, kept only as an argon2 hash, good for ten minutes, for the number it
went to, and for five attempts; sending is limited to one a minute and five an hour per user.
Changing the phone clears the verification (`hotline.auth.admin.update_user`). Sending goes
through the phone network after the request's commit (`deliver`, a background task).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel import Session, col, select
from twilio.twiml.voice_response import VoiceResponse

from hotline.auth import service as auth
from hotline.auth.admin import PeopleError, audit_change
from hotline.auth.models import PhoneVerification, User
from hotline.clock import as_utc
from hotline.i18n import TWILIO_SAY_LANGUAGE, gettext_for, normalize
from hotline.lines.models import Line

log = logging.getLogger(__name__)
CHANNELS = ("sms", "voice")
CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(minutes=1)
MAX_PER_HOUR = 5


class PhoneSender(Protocol):
    """What sending needs of the phone network (`TelephonyPort`)."""

    def send_sms(self, *, to: str, from_: str, body: str) -> str: ...

    def place_twiml_call(self, *, to: str, from_: str, twiml: str) -> str: ...


@dataclass(frozen=True)
class CodeMessage:
    """A code on its way: sent after the commit, never stored or logged."""

    channel: str
    to: str
    from_: str
    text: str
    say_language: str


def is_phone(endpoint: str) -> bool:
    return endpoint.startswith("+")


def is_verified(user: User) -> bool:
    return user.phone_verified_at is not None and is_phone(user.endpoint)


def _sender(session: Session, user: User) -> str | None:
    """The number the code comes from: a line the person covers, else any active line."""
    numbered = list(
        session.exec(
            select(Line).where(col(Line.active), Line.number != "").order_by(col(Line.id))
        ).all()
    )
    own = [line for line in numbered if line.id in user.line_ids]
    chosen = (own or numbered)[:1]
    return chosen[0].number if chosen else None


def _recent(session: Session, user: User, since: datetime) -> list[PhoneVerification]:
    return list(
        session.exec(
            select(PhoneVerification)
            .where(PhoneVerification.user_id == user.id, PhoneVerification.created_at >= since)
            .order_by(col(PhoneVerification.created_at).desc())
        ).all()
    )


def _text(code: str, locale: str, voice: bool) -> str:
    _ = gettext_for(normalize(locale))
    spoken = " ".join(code) if voice else code
    return _(
        "Your hotline verification code is %(code)s. It expires in 10 minutes. Nobody from "
        "the hotline will ask you for it."
    ) % {"code": spoken}


def send_code(
    *,
    session: Session,
    user: User,
    channel: str,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> CodeMessage:
    """Make a new code for the user's phone (earlier ones stop counting) and say what to send."""
    if channel not in CHANNELS:
        raise PeopleError("bad_channel", errors={"channel": "bad_channel"})
    if not is_phone(user.endpoint):
        raise PeopleError("no_phone", 409)
    recent = _recent(session, user, now - timedelta(hours=1))
    if recent and as_utc(recent[0].created_at) > now - RESEND_AFTER:
        raise PeopleError("too_soon", 429)
    if len(recent) >= MAX_PER_HOUR:
        raise PeopleError("too_many_codes", 429)
    sender = _sender(session, user)
    if sender is None:
        raise PeopleError("no_sender", 409)
    assert user.id is not None
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    session.add(
        PhoneVerification(
            user_id=user.id,
            phone=user.endpoint,
            channel=channel,
            code_hash=auth.hash_password(code),
            created_at=now,
            expires_at=now + CODE_TTL,
        )
    )
    summary = f"phone verification code sent by {channel}"
    audit_change(
        session, now=now, user=user, summary=summary, before=None, actor=actor, via=via, ip=ip
    )
    locale = normalize(user.locale)
    return CodeMessage(
        channel=channel,
        to=user.endpoint,
        from_=sender,
        text=_text(code, locale, voice=channel == "voice"),
        say_language=TWILIO_SAY_LANGUAGE.get(locale, "en-US"),
    )


def _open_code(session: Session, user: User, now: datetime) -> PhoneVerification | None:
    """The newest code sent, if it is still good for the user's current phone."""
    newest = session.exec(
        select(PhoneVerification)
        .where(PhoneVerification.user_id == user.id)
        .order_by(col(PhoneVerification.created_at).desc(), col(PhoneVerification.id).desc())
        .limit(1)
    ).first()
    if (
        newest is None
        or newest.used_at is not None
        or newest.phone != user.endpoint
        or as_utc(newest.expires_at) <= now
    ):
        return None
    return newest


def check_code(
    *,
    session: Session,
    user: User,
    code: str,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> PeopleError | None:
    """Verify the phone with the code typed; the refusal is returned, not raised, so that the
    attempt it counts is committed with the request."""
    pending = _open_code(session, user, now)
    if pending is None:
        return PeopleError("code_expired", errors={"code": "code_expired"})
    if pending.attempts >= MAX_ATTEMPTS:
        return PeopleError("code_locked", 429, errors={"code": "code_locked"})
    typed = "".join(code.split())
    pending.attempts += 1
    session.add(pending)
    if not (typed.isdigit() and auth.verify_password(pending.code_hash, typed)):
        session.flush()
        failure = "code_locked" if pending.attempts >= MAX_ATTEMPTS else "code_wrong"
        return PeopleError(failure, errors={"code": failure})
    pending.used_at = now
    user.phone_verified_at = now
    session.add(user)
    session.flush()
    audit_change(
        session,
        now=now,
        user=user,
        summary="phone verified",
        before=None,
        actor=actor,
        via=via,
        ip=ip,
    )
    return None


def deliver(telephony: PhoneSender, message: CodeMessage) -> None:
    """Send the code (after the commit); a failure is logged, without the code or the number."""
    try:
        if message.channel == "sms":
            telephony.send_sms(to=message.to, from_=message.from_, body=message.text)
        else:
            twiml = VoiceResponse()
            for _ in range(2):
                twiml.say(message.text, language=message.say_language)
                twiml.pause(length=1)
            telephony.place_twiml_call(to=message.to, from_=message.from_, twiml=str(twiml))
    except Exception as error:  # the network's failure must not escape a background task
        log.warning("phone verification code not sent: %s", type(error).__name__)
