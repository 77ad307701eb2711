"""Escalation, the console's JSON API: escalate, acknowledge, join, take over, call back,
resolve, record a rescue, read one escalation with its log. Joining a text conversation dials
nobody: the crisis worker reads and writes in their console (`conversations.responder_joined`).

Each route works in the request's unit of work (`SessionDep`). Phone-network work (ringing the
responder into the call, ending the other paging calls) and the dispatcher's kick run as
background tasks: after the commit and the response, as they ran after the transaction before.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request
from sqlmodel import Session

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, CurrentUser, RequireRole
from hotline.auth.models import Role, User
from hotline.calls.models import Call
from hotline.conversations import service as conversations
from hotline.db import SessionDep
from hotline.escalation import service as escalations
from hotline.escalation.models import Escalation
from hotline.escalation.schemas import (
    EscalateRequest,
    EscalationOut,
    RescueRequest,
    ResolveRequest,
)
from hotline.notes import service as notes
from hotline.notes.service import is_call_counselor
from hotline.routing import service as routing
from hotline.routing.engine import DispatcherDep
from hotline.routing.service import Effects

router = APIRouter(tags=["escalation"])
Responder = Annotated[User, Depends(RequireRole(*escalations.RESPONDERS))]


def _public(session: Session, escalation: Escalation) -> EscalationOut:
    escalation_id = escalation.id or 0
    return EscalationOut.of(
        escalation,
        rescue=escalations.rescue_steps(session=session, escalation_id=escalation_id),
        timeline=escalations.timeline(session=session, escalation_id=escalation_id),
    )


@router.post("/api/calls/{call_id}/escalate", dependencies=[CsrfChecked])
def escalate(
    call_id: int,
    body: EscalateRequest,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    after: BackgroundTasks,
) -> EscalationOut:
    """The counselor's "escalate" button: page the crisis team now, with a reason."""
    if body.level not in ("high", "imminent"):
        raise escalations.EscalationError("bad_outcome", 422)
    call = session.get(Call, call_id)
    if call is None or not (
        is_call_counselor(user, call) or user.role in (Role.supervisor, Role.admin)
    ):
        raise escalations.EscalationError("forbidden", 403)
    escalation = escalations.trigger(
        session=session,
        call=call,
        level=body.level,
        reason=body.reason,
        user_id=user.id,
        now=dispatcher.clock.now(),
    )
    after.add_task(dispatcher.kick)  # the first step pages now, once this is committed
    return _public(session, escalation)


@router.get("/api/escalations/{escalation_id}")
def get_escalation(
    escalation_id: int, request: Request, user: Responder, session: SessionDep
) -> EscalationOut:
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        raise escalations.EscalationError("not_found", 404)
    record_request(
        request,
        action=AuditAction.view,
        object_type="escalation",
        object_id=escalation_id,
        user=user,
        session=session,
    )
    return _public(session, escalation)


@router.post("/api/escalations/{escalation_id}/rescue", dependencies=[CsrfChecked])
def rescue(
    escalation_id: int,
    body: RescueRequest,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
) -> EscalationOut:
    """Imminent risk: emergency services requested, dispatched, contact confirmed or failed."""
    escalation = escalations.rescue(
        session=session,
        escalation_id=escalation_id,
        user=user,
        stage=body.stage,
        note=body.note,
        now=dispatcher.clock.now(),
        service=body.service,
    )
    return _public(session, escalation)


@router.post("/api/escalations/{escalation_id}/{action}", dependencies=[CsrfChecked])
def act(
    escalation_id: int,
    action: str,
    user: Responder,
    session: SessionDep,
    dispatcher: DispatcherDep,
    after: BackgroundTasks,
    body: ResolveRequest | None = None,
) -> EscalationOut:
    """A responder's step: ack, join, take_over, called_back, resolve (with an outcome)."""
    now = dispatcher.clock.now()
    effects = Effects()
    to_end: list[str] = []
    try:
        if action == "ack":
            escalation = escalations.acknowledge(
                session=session, escalation_id=escalation_id, user=user, now=now, channel="console"
            )
            to_end = escalations.paging_calls_to_end(session=session, escalation_id=escalation_id)
        elif action == "join":
            escalation, call = escalations.request_join(
                session=session, escalation_id=escalation_id, user=user, now=now, text_ok=True
            )
            if call.is_text:  # no conference: they read and write in their console
                conversations.responder_joined(session=session, call=call, user=user, now=now)
            else:
                effects.connect_responder.append((call.id or 0, user.id or 0))
        elif action == "take_over":
            escalation, call = escalations.take_over(
                session=session, escalation_id=escalation_id, user=user, now=now
            )
            effects.merge(routing.hand_over(session=session, call=call, now=now) or Effects())
        elif action == "called_back":
            escalation = escalations.called_back(
                session=session, escalation_id=escalation_id, user=user, now=now
            )
        elif action == "resolve" and body is not None:
            escalation = escalations.resolve(
                session=session,
                escalation_id=escalation_id,
                user=user,
                outcome=body.outcome,
                now=now,
            )
        else:
            raise HTTPException(status_code=404, detail="unknown action")
    except escalations.EscalationError as error:
        # The caller hung up: the refusal says when, and how to call them back.
        escalations.caller_gone_details(
            session=session,
            error=error,
            call_back=lambda call_id: notes.callback_way(session=session, call_id=call_id),
        )
        raise
    result = _public(session, escalation)
    after.add_task(dispatcher.apply, effects)
    for sid in to_end:  # the other paging calls stop ringing once someone has acknowledged
        after.add_task(dispatcher.submit, dispatcher.end_paging_call, sid)
    return result
