""" "Reveal for rescue": the caller's kept number, shown to a supervisor or the crisis worker on
the escalation who gives a reason, once per reason, logged for the other supervisors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sqlmodel import Session, select

from hotline.auth.models import Role, User
from hotline.errors import DomainError
from hotline.escalation import service as escalations
from hotline.escalation.models import Escalation, EscalationLog
from hotline.i18n import N_
from hotline.linkage import service as linkage
from hotline.realtime.events import SUPERVISORS_TOPIC, emit

REVEALED = "number_revealed"
MAX_REASON = 300  # the escalation log's detail


class RevealError(DomainError):
    messages: ClassVar[Mapping[str, str]] = {
        "not_found": N_("There is no such escalation."),
        "forbidden": N_(
            "Only a supervisor or the crisis worker who acknowledged this escalation may "
            "reveal the caller's number."
        ),
        "not_high": N_("The caller's number is kept only for a high or imminent escalation."),
        "not_kept": N_(
            "The caller's number is not kept: it was erased after its window, or the caller "
            "withheld it."
        ),
        "reason_needed": N_("Say why you need the number for the rescue."),
        "reason_used": N_(
            "You have already revealed the number for this reason: give the new reason."
        ),
    }


@dataclass(frozen=True)
class Revealed:
    number: str
    location: dict[str, str]
    at: datetime


def may_reveal(user: User, escalation: Escalation) -> bool:
    """Supervisors (on duty for the whole line) and the crisis worker who took the escalation;
    not the counselor (counselors never see numbers), not an admin as such."""
    return user.role == Role.supervisor or (
        user.id is not None
        and escalation.acknowledged_by == user.id
        and user.role in escalations.RESPONDERS
    )


def reveal(
    *, session: Session, escalation_id: int, user: User, reason: str, now: datetime
) -> Revealed:
    """The number and location, logged as "revealed for rescue" with the reason."""
    escalation = session.get(Escalation, escalation_id, with_for_update=True)
    if escalation is None:
        raise RevealError("not_found", 404)
    if not may_reveal(user, escalation):
        raise RevealError("forbidden", 403)
    if escalation.level not in linkage.KEEPING_LEVELS:
        raise RevealError("not_high", 409)
    reason = " ".join(reason.split())
    if not reason:
        raise RevealError("reason_needed", 422, errors={"reason": "required"})
    reason = reason[:MAX_REASON]
    used = session.exec(
        select(EscalationLog.id).where(
            EscalationLog.escalation_id == escalation_id,
            EscalationLog.kind == REVEALED,
            EscalationLog.user_id == user.id,
            EscalationLog.detail == reason,
        )
    ).first()
    if used is not None:
        raise RevealError("reason_used", 409, errors={"reason": "reason_used"})
    row = linkage.kept(session=session, call_id=escalation.call_id)
    if row is None or row.number is None:
        raise RevealError("not_kept", 409)
    escalations.record(session, escalation, REVEALED, now, user_id=user.id, detail=reason)
    emit(session, SUPERVISORS_TOPIC, {"escalation_id": escalation_id, "number_revealed": user.id})
    return Revealed(number=row.number, location=linkage.location_fields(row), at=now)
