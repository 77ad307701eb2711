"""Calling back as the line, over JSON: ask for a dial-back of a follow-up, a voicemail's
callback request or an escalation, and read its state. No answer ever holds the number; every
request is in the audit log (never the number)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, BackgroundTasks, Request, Response
from sqlmodel import Session

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, CurrentUser
from hotline.auth.models import User
from hotline.db import SessionDep
from hotline.dialback import service as dialbacks
from hotline.dialback.models import DialBack
from hotline.dialback.schemas import CallOffered, DialBackPublic
from hotline.routing.engine import DispatcherDep

router = APIRouter(prefix="/api/dialbacks", tags=["dialback"])


def public(session: Session, dial: DialBack) -> DialBackPublic:
    assert dial.id is not None
    return DialBackPublic(
        id=dial.id,
        kind=dial.kind.value,
        state=dialbacks.shown_state(session=session, dial=dial),
        follow_up_id=dial.follow_up_id,
        voicemail_id=dial.voicemail_id,
        escalation_id=dial.escalation_id,
        conversation_id=dial.conversation_id,
        call_id=dial.call_id,
        requested_at=dial.requested_at,
        placed_at=dial.placed_at,
        answered_at=dial.answered_at,
        ended_at=dial.ended_at,
    )


def _filed(
    request: Request,
    response: Response,
    session: Session,
    user: User,
    dial: DialBack,
    object_type: str,
    object_id: int,
    tasks: BackgroundTasks,
    kick: Callable[[], None],
) -> DialBackPublic:
    record_request(
        request,
        action=AuditAction.edit,
        object_type=object_type,
        object_id=object_id,
        user=user,
        detail=f"dial-back {dial.id} requested",
        session=session,
    )
    response.headers["Cache-Control"] = "no-store"
    tasks.add_task(kick)  # placed by the job at once if the pace allows
    return public(session, dial)


@router.post("/followups/{follow_up_id}", dependencies=[CsrfChecked], status_code=201)
def call_back_follow_up(
    follow_up_id: int,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    tasks: BackgroundTasks,
) -> DialBackPublic:
    dial = dialbacks.for_follow_up(
        session=session, follow_up_id=follow_up_id, user=user, now=dispatcher.clock.now()
    )
    return _filed(
        request, response, session, user, dial, "follow_up", follow_up_id, tasks, dispatcher.kick
    )


@router.post("/voicemails/{voicemail_id}", dependencies=[CsrfChecked], status_code=201)
def call_back_voicemail(
    voicemail_id: int,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    tasks: BackgroundTasks,
) -> DialBackPublic:
    dial = dialbacks.for_voicemail(
        session=session, voicemail_id=voicemail_id, user=user, now=dispatcher.clock.now()
    )
    return _filed(
        request, response, session, user, dial, "voicemail", voicemail_id, tasks, dispatcher.kick
    )


@router.post("/escalations/{escalation_id}", dependencies=[CsrfChecked], status_code=201)
def call_back_escalation(
    escalation_id: int,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    tasks: BackgroundTasks,
) -> DialBackPublic:
    dial = dialbacks.for_escalation(
        session=session, escalation_id=escalation_id, user=user, now=dispatcher.clock.now()
    )
    return _filed(
        request,
        response,
        session,
        user,
        dial,
        "escalation",
        escalation_id,
        tasks,
        dispatcher.kick,
    )


@router.post("/conversations/{call_id}", dependencies=[CsrfChecked], status_code=201)
def call_conversation(
    call_id: int,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    tasks: BackgroundTasks,
) -> DialBackPublic:
    """The counselor holding an SMS conversation confirms the person agreed to a call: the line
    calls them (a web chat's person gives their number on the chat page; WeChat: refused)."""
    dial = dialbacks.for_conversation(
        session=session, call_id=call_id, user=user, now=dispatcher.clock.now()
    )
    return _filed(
        request, response, session, user, dial, "conversation", call_id, tasks, dispatcher.kick
    )


@router.post("/conversations/{call_id}/offer", dependencies=[CsrfChecked], status_code=202)
def offer_call(
    call_id: int,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
) -> CallOffered:
    """The counselor of a web chat or a WeChat follower offers the person a call: the chat
    page, or a WeChat message, asks them for their number; the line calls them once they give
    it (202: nothing is dialled yet)."""
    call = dialbacks.offer_call(
        session=session, call_id=call_id, user=user, now=dispatcher.clock.now()
    )
    record_request(
        request,
        action=AuditAction.edit,
        object_type="conversation",
        object_id=call_id,
        user=user,
        detail="call offered",
        session=session,
    )
    assert call.id is not None
    return CallOffered(call_id=call.id)


@router.get("/{dial_back_id}", response_model=DialBackPublic)
def get_dial_back(
    dial_back_id: int, response: Response, user: CurrentUser, session: SessionDep
) -> DialBackPublic:
    """Its state, for whoever asked for it (and supervisors)."""
    dial = dialbacks.get(session=session, dial_back_id=dial_back_id, user=user)
    response.headers["Cache-Control"] = "no-store"
    return public(session, dial)
