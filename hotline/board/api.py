"""The board's webhook: the status callback of supervisors' phone legs (listen, whisper, barge).
The board's page and websocket are in `agent_console/board/`; see docs/board-protocol.md."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from hotline.board import service as board
from hotline.routing.engine import DispatcherDep
from hotline.telephony import prompts
from hotline.telephony.params import as_id
from hotline.telephony.service import TWIML, answer_webhook
from hotline.telephony.signature import SignedForm, require

router = APIRouter(tags=["board"])
ENDED_LEG_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}


@router.post("/twilio/monitor/status")
def monitor_status(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """Call progress of a supervisor's leg: one that never answered or hung up is over."""
    require(params, "CallSid", "CallStatus")
    monitor_id = as_id(request.query_params.get("monitor_id"))
    if monitor_id is None:
        return Response(prompts.empty(), media_type=TWIML, status_code=400)

    def handle(session: Session) -> str:
        if params["CallStatus"] in ENDED_LEG_STATUSES:
            board.monitor_left(
                session=session,
                leg_sid=params["CallSid"],
                now=dispatcher.clock.now(),
                reason=f"leg_{params['CallStatus']}",
                monitor_id=monitor_id,
            )
        return prompts.empty()

    response = answer_webhook(request, params, handle, db=dispatcher.db, clock=dispatcher.clock)
    response.media_type = TWIML
    return response
