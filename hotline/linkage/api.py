"""Emergency linkage, the JSON API: reveal a kept number for rescue (audited)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, CurrentUser
from hotline.db import SessionDep
from hotline.linkage.reveal import reveal as reveal_number
from hotline.linkage.schemas import RevealOut, RevealRequest
from hotline.routing.engine import DispatcherDep

router = APIRouter(tags=["linkage"])
AUDIT_DETAIL = "revealed for rescue"  # the reason is in the escalation log, never the number


@router.post("/api/escalations/{escalation_id}/number/reveal", dependencies=[CsrfChecked])
def reveal(
    escalation_id: int,
    body: RevealRequest,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
) -> RevealOut:
    """The caller's number and location, for the crisis worker on the escalation or a
    supervisor, with a reason; each reveal is audited and logged for the other supervisors."""
    found = reveal_number(
        session=session,
        escalation_id=escalation_id,
        user=user,
        reason=body.reason,
        now=dispatcher.clock.now(),
    )
    record_request(
        request,
        action=AuditAction.view,
        object_type="rescue_number",
        object_id=escalation_id,
        user=user,
        detail=AUDIT_DETAIL,
        session=session,
    )
    response.headers["Cache-Control"] = "no-store"
    return RevealOut(number=found.number, location=found.location, revealed_at=found.at.isoformat())
