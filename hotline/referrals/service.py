"""Referrals: made from a submitted note, moved through their statuses from a follow-up or the
call's review, and (green channel) sent to the receiving service and confirmed.

Status moves follow `NEXT` (a referral only moves forward; declined and attended are final; a
service not reached may be reached later). A move is compare-and-set on the status read, so two
people moving one referral at once cannot both win; a refused move is a 409 naming the status.
Each move is kept in `referral_status_changes` (who, when, from where) and, by the page that made
it, in the audit log.

Who may see and move a referral: whoever sees its line's follow-ups (counselors and crisis
workers of the line, supervisors and admins: `followups.covers`).

The green channel: a referral of a red-tier caller (the note's crisis level, or an escalation,
high or imminent) to a directory resource with the green-channel flag and a phone number may be
sent once, by SMS, with the caller's consent and only the text they agreed to share (kept
encrypted). The service should confirm within the line's hours (`green_channel_confirm_hours`);
unconfirmed after that, it is overdue on the supervisors' follow-ups page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import update
from sqlmodel import Session, col, select

from hotline.auth.models import User
from hotline.calls.models import Call
from hotline.errors import DomainError
from hotline.followups import service as followups
from hotline.i18n import N_, gettext_for
from hotline.lines.models import Line
from hotline.notes.models import CallNote, ReferralResource
from hotline.notes.options import REFERRAL_KINDS
from hotline.referrals.models import Referral, ReferralStatus, ReferralStatusChange

log = logging.getLogger(__name__)

S = ReferralStatus
# The allowed next statuses of each status.
NEXT: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    S.suggested: frozenset({S.accepted, S.declined, S.not_reachable}),
    S.accepted: frozenset({S.contacted, S.declined, S.not_reachable}),
    S.contacted: frozenset({S.appointment_made, S.declined, S.not_reachable}),
    S.appointment_made: frozenset({S.attended, S.declined, S.not_reachable}),
    S.not_reachable: frozenset({S.contacted, S.declined}),
    S.attended: frozenset(),
    S.declined: frozenset(),
}
RED_LEVELS = frozenset({"high", "imminent"})
VIA = ("note", "follow_up", "review", "green_channel")
SHARE_MAX_CHARS = 500
NAME_MAX_CHARS = 200


class ReferralError(DomainError):
    messages = {
        "not_found": N_("There is no such referral."),
        "forbidden": N_("This referral is not on your lines."),
        "bad_status": N_("Unknown status."),
        "bad_move": N_("A referral that is %(status)s cannot move to that status."),
        "bad_kind": N_("Choose one of the listed options."),
        "name_required": N_("Name the service."),
        "too_long": N_("This text is too long."),
        "not_green": N_(
            "Only a referral of a high-risk caller to a green-channel service can be sent."
        ),
        "no_phone": N_("This service has no mobile number to send to."),
        "consent_required": N_("The caller must agree to what is shared."),
        "text_required": N_("Write what the caller agreed to share."),
        "already_sent": N_("This referral was already sent to the service."),
        "not_sent": N_("This referral has not been sent to the service."),
        "already_confirmed": N_("The service already confirmed this referral."),
    }
    fallback = N_("This cannot be done now.")


@dataclass(frozen=True)
class GreenMessage:
    """An SMS on its way to the receiving service, sent after the commit; never logged."""

    referral_id: int
    to: str
    from_: str
    body: str


class SmsSender(Protocol):
    def send_sms(self, *, to: str, from_: str, body: str) -> str: ...


# --- making them ------------------------------------------------------------------------------


def _history(
    session: Session, referral: Referral, before: str | None, user_id: int, via: str, now: datetime
) -> None:
    assert referral.id is not None
    session.add(
        ReferralStatusChange(
            referral_id=referral.id,
            from_status=before,
            to_status=referral.status.value,
            at=now,
            user_id=user_id,
            via=via,
        )
    )


def create(
    *,
    session: Session,
    call: Call,
    user: User,
    now: datetime,
    resource_id: int | None = None,
    kind: str | None = None,
    name: str = "",
    via: str = "note",
) -> Referral:
    """A suggested referral of `call`'s caller: to a directory resource (its kind is the
    resource's), or to a service the counselor names (`kind` and `name`)."""
    assert call.id is not None and user.id is not None
    name = name.strip()
    if resource_id is not None:
        resource = session.get(ReferralResource, resource_id)
        if resource is None:
            raise ReferralError("not_found", 404)
        kind, name = resource.kind, ""
    elif not name:
        raise ReferralError("name_required", 422, errors={"name": "name_required"})
    elif len(name) > NAME_MAX_CHARS:
        raise ReferralError("too_long", 422, errors={"name": "too_long"})
    if kind not in REFERRAL_KINDS:
        raise ReferralError("bad_kind", 422, errors={"kind": "bad_kind"})
    referral = Referral(
        call_id=call.id,
        line_id=call.line_id,
        resource_id=resource_id,
        resource_name=name or None,
        kind=kind,
        created_at=now,
        created_by_id=user.id,
        updated_at=now,
    )
    session.add(referral)
    session.flush()
    _history(session, referral, None, user.id, via, now)
    session.flush()
    return referral


def from_note(
    *, session: Session, call: Call, resource_ids: list[int], user: User, now: datetime
) -> list[Referral]:
    """The note's referral section, as referrals (once: a call that has some gets no more)."""
    assert call.id is not None
    if not resource_ids or of_call_ids(session=session, call_id=call.id):
        return []
    return [
        create(session=session, call=call, user=user, now=now, resource_id=resource_id)
        for resource_id in dict.fromkeys(resource_ids)
    ]


def of_call_ids(*, session: Session, call_id: int) -> list[int]:
    found = session.exec(select(Referral.id).where(Referral.call_id == call_id)).all()
    return [referral_id for referral_id in found if referral_id is not None]


# --- reading and moving -----------------------------------------------------------------------


def get(*, session: Session, referral_id: int, user: User, lock: bool = False) -> Referral:
    referral = session.get(Referral, referral_id, with_for_update=lock)
    if referral is None:
        raise ReferralError("not_found", 404)
    if not followups.covers(user, referral.line_id):
        raise ReferralError("forbidden", 403)
    return referral


def parse_status(value: str) -> ReferralStatus:
    if value not in ReferralStatus.__members__:
        raise ReferralError("bad_status", 422, errors={"status": "bad_status"})
    return ReferralStatus(value)


def move(
    *,
    session: Session,
    referral_id: int,
    to: ReferralStatus,
    user: User,
    via: str,
    now: datetime,
) -> tuple[Referral, ReferralStatus]:
    """Move the referral to `to` if `NEXT` allows it; returns it and the status before."""
    assert user.id is not None and via in VIA
    referral = get(session=session, referral_id=referral_id, user=user, lock=True)
    before = referral.status
    if to not in NEXT[before]:
        raise ReferralError("bad_move", 409, params={"status": before.value})
    # Compare-and-set: another request may have moved it since it was read.
    result = session.execute(
        update(Referral)
        .where(col(Referral.id) == referral_id, col(Referral.status) == before.value)
        .values(status=to.value, updated_at=now)
    )
    if not getattr(result, "rowcount", 0):
        session.refresh(referral)
        raise ReferralError("bad_move", 409, params={"status": referral.status.value})
    session.refresh(referral)
    _history(session, referral, before.value, user.id, via, now)
    session.flush()
    return referral, before


def is_red(*, session: Session, call_id: int) -> bool:
    """The caller is red-tier on this call: the note's level, or an escalation, high or
    imminent (the screener's suggestion too: the safe side, as for escalation)."""
    note = session.exec(select(CallNote).where(CallNote.call_id == call_id)).first()
    if note is None:
        return False
    levels = {note.crisis_level, note.suggested_level, note.escalated_level}
    return bool(levels & RED_LEVELS)


def green_eligible(*, session: Session, referral: Referral) -> bool:
    resource = session.get(ReferralResource, referral.resource_id) if referral.resource_id else None
    return (
        resource is not None
        and resource.green_channel
        and is_red(session=session, call_id=referral.call_id)
    )


def send_green(
    *,
    session: Session,
    referral_id: int,
    user: User,
    consent: bool,
    text: str,
    confirm_within: timedelta,
    now: datetime,
) -> GreenMessage:
    """Record the green-channel message and return it, to be sent after the commit."""
    assert user.id is not None
    referral = get(session=session, referral_id=referral_id, user=user, lock=True)
    if not green_eligible(session=session, referral=referral):
        raise ReferralError("not_green", 409)
    if referral.green_sent_at is not None:
        raise ReferralError("already_sent", 409)
    text = text.strip()
    if not consent:
        raise ReferralError("consent_required", 422, errors={"consent": "consent_required"})
    if not text:
        raise ReferralError("text_required", 422, errors={"share": "text_required"})
    if len(text) > SHARE_MAX_CHARS:
        raise ReferralError("too_long", 422, errors={"share": "too_long"})
    resource = session.get(ReferralResource, referral.resource_id)
    assert resource is not None and referral.id is not None
    if not resource.phone.startswith("+"):
        raise ReferralError("no_phone", 409)
    line = session.get(Line, referral.line_id)
    assert line is not None
    referral.green_sent_at = now
    referral.green_sent_by_id = user.id
    referral.green_text = text
    referral.green_due_at = now + confirm_within
    referral.updated_at = now
    session.add(referral)
    session.flush()
    _ = gettext_for(line.languages[0] if line.languages else "zh_CN")
    body = _("%(line)s, green-channel referral #%(id)s: %(text)s") % {
        "line": line.name,
        "id": referral.id,
        "text": text,
    }
    return GreenMessage(referral_id=referral.id, to=resource.phone, from_=line.number, body=body)


def deliver(telephony: SmsSender, message: GreenMessage) -> None:
    """Send it (after the commit); a failure is logged without the number or the text. The
    referral stays unconfirmed, so it becomes overdue and a supervisor follows it up."""
    try:
        telephony.send_sms(to=message.to, from_=message.from_, body=message.body)
    except Exception as error:  # the network's failure must not escape a background task
        log.warning(
            "green-channel referral %s not sent: %s", message.referral_id, type(error).__name__
        )


def confirm_green(*, session: Session, referral_id: int, user: User, now: datetime) -> Referral:
    """The receiving service confirmed it has the referral (said by phone, recorded here)."""
    referral = get(session=session, referral_id=referral_id, user=user, lock=True)
    if referral.green_sent_at is None:
        raise ReferralError("not_sent", 409)
    if referral.green_confirmed_at is not None:
        raise ReferralError("already_confirmed", 409)
    referral.green_confirmed_at = now
    referral.green_confirmed_by_id = user.id
    referral.updated_at = now
    session.add(referral)
    session.flush()
    return referral


def overdue_green(*, session: Session, user: User, now: datetime) -> list[dict[str, Any]]:
    """Green-channel referrals sent and not confirmed past their due time, on the user's lines."""
    rows = session.exec(
        select(Referral, ReferralResource.name, Line.name)
        .join(ReferralResource, col(ReferralResource.id) == col(Referral.resource_id))
        .join(Line, col(Line.id) == col(Referral.line_id))
        .where(
            col(Referral.green_sent_at).is_not(None),
            col(Referral.green_confirmed_at).is_(None),
            col(Referral.green_due_at) < now,
        )
        .order_by(col(Referral.green_due_at))
    ).all()
    return [
        {
            "id": r.id,
            "call_id": r.call_id,
            "resource": resource,
            "line_name": line,
            "sent_at": r.green_sent_at,
            "due_at": r.green_due_at,
        }
        for r, resource, line in rows
        if followups.covers(user, r.line_id)
    ]


def rows_of_call(
    *, session: Session, call_id: int, user: User, now: datetime
) -> list[dict[str, Any]]:
    """A call's referrals as pages show them: the resource's name (a named one decrypted, for
    people who may see the call), the status, its history and what may come next."""
    referrals = session.exec(
        select(Referral).where(Referral.call_id == call_id).order_by(col(Referral.id))
    ).all()
    red = is_red(session=session, call_id=call_id) if referrals else False
    shown = []
    for referral in referrals:
        if not followups.covers(user, referral.line_id):
            continue
        resource = (
            session.get(ReferralResource, referral.resource_id) if referral.resource_id else None
        )
        history = session.exec(
            select(ReferralStatusChange, User.display_name)
            .join(User, col(User.id) == col(ReferralStatusChange.user_id))
            .where(ReferralStatusChange.referral_id == referral.id)
            .order_by(col(ReferralStatusChange.at), col(ReferralStatusChange.id))
        ).all()
        green = resource is not None and resource.green_channel
        shown.append(
            {
                "id": referral.id,
                "kind": referral.kind,
                "name": resource.name if resource else (referral.resource_name or ""),
                "status": referral.status.value,
                "next": sorted(s.value for s in NEXT[referral.status]),
                "green_channel": green,
                "green_possible": green and red and referral.green_sent_at is None,
                "green_sent_at": referral.green_sent_at,
                "green_due_at": referral.green_due_at,
                "green_confirmed_at": referral.green_confirmed_at,
                "green_overdue": (
                    referral.green_sent_at is not None
                    and referral.green_confirmed_at is None
                    and referral.green_due_at is not None
                    and referral.green_due_at < now
                ),
                "history": [
                    {"from": c.from_status, "to": c.to_status, "at": c.at, "by": by, "via": c.via}
                    for c, by in history
                ],
            }
        )
    return shown
