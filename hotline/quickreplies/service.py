"""A line's quick replies (docs/domain.md 11): canned texts a counselor inserts into a
conversation's reply box and may change before sending; nothing is ever sent by itself.

Admins keep them (`/admin/quick-replies`): add, edit, reorder, retire and bring back. Every field
is checked at once (422 by field, before anything changes); every change is audited with the
fields before and after. Counselors read the active replies of the line of a conversation they
hold, the conversation's language first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlmodel import Session, col, select

from hotline.auth.models import User
from hotline.calls.models import Call
from hotline.directory.service import audit_change, whole_number
from hotline.errors import DomainError
from hotline.i18n import LOCALES, N_
from hotline.lines.models import Line
from hotline.quickreplies.models import QuickReply

OBJECT_TYPE = "quick_reply"
MAX_TITLE = 80
MAX_TEXT = 1600  # an SMS of 10 segments, as a conversation's message
SORT_STEP = 10


class QuickReplyError(DomainError):
    status = 422
    messages: ClassVar[Mapping[str, str]] = {
        "invalid": N_("Some fields need correcting."),
        "not_found": N_("There is no such quick reply."),
        "no_line": N_("Choose a line from the list."),
        "title_required": N_("Enter a title (at most 80 characters)."),
        "text_required": N_("Enter the text (at most 1600 characters)."),
        "bad_language": N_("Choose a language from the list."),
        "bad_sort": N_("Enter a whole number."),
        "bad_move": N_("A quick reply moves up or down only."),
    }


@dataclass(frozen=True)
class ReplyFields:
    line_id: int
    title: str
    text: str
    language: str
    sort: int


def check(
    *,
    session: Session,
    line_id: str | int,
    title: str,
    text: str,
    language: str,
    sort: str | int,
) -> ReplyFields:
    """The form's fields checked together (422)."""
    errors: dict[str, str] = {}
    line = whole_number(line_id)
    if line is None or line <= 0 or session.get(Line, line) is None:
        errors["line_id"] = "no_line"
    title, text = title.strip(), text.strip()
    if not title or len(title) > MAX_TITLE:
        errors["title"] = "title_required"
    if not text or len(text) > MAX_TEXT:
        errors["text"] = "text_required"
    if language not in LOCALES:
        errors["language"] = "bad_language"
    order = whole_number(sort)
    if order is None:
        errors["sort"] = "bad_sort"
    if errors:
        raise QuickReplyError("invalid", errors=errors)
    assert line is not None and order is not None
    return ReplyFields(line_id=line, title=title, text=text, language=language, sort=order)


def listed(*, session: Session, line_id: int | None = None) -> list[QuickReply]:
    """Every reply (active and retired), by line then order."""
    query = select(QuickReply)
    if line_id is not None:
        query = query.where(QuickReply.line_id == line_id)
    return list(
        session.exec(
            query.order_by(col(QuickReply.line_id), col(QuickReply.sort), col(QuickReply.id))
        )
    )


def get(*, session: Session, reply_id: int) -> QuickReply:
    reply = session.get(QuickReply, reply_id)
    if reply is None:
        raise QuickReplyError("not_found", 404)
    return reply


def _snapshot(reply: QuickReply) -> dict[str, Any]:
    return {
        "line_id": reply.line_id,
        "title": reply.title,
        "text": reply.text,
        "language": reply.language,
        "sort": reply.sort,
        "active": reply.active,
    }


def _audit(
    session: Session,
    reply: QuickReply,
    summary: str,
    before: dict[str, Any],
    *,
    actor: User | None,
    now: datetime,
    ip: str | None,
) -> None:
    after = _snapshot(reply)
    audit_change(
        session, now, OBJECT_TYPE, reply.id, summary, before, after, actor, "admin page", ip
    )


def create(
    *, session: Session, fields: ReplyFields, actor: User | None, now: datetime, ip: str | None
) -> QuickReply:
    reply = QuickReply(**asdict(fields), created_at=now, updated_at=now)
    session.add(reply)
    session.flush()
    _audit(session, reply, "created", {}, actor=actor, now=now, ip=ip)
    return reply


def update(
    *,
    session: Session,
    reply: QuickReply,
    fields: ReplyFields,
    actor: User | None,
    now: datetime,
    ip: str | None,
) -> QuickReply:
    before = _snapshot(reply)
    reply.sqlmodel_update(asdict(fields))
    reply.updated_at = now
    session.add(reply)
    session.flush()
    _audit(session, reply, "edited", before, actor=actor, now=now, ip=ip)
    return reply


def set_active(
    *,
    session: Session,
    reply: QuickReply,
    active: bool,
    actor: User | None,
    now: datetime,
    ip: str | None,
) -> QuickReply:
    """Retire a reply (no longer offered; kept) or bring it back."""
    before = _snapshot(reply)
    reply.active = active
    reply.updated_at = now
    session.add(reply)
    session.flush()
    summary = "activated" if active else "deactivated"
    _audit(session, reply, summary, before, actor=actor, now=now, ip=ip)
    return reply


def move(
    *,
    session: Session,
    reply: QuickReply,
    direction: str,
    actor: User | None,
    now: datetime,
    ip: str | None,
) -> QuickReply:
    """One place up or down among its line's replies; the line's order is then renumbered in
    steps of ten, so equal numbers never leave the order undecided."""
    if direction not in ("up", "down"):
        raise QuickReplyError("bad_move", 404)
    before = _snapshot(reply)
    ordered = listed(session=session, line_id=reply.line_id)
    at = next(i for i, row in enumerate(ordered) if row.id == reply.id)
    to = at - 1 if direction == "up" else at + 1
    if 0 <= to < len(ordered):
        ordered[at], ordered[to] = ordered[to], ordered[at]
    for place, row in enumerate(ordered, start=1):
        row.sort = place * SORT_STEP
        session.add(row)
    reply.updated_at = now
    session.flush()
    _audit(session, reply, "moved", before, actor=actor, now=now, ip=ip)
    return reply


def for_call(*, session: Session, call: Call) -> list[QuickReply]:
    """The active replies of a conversation's line, those in its language first."""
    rows = session.exec(
        select(QuickReply)
        .where(QuickReply.line_id == call.line_id, col(QuickReply.active))
        .order_by(col(QuickReply.sort), col(QuickReply.id))
    ).all()
    language = call.language
    return sorted(rows, key=lambda row: 0 if language is None or row.language == language else 1)
