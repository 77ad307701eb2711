"""Control of a live call, the rules: who may mute, hold and add parties, and what is recorded.

Each change is stored first (the call's events, the audit log, the escalation log when the call
has an escalation) and carried out on the phone network after the commit (`network.py`), as
the rest of the app does (docs/architecture.md "Side effects after commit").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import update
from sqlmodel import Session, col, select

from hotline import phone
from hotline.audit.models import AuditAction
from hotline.audit.service import record as audit
from hotline.auth.models import User
from hotline.callcontrol.models import (
    LIVE_PARTY_STATUSES,
    CallControl,
    CallParty,
    PartyKind,
    PartyStatus,
)
from hotline.calls import service as calls
from hotline.calls.models import Call, CallState
from hotline.errors import DomainError
from hotline.escalation import service as escalations
from hotline.escalation.models import Escalation
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.notes.models import ReferralResource
from hotline.realtime.events import agent_topic, emit

# Dialled as they are, never through `phonenumbers` (police, ambulance, fire).
EMERGENCY_NUMBERS = ("110", "120", "119")
# Twilio's CallStatus of a participant's leg -> the party's status.
LEG_STATUS = {
    "queued": PartyStatus.dialing,
    "initiated": PartyStatus.dialing,
    "ringing": PartyStatus.ringing,
    "in-progress": PartyStatus.connected,
    "answered": PartyStatus.connected,
}
LEG_ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
# How far a party's status may move: never back, never out of an end.
ORDER = {
    PartyStatus.dialing: 0,
    PartyStatus.ringing: 1,
    PartyStatus.connected: 2,
    PartyStatus.left: 3,
    PartyStatus.failed: 3,
}


class CallControlError(DomainError):
    messages: ClassVar[Mapping[str, str]] = {
        "no_live_call": N_("This call is not connected any more."),
        "not_your_call": N_("Only the counselor on this call can do this."),
        "bad_number": N_("That is not a phone number."),
        "no_partner": N_("This line has no partner line."),
        "no_resource": N_("That referral resource has no number to dial."),
        "bad_target": N_("Choose whom to add to the call."),
        "no_party": N_("There is no such party on this call."),
        "party_gone": N_("This party has already left the call."),
        "already_added": N_("This number is already in the call."),
    }
    fallback: ClassVar[str] = N_("This cannot be done now.")


def _live_call(session: Session, user: User, call_id: int) -> Call:
    """The user's own connected call, or the refusal that says why not."""
    call = session.get(Call, call_id)
    if call is None:
        raise CallControlError("no_live_call", 404)
    if call.counselor_id != user.id:
        raise CallControlError("not_your_call", 403)
    if call.state != CallState.connected:
        raise CallControlError("no_live_call")
    return call


def _control(session: Session, call_id: int, now: datetime) -> CallControl:
    # The call's row first: two first requests on one call take turns, so the second finds
    # the control row the first made instead of failing on its unique key.
    session.exec(select(Call.id).where(Call.id == call_id).with_for_update()).one()
    found = session.exec(
        select(CallControl).where(CallControl.call_id == call_id).with_for_update()
    ).first()
    if found is None:
        found = CallControl(call_id=call_id, updated_at=now)
        session.add(found)
        session.flush()
    return found


def _escalation(session: Session, call_id: int) -> Escalation | None:
    return session.exec(select(Escalation).where(Escalation.call_id == call_id)).first()


def _record(
    session: Session, call: Call, state: str, now: datetime, user_id: int | None, detail: str
) -> None:
    """In the call's events, and in the escalation log when the call has one."""
    assert call.id is not None
    calls.record_event(
        session=session, call_id=call.id, state=state, now=now, user_id=user_id, detail=detail
    )
    escalation = _escalation(session, call.id)
    if escalation is not None:
        escalations.record(session, escalation, state, now, user_id=user_id, detail=detail)
    if call.counselor_id is not None:
        emit(session, agent_topic(call.counselor_id))


def set_muted(
    *, session: Session, user: User, call_id: int, muted: bool, now: datetime
) -> CallControl | None:
    """Mute or unmute the counselor's own leg. None when nothing changes (no network work)."""
    call = _live_call(session, user, call_id)
    control = _control(session, call_id, now)
    if control.counselor_muted == muted:
        return None
    audit(
        session=session,
        now=now,
        action=AuditAction.edit,
        object_type="call",
        object_id=call_id,
        user=user,
        detail=f"muted: {control.counselor_muted} -> {muted}",
    )
    control.counselor_muted = muted
    control.updated_at, control.updated_by = now, user.id
    _record(session, call, "counselor_muted" if muted else "counselor_unmuted", now, user.id, "")
    return control


def set_hold(
    *, session: Session, user: User, call_id: int, hold: bool, now: datetime
) -> CallControl | None:
    """Put the caller on hold (they hear the line's hold music) or back. None: no change."""
    call = _live_call(session, user, call_id)
    control = _control(session, call_id, now)
    if control.caller_on_hold == hold:
        return None
    audit(
        session=session,
        now=now,
        action=AuditAction.edit,
        object_type="call",
        object_id=call_id,
        user=user,
        detail=f"caller on hold: {control.caller_on_hold} -> {hold}",
    )
    control.caller_on_hold = hold
    control.updated_at, control.updated_by = now, user.id
    _record(session, call, "caller_held" if hold else "caller_resumed", now, user.id, "")
    return control


def control_failed(*, session: Session, call_id: int, what: str, now: datetime) -> None:
    """The phone network refused a mute or hold: the record goes back to what is true."""
    call = session.get(Call, call_id)
    control = session.exec(select(CallControl).where(CallControl.call_id == call_id)).first()
    if call is None or control is None:
        return
    if what == "mute":
        control.counselor_muted = not control.counselor_muted
    else:
        control.caller_on_hold = not control.caller_on_hold
    control.updated_at = now
    _record(session, call, f"{what}_failed", now, None, "")
    if call.counselor_id is not None:
        emit(session, agent_topic(call.counselor_id), {"error": "control_failed"})


# --- adding a party -------------------------------------------------------------------------


def _masked(number: str) -> str:
    return "…" + number[-4:]


def _target(
    session: Session, line: Line, kind: str, number: str | None, resource_id: int | None
) -> tuple[PartyKind, str, str, int | None]:
    """(kind, name shown, number to dial, resource id) of what the counselor chose."""
    if kind == PartyKind.emergency:
        if number not in EMERGENCY_NUMBERS:
            raise CallControlError("bad_number", 422, errors={"number": "bad_number"})
        return PartyKind.emergency, number, number, None
    if kind == PartyKind.partner:
        if not line.partner_number:
            raise CallControlError("no_partner", 422)
        return PartyKind.partner, line.partner_number, line.partner_number, None
    if kind == PartyKind.resource:
        resource = session.get(ReferralResource, resource_id) if resource_id else None
        if resource is None or not resource.active:
            raise CallControlError("no_resource", 422, errors={"resource_id": "no_resource"})
        raw = resource.phone.strip()
        dialled = raw if raw in EMERGENCY_NUMBERS else (phone.to_e164(raw) if raw else None)
        if dialled is None:
            raise CallControlError("no_resource", 422, errors={"resource_id": "no_resource"})
        return PartyKind.resource, resource.name[:200], dialled, resource.id
    if kind == PartyKind.number:
        raw = (number or "").strip()
        if raw in EMERGENCY_NUMBERS:
            return PartyKind.emergency, raw, raw, None
        dialled = phone.to_e164(raw) if raw and len(raw) <= 32 else None
        if dialled is None:
            raise CallControlError("bad_number", 422, errors={"number": "bad_number"})
        return PartyKind.number, _masked(dialled), dialled, None
    raise CallControlError("bad_target", 422, errors={"kind": "bad_target"})


def add_party(
    *,
    session: Session,
    user: User,
    call_id: int,
    kind: str,
    number: str | None,
    resource_id: int | None,
    now: datetime,
) -> CallParty:
    """Ask for an outside party in the call; it is dialled after the commit (`network.py`)."""
    call = _live_call(session, user, call_id)
    line = session.get(Line, call.line_id)
    assert line is not None and user.id is not None
    party_kind, name, dialled, resource = _target(session, line, kind, number, resource_id)
    live = session.exec(
        select(CallParty).where(
            CallParty.call_id == call_id,
            col(CallParty.status).in_([s.value for s in LIVE_PARTY_STATUSES]),
        )
    ).all()
    if any(p.number == dialled for p in live):
        raise CallControlError("already_added")
    party = CallParty(
        call_id=call_id,
        added_by=user.id,
        kind=party_kind,
        name=name,
        number=dialled,
        resource_id=resource,
        created_at=now,
    )
    session.add(party)
    session.flush()
    audit(
        session=session,
        now=now,
        action=AuditAction.edit,
        object_type="call_party",
        object_id=party.id,
        user=user,
        detail=f"added to call {call_id}: {party_kind.value} {name}",
    )
    _record(session, call, "party_added", now, user.id, f"{party_kind.value}: {name}")
    return party


def remove_party(
    *, session: Session, user: User, call_id: int, party_id: int, now: datetime
) -> CallParty:
    """Take a party out of the call; their leg is ended after the commit."""
    call = session.get(Call, call_id)
    if call is None or call.counselor_id != user.id:
        raise CallControlError("not_your_call", 403)
    party = session.get(CallParty, party_id, with_for_update=True)
    if party is None or party.call_id != call_id:
        raise CallControlError("no_party", 404)
    if party.status not in LIVE_PARTY_STATUSES or party.removed_at is not None:
        raise CallControlError("party_gone")
    party.removed_by, party.removed_at = user.id, now
    audit(
        session=session,
        now=now,
        action=AuditAction.edit,
        object_type="call_party",
        object_id=party.id,
        user=user,
        detail=f"removed from call {call_id}: {party.status.value} -> removed",
    )
    _record(session, call, "party_removed", now, user.id, f"{party.kind.value}: {party.name}")
    return party


def party_progress(
    *, session: Session, party_id: int, leg_sid: str, call_status: str, now: datetime
) -> None:
    """A party's leg reported progress (its status callback). Compare-and-set on the status, so
    a late or repeated callback changes nothing."""
    party = session.get(CallParty, party_id, with_for_update=True)
    if party is None or party.leg_sid not in (None, leg_sid):
        return
    if call_status in LEG_ENDED:
        wanted = PartyStatus.left if party.status == PartyStatus.connected else PartyStatus.failed
    elif call_status in LEG_STATUS:
        wanted = LEG_STATUS[call_status]
    else:
        return
    if ORDER[wanted] <= ORDER[party.status] or party.status not in LIVE_PARTY_STATUSES:
        return
    moved = session.execute(
        update(CallParty)
        .where(col(CallParty.id) == party_id, col(CallParty.status) == party.status.value)
        .values(
            status=wanted.value,
            leg_sid=leg_sid,
            connected_at=now if wanted == PartyStatus.connected else party.connected_at,
            ended_at=now if wanted in (PartyStatus.left, PartyStatus.failed) else None,
            error=call_status if wanted == PartyStatus.failed else None,
        )
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return
    session.refresh(party)
    call = session.get(Call, party.call_id)
    assert call is not None
    if wanted == PartyStatus.ringing:
        emit(session, agent_topic(call.counselor_id or 0))
        return
    detail = f"{party.kind.value}: {party.name}"
    if wanted == PartyStatus.failed:
        detail += f" ({call_status})"
    _record(session, call, f"party_{wanted.value}", now, None, detail)


def party_dial_failed(*, session: Session, party_id: int, error: str, now: datetime) -> None:
    """The phone network refused to dial the party."""
    party = session.get(CallParty, party_id, with_for_update=True)
    if party is None or party.status not in LIVE_PARTY_STATUSES:
        return
    party.status, party.ended_at, party.error = PartyStatus.failed, now, error[:300]
    call = session.get(Call, party.call_id)
    assert call is not None
    _record(session, call, "party_failed", now, None, f"{party.kind.value}: {party.name}")
    emit(session, agent_topic(call.counselor_id or 0), {"error": "party_failed"})


def for_call(*, session: Session, call: Call) -> dict[str, Any]:
    """The call's controls as the counselor's console shows them."""
    control = session.exec(select(CallControl).where(CallControl.call_id == call.id)).first()
    parties = session.exec(
        select(CallParty).where(CallParty.call_id == call.id).order_by(col(CallParty.id))
    ).all()
    line = session.get(Line, call.line_id)
    return {
        "muted": bool(control and control.counselor_muted),
        "on_hold": bool(control and control.caller_on_hold),
        "partner_line": bool(line and line.partner_number),
        "parties": [
            {
                "party_id": p.id,
                "kind": p.kind.value,
                "name": p.name,
                "status": p.status.value,
                "removing": p.removed_at is not None,
            }
            for p in parties
        ],
    }


def resources(*, session: Session) -> list[dict[str, Any]]:
    """Referral resources the console can dial into a call (active, with a number)."""
    rows = session.exec(
        select(ReferralResource)
        .where(col(ReferralResource.active), col(ReferralResource.phone) != "")
        .order_by(col(ReferralResource.kind), col(ReferralResource.name))
    ).all()
    return [{"id": r.id, "name": r.name, "kind": r.kind} for r in rows]
