"""Escalation: the console's API (escalate, acknowledge, join, resolve, timeline) and the Twilio
webhooks of paging (the paging call's keypress, SMS replies, paging call status)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline import phone
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, CurrentUser
from hotline.auth.models import Role, User
from hotline.calls.models import Call
from hotline.escalation import paging
from hotline.escalation import service as escalations
from hotline.escalation.models import Escalation, Page, RescueStage
from hotline.i18n import TWILIO_SAY_LANGUAGE, gettext_for
from hotline.lines.models import Line
from hotline.notes import service as notes
from hotline.notes.service import is_call_counselor
from hotline.routing import service as routing
from hotline.routing.engine import Dispatcher, DispatcherDep
from hotline.routing.service import Effects
from hotline.telephony.params import as_id
from hotline.telephony.service import TWIML, answer_webhook
from hotline.telephony.signature import SignedForm, require

router = APIRouter(tags=["escalation"])
ACK_WORDS = {"1", "ack", "ok", "yes", "y", "收到", "确认", "好"}


class EscalateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)
    level: str = "high"


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str


class RescueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: RescueStage
    note: str | None = Field(default=None, max_length=2000)


def error_message(_: Callable[[str], str], code: str) -> str:
    return {
        "not_found": _("There is no such escalation."),
        "already_acknowledged": _("Someone else has already acknowledged this escalation."),
        "resolved": _("This escalation is already resolved."),
        "acknowledge_first": _("Acknowledge the escalation before joining the call."),
        "join_first": _("Join the call before taking it over."),
        "rescue_order": _("That rescue step does not follow the last one recorded."),
        "rescue_note_needed": _("Say what was done next when the rescue failed."),
        "bad_outcome": _("Choose one of the listed outcomes."),
        "forbidden": _("You are not allowed to do this."),
        "caller_gone": _("The caller has hung up: there is no call to join."),
    }.get(code, _("Something went wrong. Please try again."))


def call_back_text(_: Callable[[str], str], way: str | None) -> str:
    """Says how the caller can be called back, never the number itself."""
    if way == "followup":
        return _(
            "A follow-up call is scheduled for this caller: call them back from the follow-up list."
        )
    if way == "callback_number":
        return _(
            "The counselor's note has a number to call the caller back: ask the counselor "
            "or a supervisor."
        )
    return _("The caller left no number to call them back.")


def _fail(
    user: User, error: escalations.EscalationError, dispatcher: Dispatcher | None = None
) -> JSONResponse:
    _ = gettext_for(user.locale)
    body: dict[str, Any] = {"code": error.code, "detail": error_message(_, error.code)}
    if error.call_ended_at is not None and dispatcher is not None:
        body.update(_caller_gone(_, error, dispatcher))
    return JSONResponse(body, status_code=error.status)


def _caller_gone(
    _: Callable[[str], str], error: escalations.EscalationError, dispatcher: Dispatcher
) -> dict[str, Any]:
    """When the call ended (the line's local time) and how the caller can be called back."""
    assert error.call_ended_at is not None and error.call_id is not None
    with dispatcher.db.session() as session:
        call = session.get(Call, error.call_id)
        line = session.get(Line, call.line_id) if call else None
        way = notes.callback_way(session=session, call_id=error.call_id)
    local = escalations.local_time(error.call_ended_at, line.timezone if line else "UTC")
    ended = _("The call ended at %(time)s.") % {"time": local}
    return {
        "detail": " ".join([error_message(_, error.code), ended, call_back_text(_, way)]),
        "call_ended_at": error.call_ended_at.isoformat(),
        "call_back": way,
    }


def _public(session: Session, escalation: Escalation) -> dict[str, Any]:
    return {
        "id": escalation.id,
        "call_id": escalation.call_id,
        "level": escalation.level,
        "status": escalation.status.value,
        "attempt": escalation.attempt,
        "next_step_at": escalation.next_step_at.isoformat() if escalation.next_step_at else None,
        "acknowledged_by": escalation.acknowledged_by,
        "outcome": escalation.outcome,
        "rescue_status": escalation.rescue_status,
        "rescue": [
            {"stage": step.stage.value, "at": step.at.isoformat(), "user_id": step.user_id}
            for step in escalations.rescue_steps(session=session, escalation_id=escalation.id or 0)
        ],
        "timeline": [
            {
                "at": entry.at.isoformat(),
                "kind": entry.kind,
                "user_id": entry.user_id,
                "channel": entry.channel,
                "detail": entry.detail,
            }
            for entry in escalations.timeline(session=session, escalation_id=escalation.id or 0)
        ],
    }


def _responder(user: User) -> None:
    if user.role not in escalations.RESPONDERS:
        raise escalations.EscalationError("forbidden", 403)


@router.post("/api/calls/{call_id}/escalate", response_model=None, dependencies=[CsrfChecked])
def escalate(
    call_id: int, body: EscalateRequest, user: CurrentUser, dispatcher: DispatcherDep
) -> dict[str, Any] | JSONResponse:
    """The counselor's "escalate" button: page the crisis team now, with a reason."""
    if body.level not in ("high", "imminent"):
        return _fail(user, escalations.EscalationError("bad_outcome", 422))
    with dispatcher.db.session() as session:
        call = session.get(Call, call_id)
        if call is None or not (
            is_call_counselor(user, call) or user.role in (Role.supervisor, Role.admin)
        ):
            return _fail(user, escalations.EscalationError("forbidden", 403))
        escalation = escalations.trigger(
            session=session,
            call=call,
            level=body.level,
            reason=body.reason,
            user_id=user.id,
            now=dispatcher.clock.now(),
        )
        result = _public(session, escalation)
    dispatcher.kick()
    return result


@router.get("/api/escalations/{escalation_id}", response_model=None)
def get_escalation(
    escalation_id: int, request: Request, user: CurrentUser, dispatcher: DispatcherDep
) -> dict[str, Any] | JSONResponse:
    with dispatcher.db.session() as session:
        escalation = session.get(Escalation, escalation_id)
        if escalation is None:
            return _fail(user, escalations.EscalationError("not_found", 404))
        if user.role not in escalations.RESPONDERS:
            return _fail(user, escalations.EscalationError("forbidden", 403))
        record_request(
            request,
            action=AuditAction.view,
            object_type="escalation",
            object_id=escalation_id,
            user=user,
            session=session,
        )
        return _public(session, escalation)


@router.post(
    "/api/escalations/{escalation_id}/rescue", response_model=None, dependencies=[CsrfChecked]
)
def rescue(
    escalation_id: int, body: RescueRequest, user: CurrentUser, dispatcher: DispatcherDep
) -> dict[str, Any] | JSONResponse:
    """Imminent risk: emergency services requested, dispatched, contact confirmed or failed."""
    try:
        with dispatcher.db.session() as session:
            escalation = escalations.rescue(
                session=session,
                escalation_id=escalation_id,
                user=user,
                stage=body.stage,
                note=body.note,
                now=dispatcher.clock.now(),
            )
            return _public(session, escalation)
    except escalations.EscalationError as error:
        return _fail(user, error)


@router.post(
    "/api/escalations/{escalation_id}/{action}", response_model=None, dependencies=[CsrfChecked]
)
def act(
    escalation_id: int,
    action: str,
    request: Request,
    user: CurrentUser,
    dispatcher: DispatcherDep,
    body: ResolveRequest | None = None,
) -> dict[str, Any] | JSONResponse:
    now = dispatcher.clock.now()
    effects = Effects()
    to_end: list[str] = []
    try:
        _responder(user)
        with dispatcher.db.session() as session:
            if action == "ack":
                escalation = escalations.acknowledge(
                    session=session,
                    escalation_id=escalation_id,
                    user=user,
                    now=now,
                    channel="console",
                )
                to_end = escalations.paging_calls_to_end(
                    session=session, escalation_id=escalation_id
                )
            elif action == "join":
                escalation, call = escalations.request_join(
                    session=session, escalation_id=escalation_id, user=user, now=now
                )
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
                return JSONResponse({"detail": "unknown action"}, status_code=404)
            result = _public(session, escalation)
    except escalations.EscalationError as error:
        return _fail(user, error, dispatcher)
    dispatcher.apply(effects)
    _end_paging_calls(dispatcher, to_end)
    return result


def _end_paging_calls(dispatcher: Dispatcher, call_sids: list[str]) -> None:
    """After the commit: the paging calls stop ringing once someone has acknowledged."""
    for sid in call_sids:
        dispatcher.submit(dispatcher.end_paging_call, sid)


# --- Twilio webhooks of paging ----------------------------------------------------------------


def _page_context(session: Session, page_id: int) -> tuple[Page, User, Escalation, Line] | None:
    page = session.get(Page, page_id)
    if page is None:
        return None
    user = session.get(User, page.user_id)
    escalation = session.get(Escalation, page.escalation_id)
    line = session.get(Line, escalation.line_id) if escalation else None
    if user is None or escalation is None or line is None:
        return None
    return page, user, escalation, line


def _page_id(request: Request) -> int:
    # No page has id 0: a malformed page_id finds nothing and the call just ends.
    return as_id(request.query_params.get("page_id")) or 0


@router.post("/twilio/page/voice")
def page_voice(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """The paging call was answered: speak the alert and take a keypress."""
    page_id = _page_id(request)
    with dispatcher.db.session() as session:
        found = _page_context(session, page_id)
        response = VoiceResponse()
        if found is None:
            response.hangup()
            return Response(str(response), media_type=TWIML)
        page, user, escalation, line = found
        lang = TWILIO_SAY_LANGUAGE.get(user.locale, "cmn-CN")
        gather = Gather(
            num_digits=1,
            timeout=10,
            method="POST",
            action=dispatcher.telephony.url(f"/twilio/page/keypress?page_id={page_id}"),
        )
        text = paging.alert_text(
            level=escalation.level,
            line_name=line.name,
            locale=user.locale,
            voice=True,
            repeat_of=paging.repeat_of(page),
        )
        gather.say(text, language=lang)
        response.append(gather)
        response.say(text, language=lang)
        response.hangup()
    return Response(str(response), media_type=TWIML)


@router.post("/twilio/page/keypress")
def page_keypress(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    page_id = _page_id(request)
    to_end: list[str] = []

    def handle(session: Session) -> str:
        response = VoiceResponse()
        found = _page_context(session, page_id)
        if found is None:
            response.hangup()
            return str(response)
        _page, user, escalation, _line = found
        _ = gettext_for(user.locale)
        lang = TWILIO_SAY_LANGUAGE.get(user.locale, "cmn-CN")
        if params.get("Digits") == paging.ACK_KEY:
            try:
                escalations.acknowledge(
                    session=session,
                    escalation_id=escalation.id or 0,
                    user=user,
                    now=dispatcher.clock.now(),
                    channel="voice",
                )
                to_end.extend(
                    escalations.paging_calls_to_end(
                        session=session,
                        escalation_id=escalation.id or 0,
                        keep=params.get("CallSid"),
                    )
                )
                _offer_join(session, response, escalation, page_id, dispatcher, _, lang)
                return str(response)
            except escalations.EscalationError:
                response.say(
                    _("Someone else has already acknowledged this escalation."), language=lang
                )
        else:
            response.say(
                _("Not acknowledged. The alert goes on to the next person."), language=lang
            )
        response.hangup()
        return str(response)

    response = answer_webhook(request, params, handle, db=dispatcher.db, clock=dispatcher.clock)
    _end_paging_calls(dispatcher, to_end)
    return response


def _offer_join(
    session: Session,
    response: VoiceResponse,
    escalation: Escalation,
    page_id: int,
    dispatcher: Dispatcher,
    _: Callable[[str], str],
    lang: str,
) -> None:
    """Acknowledged on the paging call: join the caller from the phone, while they are there."""
    call = session.get(Call, escalation.call_id)
    if call is None or escalations.caller_gone_at(session=session, call=call) is not None:
        response.say(
            _(
                "Acknowledged. The caller has hung up: open the console to see how to call "
                "them back."
            ),
            language=lang,
        )
        response.hangup()
        return
    gather = Gather(
        num_digits=1,
        timeout=10,
        method="POST",
        action=dispatcher.telephony.url(f"/twilio/page/join?page_id={page_id}"),
    )
    gather.say(
        _("Acknowledged. Press 1 to join the caller now, or hang up and open the console."),
        language=lang,
    )
    response.append(gather)
    response.say(_("Acknowledged. Open the console to join the call."), language=lang)
    response.hangup()


@router.post("/twilio/page/join")
def page_join(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """The responder pressed 1 after acknowledging: into the caller's conference, as a
    crisis-labelled participant (so the join is recorded), never starting one."""
    page_id = _page_id(request)

    def handle(session: Session) -> str:
        response = VoiceResponse()
        found = _page_context(session, page_id)
        if found is None:
            response.hangup()
            return str(response)
        _page, user, escalation, _line = found
        _ = gettext_for(user.locale)
        lang = TWILIO_SAY_LANGUAGE.get(user.locale, "cmn-CN")
        if params.get("Digits") != paging.JOIN_KEY:
            response.say(_("Acknowledged. Open the console to join the call."), language=lang)
            response.hangup()
            return str(response)
        try:
            _escalation, call = escalations.request_join(
                session=session,
                escalation_id=escalation.id or 0,
                user=user,
                now=dispatcher.clock.now(),
                channel="voice",
            )
        except escalations.EscalationError as error:
            response.say(error_message(_, error.code), language=lang)
            response.hangup()
            return str(response)
        response.say(_("Connecting you to the caller."), language=lang)
        dial = response.dial()
        dial.conference(
            call.call_sid,
            participant_label=f"crisis:{user.id}",
            start_conference_on_enter=False,
            end_conference_on_exit=False,
            beep=False,
        )
        response.hangup()
        return str(response)

    return answer_webhook(request, params, handle, db=dispatcher.db, clock=dispatcher.clock)


@router.post("/twilio/page/status")
def page_status(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """Delivery of a paging call: unanswered or failed calls go into the escalation log."""
    page_id = _page_id(request)
    status = params.get("CallStatus", "")

    def handle(session: Session) -> str:
        found = _page_context(session, page_id)
        if found is not None and status in {"busy", "failed", "no-answer", "canceled"}:
            page, _user, escalation, _line = found
            escalations.record(
                session,
                escalation,
                "page_unanswered",
                dispatcher.clock.now(),
                user_id=page.user_id,
                channel="voice",
                detail=status,
            )
        return str(VoiceResponse())

    return answer_webhook(request, params, handle, db=dispatcher.db, clock=dispatcher.clock)


@router.post("/twilio/sms/incoming")
def sms_incoming(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """An SMS to a line's number: a paged responder's reply acknowledges their page."""
    require(params, "From")
    to_end: list[str] = []

    def handle(session: Session) -> str:
        reply = MessagingResponse()
        found = escalations.open_page_for_number(
            session=session, number=phone.caller_id(params["From"])
        )
        if found is None:
            return str(reply)  # not a responder: nothing is said back
        page, user = found
        _ = gettext_for(user.locale)
        if params.get("Body", "").strip().lower() in ACK_WORDS:
            try:
                escalations.acknowledge(
                    session=session,
                    escalation_id=page.escalation_id,
                    user=user,
                    now=dispatcher.clock.now(),
                    channel="sms",
                )
                to_end.extend(
                    escalations.paging_calls_to_end(
                        session=session, escalation_id=page.escalation_id
                    )
                )
                reply.message(_("Acknowledged. Open the console to join the call."))
            except escalations.EscalationError:
                reply.message(_("Someone else has already acknowledged this escalation."))
        else:
            reply.message(_("Reply 1 to acknowledge the crisis alert."))
        return str(reply)

    response = answer_webhook(request, params, handle, db=dispatcher.db, clock=dispatcher.clock)
    _end_paging_calls(dispatcher, to_end)
    return response
