"""Transferring a live call: warm (consult a colleague with the caller on hold, then hand over or
take the caller back) and cold (offered to a colleague, or dialled to the line's partner line).

The call stays one call: its row, its events, its note and its escalation follow the caller.
The colleague becomes the call's counselor (`Call.counselor_id`) and continues its note; the
first counselor's part is kept in the call's events ("transferred": who held it from when), in
the transfer's row (who, what kind, the note's version at the hand-over) and in the audit log.

Each change is stored first and carried out on the phone network after the commit: the
functions return `Moves`, which `network.py` carries out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import update
from sqlmodel import Session, col, select

from hotline.audit.models import AuditAction
from hotline.audit.service import record as audit
from hotline.auth.models import Role, User
from hotline.callcontrol import service as control
from hotline.callcontrol.models import (
    OPEN_TRANSFER_STATUSES,
    CallControl,
    CallParty,
    CallTransfer,
    PartyStatus,
    TransferKind,
    TransferStatus,
)
from hotline.calls.models import Call, CallState
from hotline.errors import DomainError
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.notes import service as notes
from hotline.realtime.events import agent_topic, emit
from hotline.rota import service as rota
from hotline.routing import service as routing
from hotline.routing.models import AgentState, AgentStatus
from hotline.telephony.endpoints import dialable

# The colleague's phone leg: Twilio's CallStatus values that end it.
LEG_ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
LEG_ANSWERED = frozenset({"in-progress", "answered"})
MESSAGE_MAX = 500


class TransferError(DomainError):
    messages: ClassVar[Mapping[str, str]] = {
        "no_live_call": N_("This call is not connected any more."),
        "not_your_call": N_("Only the counselor on this call can do this."),
        "not_reachable": N_("That colleague cannot take a call now."),
        "transfer_open": N_("This call is already being transferred."),
        "no_transfer": N_("There is no such transfer."),
        "not_for_you": N_("This transfer is not yours to answer."),
        "transfer_over": N_("This transfer is over."),
        "not_consulting": N_("The colleague is not in the call yet."),
        "bad_target": N_("Choose whom to transfer the call to."),
        "no_partner": N_("This line has no partner line."),
    }
    fallback: ClassVar[str] = N_("This cannot be done now.")


@dataclass
class Moves:
    """Phone-network work to do after the commit (`network.Network.carry_out`)."""

    dial: list[int] = field(default_factory=list)  # transfer ids whose colleague to ring
    dial_party: list[int] = field(default_factory=list)  # party ids to ring (the partner line)
    end_leg: list[tuple[int, str]] = field(default_factory=list)  # (call id, leg) to end
    hold: list[int] = field(default_factory=list)  # call ids whose caller's hold to apply
    kick: bool = False  # the caller is back in the queue

    def merge(self, other: Moves) -> None:
        self.dial += other.dial
        self.dial_party += other.dial_party
        self.end_leg += other.end_leg
        self.hold += other.hold
        self.kick = self.kick or other.kick


# --- who can be asked -------------------------------------------------------------------------


def _role_of(user: User, crisis: set[int], supervisors: set[int]) -> str | None:
    """How a colleague is reachable now: an available counselor, the crisis worker on call,
    the supervisor on duty; None when they are not."""
    assert user.id is not None
    if user.id in supervisors:
        return "supervisor"
    if user.id in crisis:
        return "crisis"
    return "counselor" if user.role in (Role.counselor, Role.supervisor) else None


def colleagues(*, session: Session, user: User, now: datetime) -> list[dict[str, Any]]:
    """Who the counselor can consult or hand the call to now: available counselors, the crisis
    workers on call and the supervisors on duty who are free, each with a phone to ring."""
    crisis = set(rota.crisis_on_call(session=session, at=now))
    supervisors = set(rota.supervisor_on_duty(session=session, at=now))
    rows = session.exec(
        select(User, AgentStatus)
        .join(AgentStatus, col(AgentStatus.user_id) == User.id, isouter=True)
        .where(col(User.active), User.id != user.id)
        .order_by(col(User.display_name), col(User.id))
    ).all()
    found = []
    for person, status in rows:
        assert person.id is not None
        if not dialable(routing.reach_at(person, status.phone_mode if status else None)):
            continue  # neither a phone nor, this shift, the browser
        state = status.state if status is not None else AgentState.offline
        kind = _role_of(person, crisis, supervisors)
        if kind is None:
            continue
        if kind == "counselor" and state != AgentState.available:
            continue  # a counselor is reachable when they are taking calls
        if state not in routing.FREE_FOR_TRANSFER:
            continue  # busy with another call, an offer or a wrap-up
        found.append({"user_id": person.id, "name": person.display_name, "role": kind})
    return found


# --- helpers ----------------------------------------------------------------------------------


def _record(
    session: Session, call: Call, state: str, now: datetime, user: User | None, detail: str
) -> None:
    control._record(session, call, state, now, user.id if user else None, detail)  # noqa: SLF001


def _name(session: Session, user_id: int | None) -> str:
    person = session.get(User, user_id) if user_id is not None else None
    return person.display_name if person is not None else "?"


def _locked_transfer(session: Session, transfer_id: int) -> CallTransfer:
    transfer = session.get(CallTransfer, transfer_id)
    if transfer is None:
        raise TransferError("no_transfer", 404)
    # The call's row first, as every path on a call takes its locks.
    session.exec(select(Call.id).where(Call.id == transfer.call_id).with_for_update()).one()
    session.refresh(transfer, with_for_update=True)
    return transfer


def _open_transfer(session: Session, call_id: int) -> CallTransfer | None:
    return session.exec(
        select(CallTransfer).where(
            CallTransfer.call_id == call_id,
            col(CallTransfer.status).in_([s.value for s in OPEN_TRANSFER_STATUSES]),
        )
    ).first()


def _set_hold(
    session: Session, call_id: int, hold: bool, user_id: int | None, now: datetime
) -> bool:
    """The caller's hold as the transfer needs it; True when it changed (network work)."""
    row = control._control(session, call_id, now)  # noqa: SLF001
    if row.caller_on_hold == hold:
        return False
    row.caller_on_hold = hold
    row.updated_at, row.updated_by = now, user_id
    return True


def _audit(
    session: Session, user: User | None, transfer: CallTransfer, now: datetime, what: str
) -> None:
    audit(
        session=session,
        now=now,
        action=AuditAction.edit,
        object_type="call_transfer",
        object_id=transfer.id,
        user=user,
        detail=f"call {transfer.call_id}: {transfer.kind.value} transfer {what}",
    )


def _describe(session: Session, transfer: CallTransfer) -> str:
    to = (
        f"to {_name(session, transfer.to_user_id)}"
        if transfer.to_user_id is not None
        else "to the partner line"
    )
    return f"{transfer.kind.value} {to}"[:200]


def _end(
    session: Session,
    transfer: CallTransfer,
    status: TransferStatus,
    now: datetime,
    user: User | None,
    moves: Moves,
    *,
    tell: str | None = None,
) -> None:
    """An open transfer that did not complete: the colleague freed and their leg ended, the
    caller resumed (after a consultation, or if the transfer held them); the counselor told."""
    assert transfer.id is not None
    transfer.status, transfer.ended_at = status, now
    transfer.ended_by = user.id if user is not None else None
    call = session.get(Call, transfer.call_id)
    assert call is not None
    if transfer.to_user_id is not None and transfer.colleague_was is not None:
        routing.release_colleague(
            session=session,
            user_id=transfer.to_user_id,
            call_id=call.id or 0,
            back_to=AgentState(transfer.colleague_was),
            now=now,
        )
        emit(session, agent_topic(transfer.to_user_id))
    if transfer.leg_sid is not None:
        moves.end_leg.append((transfer.call_id, transfer.leg_sid))
    # A consultation that ends gives the caller back to the counselor, off hold.
    warm = transfer.kind == TransferKind.warm
    if (warm or transfer.held_caller) and call.state == CallState.connected:
        if _set_hold(session, transfer.call_id, False, user.id if user else None, now):
            moves.hold.append(transfer.call_id)
            _record(session, call, "caller_resumed", now, user, "transfer")
    _audit(session, user, transfer, now, status.value)
    _record(session, call, f"transfer_{status.value}", now, user, _describe(session, transfer))
    emit(session, agent_topic(transfer.from_user_id), {"error": tell} if tell else None)


# --- the counselor starts a transfer ----------------------------------------------------------


def start(
    *,
    session: Session,
    user: User,
    call_id: int,
    kind: str,
    target: str,
    colleague_id: int | None,
    message: str,
    now: datetime,
    offer_timeout_s: int,
) -> tuple[CallTransfer, Moves]:
    """Begin a warm or cold transfer of the user's live call to a colleague (or, cold, to the
    line's partner line)."""
    assert user.id is not None
    call = control._live_call(session, user, call_id)  # noqa: SLF001
    control._control(session, call_id, now)  # noqa: SLF001 (locks the call's row)
    if _open_transfer(session, call_id) is not None:
        raise TransferError("transfer_open")
    moves = Moves()
    if target == "partner":
        if kind != TransferKind.cold:
            raise TransferError("bad_target", 422, errors={"kind": "bad_target"})
        line = session.get(Line, call.line_id)
        if line is None or not line.partner_number:
            raise TransferError("no_partner", 422)
        party = control.add_party(
            session=session,
            user=user,
            call_id=call_id,
            kind="partner",
            number=None,
            resource_id=None,
            now=now,
        )
        transfer = CallTransfer(
            call_id=call_id,
            kind=TransferKind.cold,
            from_user_id=user.id,
            party_id=party.id,
            message="",
            status=TransferStatus.dialing,
            created_at=now,
        )
        session.add(transfer)
        session.flush()
        assert party.id is not None
        moves.dial_party.append(party.id)
    elif target == "colleague":
        if kind not in (TransferKind.warm, TransferKind.cold) or colleague_id is None:
            raise TransferError("bad_target", 422, errors={"user_id": "bad_target"})
        reachable = {c["user_id"] for c in colleagues(session=session, user=user, now=now)}
        if colleague_id not in reachable:
            raise TransferError("not_reachable", 409, errors={"user_id": "not_reachable"})
        was = routing.reserve_colleague(
            session=session,
            user_id=colleague_id,
            call_id=call_id,
            now=now,
            states=routing.FREE_FOR_TRANSFER,
        )
        if was is None:
            raise TransferError("not_reachable", 409, errors={"user_id": "not_reachable"})
        transfer = CallTransfer(
            call_id=call_id,
            kind=TransferKind(kind),
            from_user_id=user.id,
            to_user_id=colleague_id,
            message=message.strip()[:MESSAGE_MAX],
            colleague_was=was.value,
            created_at=now,
        )
        if kind == TransferKind.warm:
            # The caller hears the line's hold music, not the consultation.
            transfer.status = TransferStatus.dialing
            transfer.held_caller = _set_hold(session, call_id, True, user.id, now)
            if transfer.held_caller:
                moves.hold.append(call_id)
                _record(session, call, "caller_held", now, user, "transfer")
        else:
            transfer.status = TransferStatus.offered
            transfer.expires_at = now + timedelta(seconds=offer_timeout_s)
        session.add(transfer)
        session.flush()
        assert transfer.id is not None
        if kind == TransferKind.warm:
            moves.dial.append(transfer.id)
        emit(session, agent_topic(colleague_id))
    else:
        raise TransferError("bad_target", 422, errors={"target": "bad_target"})
    _audit(session, user, transfer, now, "started")
    _record(session, call, "transfer_started", now, user, _describe(session, transfer))
    return transfer, moves


def _own(session: Session, user: User, transfer_id: int) -> tuple[CallTransfer, Call]:
    transfer = _locked_transfer(session, transfer_id)
    if transfer.from_user_id != user.id:
        raise TransferError("not_your_call", 403)
    if transfer.status not in OPEN_TRANSFER_STATUSES:
        raise TransferError("transfer_over")
    call = session.get(Call, transfer.call_id)
    assert call is not None
    if call.state != CallState.connected or call.counselor_id != user.id:
        raise TransferError("no_live_call")
    return transfer, call


def complete(*, session: Session, user: User, transfer_id: int, now: datetime) -> Moves:
    """Warm: the counselor leaves; the colleague holds the call; the caller is taken off hold."""
    transfer, call = _own(session, user, transfer_id)
    if transfer.kind != TransferKind.warm or transfer.status != TransferStatus.consulting:
        raise TransferError("not_consulting")
    return _hand_over(session, transfer, call, now, user)


def _hand_over(
    session: Session, transfer: CallTransfer, call: Call, now: datetime, user: User | None
) -> Moves:
    """The colleague becomes the call's counselor (their leg, if in, becomes the counselor's
    leg); the first counselor's leg is ended, the caller resumed."""
    assert transfer.to_user_id is not None and call.id is not None
    moves = Moves()
    first_leg = call.counselor_call_sid
    note = notes.note_of(session=session, call_id=call.id)
    if not routing.hand_to_colleague(
        session=session,
        call=call,
        from_user_id=transfer.from_user_id,
        to_user_id=transfer.to_user_id,
        leg_sid=transfer.leg_sid if transfer.status == TransferStatus.consulting else None,
        now=now,
        detail=_describe(session, transfer),
    ):
        raise TransferError("no_live_call")
    transfer.note_version = note.version if note is not None else None
    if first_leg is not None:
        moves.end_leg.append((call.id, first_leg))
    row = control._control(session, call.id, now)  # noqa: SLF001
    row.counselor_muted = False  # the first counselor's mute was theirs
    if transfer.status == TransferStatus.consulting:
        transfer.status, transfer.ended_at = TransferStatus.completed, now
        transfer.ended_by = user.id if user is not None else None
        if _set_hold(session, call.id, False, user.id if user else None, now):
            moves.hold.append(call.id)
        _audit(session, user, transfer, now, "completed")
        _record(session, call, "transfer_completed", now, user, _describe(session, transfer))
        emit(session, agent_topic(transfer.to_user_id))
    else:  # cold, accepted: the caller waits on hold until the colleague's phone is in
        if _set_hold(session, call.id, True, transfer.to_user_id, now):
            moves.hold.append(call.id)
            transfer.held_caller = True
        transfer.status = TransferStatus.dialing
        assert transfer.id is not None
        moves.dial.append(transfer.id)
        _audit(session, user, transfer, now, "accepted")
        _record(session, call, "transfer_accepted", now, user, _describe(session, transfer))
    emit(session, agent_topic(transfer.from_user_id))
    return moves


def take_back(*, session: Session, user: User, transfer_id: int, now: datetime) -> Moves:
    """The counselor takes the caller back: the colleague's leg ends, the caller is resumed."""
    transfer, _call = _own(session, user, transfer_id)
    if transfer.kind == TransferKind.cold and transfer.status != TransferStatus.offered:
        raise TransferError("transfer_over")  # a partner line being dialled: remove the party
    moves = Moves()
    status = (
        TransferStatus.returned
        if transfer.status == TransferStatus.consulting
        else TransferStatus.cancelled
    )
    _end(session, transfer, status, now, user, moves)
    return moves


# --- the colleague answers --------------------------------------------------------------------


def _theirs(session: Session, user: User, transfer_id: int) -> CallTransfer:
    transfer = _locked_transfer(session, transfer_id)
    if transfer.to_user_id != user.id:
        raise TransferError("not_for_you", 403)
    if transfer.status not in OPEN_TRANSFER_STATUSES:
        raise TransferError("transfer_over")
    return transfer


def accept(*, session: Session, user: User, transfer_id: int, now: datetime) -> Moves:
    """Cold: the colleague takes the call. The first counselor leaves now; the caller waits on
    hold until the colleague's phone is in."""
    transfer = _theirs(session, user, transfer_id)
    if transfer.kind != TransferKind.cold or transfer.status != TransferStatus.offered:
        raise TransferError("transfer_over")
    call = session.get(Call, transfer.call_id)
    assert call is not None
    if call.state != CallState.connected or call.counselor_id != transfer.from_user_id:
        moves = Moves()
        _end(session, transfer, TransferStatus.cancelled, now, user, moves)
        return moves
    return _hand_over(session, transfer, call, now, user)


def decline(*, session: Session, user: User, transfer_id: int, now: datetime) -> Moves:
    """The colleague says no (cold), or leaves the consultation (warm): the call stays with
    the first counselor, who is told."""
    transfer = _theirs(session, user, transfer_id)
    moves = Moves()
    if transfer.kind == TransferKind.cold and transfer.status != TransferStatus.offered:
        raise TransferError("transfer_over")  # accepted: theirs now
    status = (
        TransferStatus.declined if transfer.kind == TransferKind.cold else TransferStatus.cancelled
    )
    _end(session, transfer, status, now, user, moves, tell=f"transfer_{status.value}")
    return moves


def expire_offers(*, session: Session, now: datetime) -> Moves:
    """Cold offers the colleague did not answer in time: the call stays with its counselor."""
    moves = Moves()
    due = session.exec(
        select(CallTransfer.id).where(
            CallTransfer.status == TransferStatus.offered,
            col(CallTransfer.expires_at) <= now,
        )
    ).all()
    for transfer_id in due:
        assert transfer_id is not None
        transfer = _locked_transfer(session, transfer_id)
        if transfer.status == TransferStatus.offered:
            _end(
                session, transfer, TransferStatus.expired, now, None, moves, tell="transfer_expired"
            )
    return moves


# --- the phone network reports ----------------------------------------------------------------


def leg_progress(
    *, session: Session, transfer_id: int, leg_sid: str, call_status: str, now: datetime
) -> Moves:
    """The colleague's leg: answered (the consultation starts, or a cold transfer completes),
    or ended (not answered, the colleague hung up, or, after the transfer, the counselor's
    phone dropped)."""
    moves = Moves()
    transfer = session.get(CallTransfer, transfer_id)
    if transfer is None or transfer.leg_sid not in (None, leg_sid):
        return moves
    transfer = _locked_transfer(session, transfer_id)
    call = session.get(Call, transfer.call_id)
    assert call is not None and call.id is not None
    if transfer.leg_sid is None:
        session.execute(
            update(CallTransfer)
            .where(col(CallTransfer.id) == transfer_id, col(CallTransfer.leg_sid).is_(None))
            .values(leg_sid=leg_sid)
        )
        session.refresh(transfer)
    if call_status in LEG_ANSWERED and transfer.status == TransferStatus.dialing:
        transfer.answered_at = now
        if transfer.kind == TransferKind.warm:
            transfer.status = TransferStatus.consulting
            _record(session, call, "transfer_consulting", now, None, _describe(session, transfer))
            emit(session, agent_topic(transfer.to_user_id or 0))
            emit(session, agent_topic(transfer.from_user_id))
            return moves
        # Cold, accepted: their phone is in; it is the counselor's leg now.
        assert transfer.to_user_id is not None
        session.execute(
            update(Call)
            .where(
                col(Call.id) == call.id,
                col(Call.state) == CallState.connected.value,
                col(Call.counselor_id) == transfer.to_user_id,
            )
            .values(counselor_call_sid=leg_sid)
        )
        session.refresh(call)
        transfer.status, transfer.ended_at = TransferStatus.completed, now
        if call.counselor_call_sid == leg_sid and _set_hold(
            session, call.id, False, transfer.to_user_id, now
        ):
            moves.hold.append(call.id)
        _record(session, call, "transfer_completed", now, None, _describe(session, transfer))
        emit(session, agent_topic(transfer.to_user_id))
        return moves
    if call_status not in LEG_ENDED:
        return moves
    if transfer.status == TransferStatus.completed:
        # The colleague holds the call: their phone dropping is the counselor's leg dropping.
        routing.counselor_left(session=session, call=call, leg_sid=leg_sid, now=now)
        moves.kick = call.state == CallState.queued
        return moves
    if transfer.status == TransferStatus.consulting:
        transfer.leg_sid = None  # over already
        _end(session, transfer, TransferStatus.returned, now, None, moves, tell="transfer_left")
    elif transfer.status == TransferStatus.dialing and transfer.kind == TransferKind.warm:
        transfer.leg_sid = None
        _end(
            session, transfer, TransferStatus.no_answer, now, None, moves, tell="transfer_no_answer"
        )
    elif transfer.status == TransferStatus.dialing:
        # Cold, accepted, the first counselor gone: the caller goes back to the queue.
        assert transfer.to_user_id is not None
        transfer.status, transfer.ended_at = TransferStatus.requeued, now
        if routing.requeue_transferred(
            session=session, call=call, user_id=transfer.to_user_id, now=now
        ):
            moves.kick = True
            # The caller waits on hold (the hold music) and is taken off it when the next
            # counselor joins (routing), so that counselor's controls start off hold.
            _set_hold(session, call.id, False, None, now)
        _record(session, call, "transfer_requeued", now, None, _describe(session, transfer))
        _audit(session, None, transfer, now, "requeued")
    return moves


def party_changed(*, session: Session, party: CallParty, now: datetime) -> Moves:
    """The partner line of a cold transfer answered (the counselor's part ends, the call is
    recorded as transferred out) or did not (the counselor keeps the caller, and is told)."""
    moves = Moves()
    transfer = session.exec(
        select(CallTransfer).where(
            CallTransfer.party_id == party.id, CallTransfer.status == TransferStatus.dialing
        )
    ).first()
    if transfer is None:
        return moves
    call = session.get(Call, transfer.call_id)
    assert call is not None and call.id is not None
    if party.status == PartyStatus.connected:
        leg = call.counselor_call_sid
        if routing.transferred_out(
            session=session, call=call, user_id=transfer.from_user_id, now=now
        ):
            transfer.status, transfer.ended_at, transfer.answered_at = (
                TransferStatus.completed,
                now,
                now,
            )
            note = notes.note_of(session=session, call_id=call.id)
            transfer.note_version = note.version if note is not None else None
            if leg is not None:
                moves.end_leg.append((call.id, leg))
            if _set_hold(session, call.id, False, None, now):
                moves.hold.append(call.id)
            _audit(session, None, transfer, now, "completed")
            _record(session, call, "transfer_completed", now, None, _describe(session, transfer))
    elif party.status in (PartyStatus.failed, PartyStatus.left):
        transfer.status, transfer.ended_at = TransferStatus.no_answer, now
        _audit(session, None, transfer, now, TransferStatus.no_answer.value)
        _record(session, call, "transfer_no_answer", now, None, _describe(session, transfer))
        emit(session, agent_topic(transfer.from_user_id), {"error": "transfer_no_answer"})
    return moves


def dial_failed(*, session: Session, transfer_id: int, now: datetime) -> Moves:
    """The phone network refused to ring the colleague."""
    moves = Moves()
    transfer = _locked_transfer(session, transfer_id)
    if transfer.status != TransferStatus.dialing:
        return moves
    if transfer.kind == TransferKind.warm:
        _end(
            session, transfer, TransferStatus.no_answer, now, None, moves, tell="transfer_no_answer"
        )
        return moves
    return leg_progress(
        session=session, transfer_id=transfer_id, leg_sid="", call_status="failed", now=now
    )


# --- what the consoles show -------------------------------------------------------------------


def for_user(*, session: Session, user_id: int) -> dict[str, Any] | None:
    """The open transfer this user started (their call) or is asked to take (a colleague):
    what the colleague sees is who asks, the line, the kind and the counselor's words, never
    anything about the caller's number."""
    transfer = session.exec(
        select(CallTransfer)
        .where(
            (col(CallTransfer.from_user_id) == user_id) | (col(CallTransfer.to_user_id) == user_id),
            col(CallTransfer.status).in_([s.value for s in OPEN_TRANSFER_STATUSES]),
        )
        .order_by(col(CallTransfer.id).desc())
    ).first()
    if transfer is None:
        return None
    call = session.get(Call, transfer.call_id)
    line = session.get(Line, call.line_id) if call is not None else None
    party = session.get(CallParty, transfer.party_id) if transfer.party_id else None
    incoming = transfer.to_user_id == user_id
    return {
        "transfer_id": transfer.id,
        "call_id": transfer.call_id,
        "direction": "incoming" if incoming else "outgoing",
        "kind": transfer.kind.value,
        "target": "colleague" if transfer.to_user_id is not None else "partner",
        "status": transfer.status.value,
        "from_name": _name(session, transfer.from_user_id),
        "to_name": _name(session, transfer.to_user_id)
        if transfer.to_user_id
        else (party.name if party is not None else ""),
        "line_name": line.name if line is not None else "",
        "message": transfer.message if incoming else "",
        "expires_at": transfer.expires_at.isoformat() if transfer.expires_at else None,
    }


def of_call(*, session: Session, call_id: int) -> list[CallTransfer]:
    return list(
        session.exec(
            select(CallTransfer)
            .where(CallTransfer.call_id == call_id)
            .order_by(col(CallTransfer.id))
        ).all()
    )


def control_row(session: Session, call_id: int) -> CallControl | None:
    return session.exec(select(CallControl).where(CallControl.call_id == call_id)).first()
