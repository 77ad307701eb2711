"""Voicemails as work: every message a caller left is listened to and acted on by a supervisor.

A voicemail arrives with Twilio's <Record> callback (idempotent: one per call) and waits on the
live board of its line until a supervisor or admin marks it handled with what was done. Handling
is once: a second person sees that someone already did it, and who.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from hotline.auth.models import Role, User
from hotline.calls.models import Call
from hotline.errors import DomainError
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.realtime.events import BOARD_TOPIC, emit
from hotline.voicemail.models import Voicemail, VoicemailOutcome

HANDLERS = (Role.supervisor, Role.admin)
PAGE_SIZE = 50
STATUSES = ("waiting", "handled")


class VoicemailError(DomainError):
    messages = {
        "forbidden": N_("You are not allowed to do this."),
        "not_found": N_("There is no such voicemail."),
        "handled": N_("Someone else already handled this voicemail."),
    }


def received(*, session: Session, call: Call, duration_s: int | None, now: datetime) -> Voicemail:
    """The caller's message is recorded: it waits for someone (once per call, under a race)."""
    assert call.id is not None
    existing = session.exec(select(Voicemail).where(Voicemail.call_id == call.id)).first()
    if existing is not None:
        return existing
    voicemail = Voicemail(
        call_id=call.id, line_id=call.line_id, recorded_at=now, duration_s=duration_s
    )
    try:
        with session.begin_nested():
            session.add(voicemail)
            session.flush()
    except IntegrityError:  # the same callback, a moment ago, on another instance
        found = session.exec(select(Voicemail).where(Voicemail.call_id == call.id)).one()
        return found
    emit(session, BOARD_TOPIC)
    return voicemail


def callback_requested(*, session: Session, call: Call, number: str, now: datetime) -> Voicemail:
    """The caller pressed the callback key of the line's "callback" overflow: a work item in the
    same queue as the messages, with the number to call (encrypted). Its order in the queue is
    the call's (in danger, high-risk history), so the caller's priority is kept. Once per call."""
    assert call.id is not None
    existing = session.exec(select(Voicemail).where(Voicemail.call_id == call.id)).first()
    if existing is not None:
        return existing
    request = Voicemail(
        call_id=call.id, line_id=call.line_id, recorded_at=now, callback_number=number
    )
    try:
        with session.begin_nested():
            session.add(request)
            session.flush()
    except IntegrityError:  # the same key press, a moment ago, on another instance
        return session.exec(select(Voicemail).where(Voicemail.call_id == call.id)).one()
    emit(session, BOARD_TOPIC)
    return request


def handle(
    *, session: Session, voicemail_id: int, user: User, outcome: VoicemailOutcome, now: datetime
) -> Voicemail:
    if user.role not in HANDLERS:
        raise VoicemailError("forbidden", 403)
    voicemail = session.get(Voicemail, voicemail_id, with_for_update=True)
    if voicemail is None:
        raise VoicemailError("not_found", 404)
    if voicemail.handled_at is not None:
        raise VoicemailError("handled", 409)
    voicemail.handled_at = now
    voicemail.handled_by_id = user.id
    voicemail.outcome = outcome
    emit(session, BOARD_TOPIC)
    session.flush()
    return voicemail


def waiting_by_line(*, session: Session) -> dict[int, tuple[int, datetime | None]]:
    """Per line: how many wait, and since when the oldest (the live board)."""
    rows = session.exec(
        select(Voicemail.line_id, func.count(col(Voicemail.id)), func.min(Voicemail.recorded_at))
        .where(col(Voicemail.handled_at).is_(None))
        .group_by(col(Voicemail.line_id))
    )
    return {line_id: (int(count), oldest) for line_id, count, oldest in rows}


@dataclass(frozen=True)
class VoicemailFilter:
    line_id: int | None = None
    status: str | None = None  # one of STATUSES


def _where(flt: VoicemailFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if flt.line_id is not None:
        where.append(col(Voicemail.line_id) == flt.line_id)
    if flt.status == "waiting":
        where.append(col(Voicemail.handled_at).is_(None))
    elif flt.status == "handled":
        where.append(col(Voicemail.handled_at).is_not(None))
    return where


def search(
    *, session: Session, flt: VoicemailFilter, limit: int = PAGE_SIZE, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """Waiting ones first: a caller who said they were in danger, then one with a high-risk
    history, then the oldest (the longest unheard on top); then handled ones, newest first. One
    page of rows and the total."""
    where = _where(flt)
    total = session.exec(select(func.count()).select_from(Voicemail).where(*where)).one()
    handler = aliased(User)
    waiting = col(Voicemail.handled_at).is_(None)
    rows = session.exec(
        select(Voicemail, Line, Call, handler.display_name)
        .join(Line, col(Line.id) == col(Voicemail.line_id))
        .join(Call, col(Call.id) == col(Voicemail.call_id))
        .join(handler, col(handler.id) == col(Voicemail.handled_by_id), isouter=True)
        .where(*where)
        .order_by(
            case((waiting, 0), else_=1),
            case((waiting & col(Call.in_danger), 0), else_=1),
            case((waiting & col(Call.high_risk_history), 0), else_=1),
            case((waiting, col(Voicemail.recorded_at))).asc(),
            col(Voicemail.recorded_at).desc(),
            col(Voicemail.id),
        )
        .limit(limit)
        .offset(offset)
    ).all()
    found = [
        {
            "id": v.id,
            "call_id": v.call_id,
            "line_id": v.line_id,
            "line_name": line.name,
            "timezone": line.timezone,
            "recorded_at": v.recorded_at,
            "duration_s": v.duration_s,
            "handled_at": v.handled_at,
            "handled_by": name,
            "outcome": v.outcome.value if v.outcome else None,
            "in_danger": call.in_danger,
            "high_risk_history": call.high_risk_history,
            "callback_request": v.callback_number is not None,
        }
        for v, line, call, name in rows
    ]
    return found, int(total)


def audio_url(*, session: Session, voicemail_id: int) -> str | None:
    """Where the provider keeps the message (None: no such voicemail, or no audio)."""
    voicemail = session.get(Voicemail, voicemail_id)
    if voicemail is None:
        return None
    call = session.get(Call, voicemail.call_id)
    return call.voicemail_url if call is not None else None


def callback_number(*, session: Session, voicemail_id: int) -> str | None:
    """The number a callback request asks to be called on (None: no such request)."""
    voicemail = session.get(Voicemail, voicemail_id)
    return voicemail.callback_number if voicemail is not None else None
