"""The console's debrief prompt: after a high or imminent contact's note is submitted, its
counselor is asked whether they would like a debrief; "yes" files the request the supervisors
see on their supervision page."""

from __future__ import annotations

from fastapi import APIRouter, Request

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, CurrentUser
from hotline.db import SessionDep
from hotline.supervision import service as supervision
from hotline.supervision.schemas import DebriefOffer

router = APIRouter(tags=["supervision"])


@router.get("/api/calls/{call_id}/debrief", response_model=DebriefOffer)
def debrief_offer(
    call_id: int, request: Request, user: CurrentUser, session: SessionDep
) -> DebriefOffer:
    """Offered only to the counselor whose submitted note rates the call high or imminent."""
    mine = supervision.debrief_of(session=session, call_id=call_id, user=user)
    return DebriefOffer(
        offered=supervision.debrief_offered(session=session, call_id=call_id, user=user),
        request_id=mine.id if mine else None,
        status=mine.status.value if mine else None,
    )


@router.post(
    "/api/calls/{call_id}/debrief", dependencies=[CsrfChecked], response_model=DebriefOffer
)
def ask_for_debrief(
    call_id: int, request: Request, user: CurrentUser, session: SessionDep
) -> DebriefOffer:
    """The counselor said yes (403 for a call that is not theirs, 409 if already asked)."""
    debrief = supervision.request_debrief(
        session=session, counselor=user, call_id=call_id, now=request.app.state.clock.now()
    )
    record_request(
        request,
        action=AuditAction.edit,
        object_type="debrief",
        object_id=debrief.id,
        user=user,
        detail=f"requested call={call_id} reason={debrief.reason.value}",
        session=session,
    )
    return DebriefOffer(offered=False, request_id=debrief.id, status=debrief.status.value)
