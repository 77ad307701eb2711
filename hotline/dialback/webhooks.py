"""The line's calls back, as the phone network reports them: the answer (TwiML: into the
conference, as an incoming caller goes) and the call's progress. Signed, idempotent (a receipt
per distinct request), in any order."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from hotline import phone
from hotline.config import Settings
from hotline.dialback import service as dialbacks
from hotline.privacy import caller_hash
from hotline.routing import service as routing
from hotline.routing.engine import DispatcherDep
from hotline.telephony import prompts
from hotline.telephony.params import as_id
from hotline.telephony.service import TWIML, answer_webhook
from hotline.telephony.signature import SignedForm, require

router = APIRouter(prefix="/twilio/dialback", tags=["telephony"])


def _dial_back_id(request: Request) -> int | None:
    return as_id(request.query_params.get("dial_back_id"))


@router.post("/answer")
def answer(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """The person picked up: into their conference (the line's consent prompt first when it
    records), the counselor's phone dialled in after the commit. A machine: hang up."""
    require(params, "CallSid")
    dial_back_id = _dial_back_id(request)
    if dial_back_id is None:
        return Response(prompts.empty(), media_type=TWIML, status_code=400)
    settings: Settings = request.app.state.settings
    base = settings.public_base_url.rstrip("/")
    effects = routing.Effects()
    number = phone.caller_id(params.get("To", ""))

    def handle(session: Session) -> str:
        found = dialbacks.answered(
            session=session,
            dial_back_id=dial_back_id,
            call_sid=params["CallSid"],
            number=number,
            caller_hash=caller_hash(settings.secret_key, number),
            answered_by=params.get("AnsweredBy", ""),
            connect_timeout_s=settings.connect_timeout_s,
            now=dispatcher.clock.now(),
        )
        effects.merge(found.effects)
        call, line = found.call, found.line
        if call is None or line is None:
            return prompts.hang_up()
        lang = prompts.line_language(line, call.language)
        return prompts.queue(
            call_sid=call.call_sid,
            lang=lang,
            in_danger=False,
            # held=1: the hold prompt without a place in the queue (they did not queue).
            hold_url=base + f"/twilio/voice/hold?lang={lang}&held=1",
            conference_status_url=base + "/twilio/conference/status",
            after_url=base + f"/twilio/voice/after?lang={lang}",
            record=line.recording,
            recording_status_url=base + "/twilio/recording/status",
            consent=prompts.consent_prompt(line, lang),
        )

    response = answer_webhook(request, params, handle, db=dispatcher.db, clock=dispatcher.clock)
    dispatcher.apply(effects)
    return response


@router.post("/status")
def status(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """The outbound call's progress: initiated, ringing, answered, and how it ended."""
    require(params, "CallSid", "CallStatus")
    dial_back_id = _dial_back_id(request)
    if dial_back_id is None:
        return Response(prompts.empty(), media_type=TWIML, status_code=400)
    effects = routing.Effects()

    def handle(session: Session) -> str:
        effects.merge(
            dialbacks.progress(
                session=session,
                dial_back_id=dial_back_id,
                call_sid=params["CallSid"],
                call_status=params["CallStatus"],
                now=dispatcher.clock.now(),
            )
        )
        return prompts.empty()

    response = answer_webhook(request, params, handle, db=dispatcher.db, clock=dispatcher.clock)
    response.media_type = TWIML
    dispatcher.apply(effects)
    return response
