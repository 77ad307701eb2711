"""Twilio webhooks. Each one is signed, idempotent, answers TwiML at once, and defers slow work.

A webhook owns its transaction: it works in the one `answer_webhook` opens (through `_run`),
never in a `SessionDep`; `hotline/telephony/service.py` says why."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, HTTPException, Request, Response
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from hotline import phone
from hotline.blocklist import service as blocklist
from hotline.board import service as board
from hotline.calls import service as calls
from hotline.calls.models import TERMINAL_STATES, Call, CallState
from hotline.config import Settings
from hotline.escalation import service as escalations
from hotline.lines import prompts as line_prompts
from hotline.lines import service as lines
from hotline.lines.models import Line
from hotline.linkage import service as linkage
from hotline.privacy import caller_hash, is_withheld
from hotline.review import service as review
from hotline.routing import priority
from hotline.routing import service as routing
from hotline.routing.engine import Dispatcher, DispatcherDep
from hotline.telephony import params as values
from hotline.telephony import prompts
from hotline.telephony.service import TWIML, answer_webhook, seconds
from hotline.telephony.signature import SignedForm, require
from hotline.voicemail import service as voicemails

router = APIRouter(prefix="/twilio", tags=["telephony"])
log = logging.getLogger(__name__)
ENDED_LEG_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}


def _run(request: Request, params: dict[str, str], handle: Callable[[Session], str]) -> Response:
    """`handle(session)` in the webhook's unit of work (`answer_webhook`), once per request."""
    dispatcher: Dispatcher = request.app.state.dispatcher
    return answer_webhook(request, params, handle, db=dispatcher.db, clock=dispatcher.clock)


def _url(request: Request, path: str) -> str:
    settings: Settings = request.app.state.settings
    return settings.public_base_url.rstrip("/") + path


def _audio(request: Request, session: Session, line: Line) -> prompts.Audio:
    """The line's uploaded recordings, by the addresses the phone network fetches them at."""
    assert line.id is not None
    found = line_prompts.recordings(session=session, line_id=line.id)
    return {key: _url(request, f"/twilio/prompts/{row.token}") for key, row in found.items()}


@router.post("/voice/incoming")
def incoming(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    # No From (or an empty one) is a caller who withheld their number: still put through.
    require(params, "CallSid", "To")
    settings: Settings = request.app.state.settings
    number = phone.caller_id(params.get("From", ""))

    def handle(session: Session) -> str:
        line = lines.get_by_number(session=session, number=phone.caller_id(params["To"]))
        if line is None:
            return prompts.not_in_service()
        # For when the database is down, under the number dialled.
        dispatcher.degraded.fallbacks.remember(line, phone.caller_id(params["To"]))
        now = dispatcher.clock.now()
        withheld = is_withheld(number)
        # Every withheld caller ID is kept under one hash (that of no number at all).
        hashed = caller_hash(settings.secret_key, "" if withheld else number)
        if not withheld and blocklist.is_blocked(session=session, caller_hash=hashed, now=now):
            blocklist.turn_away(
                session=session, line=line, call_sid=params["CallSid"], caller_hash=hashed, now=now
            )
            return prompts.blocked(line)
        closed = not lines.is_open(line, now)
        if closed and line.after_hours_action != "voicemail":
            return prompts.closed(line, prompts.line_language(line, None))
        call = calls.start_inbound(
            session=session,
            line=line,
            call_sid=params["CallSid"],
            caller_hash=hashed,
            now=now,
            caller_area=lines.caller_area(line, number),
            withheld=withheld,
            high_risk_history=not withheld
            and priority.has_open_high_risk_history(session=session, caller_hash=hashed, now=now),
        )
        if closed:  # a message after hours: the call is kept for it, but never queued
            calls.transition(
                session=session,
                call=call,
                to=CallState.overflow,
                expect=(CallState.ringing, CallState.ivr),
                now=now,
                detail="after hours",
            )
            voicemail_url = _url(request, "/twilio/voice/voicemail")
            return prompts.closed(line, prompts.line_language(line, None), voicemail_url)
        if not withheld:  # kept encrypted while the call may escalate (hotline/linkage/service.py)
            linkage.capture(
                session=session,
                call=call,
                number=number,
                location=linkage.location_of(params),
                now=now,
            )
        return prompts.welcome(
            line, _url(request, "/twilio/voice/gather"), _audio(request, session, line)
        )

    return _run(request, params, handle)


@router.post("/voice/gather")
def gather(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    require(params, "CallSid")
    effects = routing.Effects()

    def handle(session: Session) -> str:
        call = calls.get_by_sid(session=session, call_sid=params["CallSid"])
        if call is None:
            return prompts.not_in_service()
        line = session.get(Line, call.line_id)
        assert line is not None
        lang, in_danger = prompts.choice(line, values.keys(params.get("Digits")))
        if call.state in TERMINAL_STATES:
            # The hang-up's callback overtook this key press: keep the caller's choice.
            calls.choice_after_hang_up(
                session=session,
                call=call,
                language=lang,
                in_danger=in_danger,
                max_wait_s=line.max_queue_wait_s,
            )
            return prompts.goodbye(call.language or lang)
        if calls.enqueue(
            session=session,
            call=call,
            language=lang,
            in_danger=in_danger,
            max_wait_s=line.max_queue_wait_s,
            now=dispatcher.clock.now(),
        ):
            effects.kick = True
        lang = call.language or lang
        return prompts.queue(
            call_sid=call.call_sid,
            lang=lang,
            in_danger=call.in_danger,
            hold_url=_url(request, f"/twilio/voice/hold?lang={lang}"),
            conference_status_url=_url(request, "/twilio/conference/status"),
            after_url=_url(request, f"/twilio/voice/after?lang={lang}"),
            record=line.recording,
            recording_status_url=_url(request, "/twilio/recording/status"),
            consent=prompts.consent_prompt(line, lang),
        )

    response = _run(request, params, handle)
    dispatcher.apply(effects)
    return response


@router.post("/voice/hold")
def hold(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """Polled by Twilio while the caller waits. It only reads, so no receipt: Twilio polls with
    the same parameters each time, and a receipt would replay a stale place in the queue. Its
    own read-only session; if the database fails the caller still hears the default prompt."""
    lang = request.query_params.get("lang", "zh_CN")
    try:
        with dispatcher.db.session() as session:
            twiml = _hold(request, session, params.get("CallSid", ""), lang, dispatcher)
    except SQLAlchemyError:
        log.warning("hold prompt without the database", exc_info=True)
        twiml = prompts.hold(None, lang)
    return Response(twiml, media_type=TWIML)


def _hold(
    request: Request, session: Session, call_sid: str, lang: str, dispatcher: Dispatcher
) -> str:
    call = calls.get_by_sid(session=session, call_sid=call_sid) if call_sid else None
    line = session.get(Line, call.line_id) if call is not None else None
    if call is None or line is None:
        return prompts.hold(None, lang)
    said: list[str] = []
    # A caller whose counselor's leg dropped (?dropped=1) is told once, then waits as queued.
    dropped = request.query_params.get("dropped") == "1"
    if dropped:
        said.append(prompts.counselor_dropped(lang))
    # A connected caller put on hold by their counselor (?held=1) hears no place in the queue.
    if line.announce_position and request.query_params.get("held") != "1":
        assert line.id is not None
        position = line_prompts.queue_position(session=session, call=call)
        wait_s = line_prompts.expected_wait_s(
            session=session, line_id=line.id, now=dispatcher.clock.now()
        )
        said += prompts.announcement(lang, position, wait_s)
    again = _url(request, f"/twilio/voice/hold?lang={lang}") if dropped else None
    return prompts.hold(
        line, lang, audio=_audio(request, session, line), announcement=said, then=again
    )


@router.post("/voice/not-in-service")
def not_in_service(params: SignedForm) -> Response:
    """Where a number taken off its line, or of a deactivated line, is pointed
    (`TelephonyPort.release_number`): the caller hears it is not in service. No database."""
    return Response(prompts.not_in_service(), media_type=TWIML)


@router.post("/voice/after")
def after_conference(request: Request, params: SignedForm) -> Response:
    """The caller's conference ended while they are still on the line."""
    return Response(prompts.goodbye(request.query_params.get("lang", "zh_CN")), media_type=TWIML)


@router.post("/voice/overflow")
def overflow(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    require(params, "CallSid")

    def handle(session: Session) -> str:
        call = calls.get_by_sid(session=session, call_sid=params["CallSid"])
        line = session.get(Line, call.line_id) if call else None
        if call is None or line is None:
            return prompts.goodbye("zh_CN")
        return prompts.overflow(
            line,
            prompts.line_language(line, call.language),
            _url(request, "/twilio/voice/voicemail"),
            _url(request, "/twilio/voice/callback"),
        )

    return _run(request, params, handle)


@router.post("/voice/callback")
def callback_request(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """The "callback" overflow's key press: the callback key asks for a call back on the number
    the caller rang from (kept encrypted, in the voicemail queue, with the call's priority);
    anything else, or a withheld number, leaves a message instead."""
    require(params, "CallSid")
    number = phone.caller_id(params.get("From", ""))

    def handle(session: Session) -> str:
        call = calls.get_by_sid(session=session, call_sid=params["CallSid"])
        line = session.get(Line, call.line_id) if call else None
        if call is None or line is None:
            return prompts.goodbye("zh_CN")
        lang = prompts.line_language(line, call.language)
        pressed = values.keys(params.get("Digits")) == prompts.callback_key(line)
        if not pressed or is_withheld(number):
            return prompts.voicemail_prompt(lang, _url(request, "/twilio/voice/voicemail"))
        now = dispatcher.clock.now()
        assert call.id is not None
        calls.record_event(session=session, call_id=call.id, state="callback_requested", now=now)
        voicemails.callback_requested(session=session, call=call, number=number, now=now)
        return prompts.callback_requested(lang)

    return _run(request, params, handle)


@router.post("/voice/voicemail")
def voicemail(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """The <Record> action. The message's URL is kept only when it is this account's recording
    at Twilio's API (or the simulator): the audio proxy sends the account's credentials there."""
    require(params, "CallSid")
    _refuse_foreign_recording(request, params.get("RecordingUrl"))

    def handle(session: Session) -> str:
        call = calls.get_by_sid(session=session, call_sid=params["CallSid"])
        if call is None:
            return prompts.goodbye("zh_CN")
        if params.get("RecordingUrl"):
            now = dispatcher.clock.now()
            call.voicemail_url = params["RecordingUrl"]
            assert call.id is not None
            calls.record_event(session=session, call_id=call.id, state="voicemail", now=now)
            voicemails.received(
                session=session,
                call=call,
                duration_s=seconds(params.get("RecordingDuration")),
                now=now,
            )
        return prompts.goodbye(call.language or "zh_CN")

    return _run(request, params, handle)


def _refuse_foreign_recording(request: Request, url: str | None) -> None:
    """The same allow-list as the call recordings' callback (`hotline.review.api`)."""
    settings: Settings = request.app.state.settings
    if url and not review.recording_url_allowed(
        url, account_sid=settings.twilio_account_sid, sources=review.recording_sources(settings)
    ):
        log.warning(
            "voicemail callback refused: RecordingUrl on host %s is not an allowed recording",
            review.url_host(url),
        )
        raise HTTPException(status_code=400, detail="RecordingUrl is not an allowed recording")


@router.post("/voice/status")
def call_status(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """The caller's leg changed status; only its end matters to us."""
    require(params, "CallSid", "CallStatus")
    effects = routing.Effects()

    def handle(session: Session) -> str:
        call = calls.get_by_sid(session=session, call_sid=params["CallSid"])
        if call is not None and params["CallStatus"] in ENDED_LEG_STATUSES:
            escalations.caller_left(session=session, call=call, now=dispatcher.clock.now())
            effects.merge(
                routing.caller_left(
                    session=session,
                    call=call,
                    now=dispatcher.clock.now(),
                    reason=routing.caller_end_reason(params["CallStatus"]),
                )
            )
        return prompts.empty()

    response = _run(request, params, handle)
    dispatcher.apply(effects)
    return response


@router.post("/conference/status")
def conference_status(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    require(params, "StatusCallbackEvent", "FriendlyName")
    effects = routing.Effects()
    event = params["StatusCallbackEvent"]

    def handle(session: Session) -> str:
        # The conference is named after the caller's CallSid.
        call = calls.get_by_sid(session=session, call_sid=params["FriendlyName"])
        if call is None:
            return prompts.empty()
        now = dispatcher.clock.now()
        leg = params.get("CallSid", "")
        label = params.get("ParticipantLabel") or params.get("Label", "")
        # Another label (or a malformed one) is no participant of ours: the caller's leg, if any.
        role, user_id = values.participant(label) or ("", 0)
        if event == "participant-join" and role == "counselor":
            effects.merge(
                routing.counselor_joined(
                    session=session,
                    call=call,
                    user_id=user_id,
                    leg_sid=leg,
                    conference_sid=params.get("ConferenceSid"),
                    now=now,
                )
            )
        elif event == "participant-join" and role == "supervisor":
            board.monitor_joined(
                session=session,
                call=call,
                user_id=user_id,
                leg_sid=leg,
                now=now,
            )
        elif event == "participant-leave" and role == "supervisor":
            board.monitor_left(session=session, leg_sid=leg, now=now, reason="left")
        elif event == "participant-join" and role == "crisis":
            if not escalations.responder_joined(
                session=session, call=call, user_id=user_id, now=now
            ):
                # The caller had gone: never leave the responder alone in a fresh conference.
                effects.hang_up.append(leg)
                effects.end_conference.append(call.call_sid)
        elif event == "participant-join" and leg == call.call_sid:
            effects.merge(
                routing.caller_joined(
                    session=session, call=call, now=now, conference_sid=params.get("ConferenceSid")
                )
            )
        elif event == "participant-leave" and leg == call.call_sid:
            escalations.caller_left(session=session, call=call, now=now)
            effects.merge(
                routing.caller_left(
                    session=session, call=call, now=now, reason=routing.CALLER_HANGUP
                )
            )
        elif event == "participant-leave" and role == "counselor":
            # Only their own phone dropping counts: a leave because the conference ended
            # (the caller hung up) leaves the ending to the caller's own callbacks.
            if routing.left_on_their_own(params.get("ReasonParticipantLeft")):
                effects.merge(
                    routing.counselor_left(session=session, call=call, leg_sid=leg, now=now)
                )
                effects.kick = call.state == CallState.queued
        elif event == "conference-end" and call.state == CallState.connected:
            # A live call's conference ends only when its caller leaves (endConferenceOnExit):
            # the same end, whichever of the caller's callbacks comes first.
            effects.merge(
                routing.caller_left(
                    session=session, call=call, now=now, reason=routing.CALLER_HANGUP
                )
            )
        if event == "conference-end" and call.id is not None:
            board.call_ended(session=session, call_id=call.id, now=now)
            escalations.caller_left(session=session, call=call, now=now)
        return prompts.empty()

    response = _run(request, params, handle)
    dispatcher.apply(effects)
    return response


@router.post("/participant/status")
def participant_status(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """Call progress of a counselor's leg; a leg that never answered sends the caller back."""
    require(params, "CallSid", "CallStatus")
    call_id = values.as_id(request.query_params.get("call_id"))
    user_id = values.as_id(request.query_params.get("user_id"))
    if call_id is None or user_id is None:
        return Response(prompts.empty(), media_type=TWIML, status_code=400)

    effects = routing.Effects()

    def handle(session: Session) -> str:
        call = session.get(Call, call_id)
        # "canceled" is never the counselor's doing: we (or the conference's end) cancelled the
        # leg because the offer was already withdrawn or the caller left; those callbacks decide.
        if call is not None and params["CallStatus"] in {"busy", "failed", "no-answer"}:
            routing.counselor_leg_failed(
                session=session,
                call=call,
                user_id=user_id,
                now=dispatcher.clock.now(),
                status=params["CallStatus"],
            )
            effects.kick = True
        return prompts.empty()

    response = _run(request, params, handle)
    dispatcher.apply(effects)
    return response
