"""Escalation, the Twilio webhooks of paging: the paging call (its alert, its keypresses, its
delivery status) and SMS replies that acknowledge.

Like every webhook they are signed (`SignedForm`), answered once per distinct request
(`answer_webhook`, which owns the transaction: see `hotline.telephony.service`) and wrapped by
the guard (`hotline.telephony.guard`). Ending the other paging calls is phone-network work: it is
handed to the dispatcher after the transaction has committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response
from sqlmodel import Session
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline import phone
from hotline.auth.models import User
from hotline.calls.models import Call
from hotline.conversations import sms
from hotline.escalation import drills, paging
from hotline.escalation import service as escalations
from hotline.escalation.models import Escalation, Page, PolicyDrill
from hotline.i18n import TWILIO_SAY_LANGUAGE, Gettext, gettext_for
from hotline.lines.models import Line
from hotline.routing.engine import Dispatcher, DispatcherDep
from hotline.telephony.params import as_id
from hotline.telephony.service import answer_webhook
from hotline.telephony.signature import SignedForm, require

router = APIRouter(tags=["escalation"])
ACK_WORDS = {"1", "ack", "ok", "yes", "y", "收到", "确认", "好"}


def _page_context(session: Session, page_id: int) -> tuple[Page, User, Escalation, Line] | None:
    page = session.get(Page, page_id)
    if page is None or page.escalation_id is None:  # not a page of an escalation
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


def _end_paging_calls(dispatcher: Dispatcher, call_sids: list[str]) -> None:
    """After the commit: the paging calls stop ringing once someone has acknowledged."""
    for sid in call_sids:
        dispatcher.submit(dispatcher.end_paging_call, sid)


def _hang_up() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)


@dataclass
class Paged:
    """The paging call of one page: its person, escalation and line, and the answer being
    built, spoken in the person's language."""

    page: Page
    user: User
    escalation: Escalation
    line: Line
    gettext: Gettext
    language: str
    response: VoiceResponse

    def say(self, text: str) -> None:
        self.response.say(text, language=self.language)

    def end(self) -> str:
        """Hang up after what was said; the TwiML to answer with."""
        self.response.hangup()
        return str(self.response)


@dataclass
class Drilled:
    """The paging call of a drill's page: never an escalation, never a caller."""

    page: Page
    user: User
    drill: PolicyDrill
    gettext: Gettext
    language: str
    response: VoiceResponse

    def say(self, text: str) -> None:
        self.response.say(text, language=self.language)

    def end(self) -> str:
        self.response.hangup()
        return str(self.response)


def _drilled(session: Session, page_id: int) -> Drilled | None:
    page = session.get(Page, page_id)
    if page is None or page.drill_id is None:
        return None
    user = session.get(User, page.user_id)
    drill = session.get(PolicyDrill, page.drill_id)
    if user is None or drill is None:
        return None
    return Drilled(
        page=page,
        user=user,
        drill=drill,
        gettext=gettext_for(user.locale),
        language=TWILIO_SAY_LANGUAGE.get(user.locale, "cmn-CN"),
        response=VoiceResponse(),
    )


def _hang_up_drill(_session: Session, drilled: Drilled) -> str:
    return drilled.end()


def _answer_paging_call(
    request: Request,
    params: dict[str, str],
    dispatcher: Dispatcher,
    answer: Callable[[Session, Paged], str],
    drill_answer: Callable[[Session, Drilled], str] = _hang_up_drill,
) -> Response:
    """A webhook of the paging call, answered once (`answer_webhook`) by `answer`, or by
    `drill_answer` for a drill's page; a page that is not there (or a malformed page_id) just
    ends the call."""
    page_id = _page_id(request)

    def handle(session: Session) -> str:
        found = _page_context(session, page_id)
        if found is None:
            drilled = _drilled(session, page_id)
            return _hang_up() if drilled is None else drill_answer(session, drilled)
        page, user, escalation, line = found
        paged = Paged(
            page=page,
            user=user,
            escalation=escalation,
            line=line,
            gettext=gettext_for(user.locale),
            language=TWILIO_SAY_LANGUAGE.get(user.locale, "cmn-CN"),
            response=VoiceResponse(),
        )
        return answer(session, paged)

    return answer_webhook(request, params, handle, db=dispatcher.db, clock=dispatcher.clock)


@router.post("/twilio/page/voice")
def page_voice(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """The paging call was answered: speak the alert and take a keypress."""

    def answer(_session: Session, paged: Paged) -> str:
        gather = Gather(
            num_digits=1,
            timeout=10,
            method="POST",
            action=dispatcher.telephony.url(f"/twilio/page/keypress?page_id={paged.page.id}"),
        )
        text = paging.alert_text(
            level=paged.escalation.level,
            line_name=paged.line.name,
            locale=paged.user.locale,
            voice=True,
            repeat_of=paging.repeat_of(paged.page),
        )
        gather.say(text, language=paged.language)
        paged.response.append(gather)
        paged.say(text)
        return paged.end()

    def drill_answer(_session: Session, drilled: Drilled) -> str:
        gather = Gather(
            num_digits=1,
            timeout=10,
            method="POST",
            action=dispatcher.telephony.url(f"/twilio/page/keypress?page_id={drilled.page.id}"),
        )
        text = paging.drill_text(
            policy_name=drilled.drill.policy_name, locale=drilled.user.locale, voice=True
        )
        gather.say(text, language=drilled.language)
        drilled.response.append(gather)
        drilled.say(text)
        return drilled.end()

    return _answer_paging_call(request, params, dispatcher, answer, drill_answer)


@router.post("/twilio/page/keypress")
def page_keypress(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """The paged person pressed a key after the alert: 1 acknowledges (and offers to join)."""
    to_end: list[str] = []

    def answer(session: Session, paged: Paged) -> str:
        _ = paged.gettext
        if params.get("Digits") != paging.ACK_KEY:
            paged.say(_("Not acknowledged. The alert goes on to the next person."))
            return paged.end()
        escalation_id = paged.escalation.id or 0
        try:
            escalations.acknowledge(
                session=session,
                escalation_id=escalation_id,
                user=paged.user,
                now=dispatcher.clock.now(),
                channel="voice",
            )
        except escalations.EscalationError:
            paged.say(_("Someone else has already acknowledged this escalation."))
            return paged.end()
        to_end.extend(
            escalations.paging_calls_to_end(
                session=session, escalation_id=escalation_id, keep=params.get("CallSid")
            )
        )
        return _offer_join(session, paged, dispatcher)

    def drill_answer(session: Session, drilled: Drilled) -> str:
        _ = drilled.gettext
        if params.get("Digits") != paging.ACK_KEY:
            drilled.say(_("Not acknowledged. The drill goes on to the next person."))
            return drilled.end()
        drill_id = drilled.drill.id or 0
        drills.acknowledge(
            session=session,
            drill_id=drill_id,
            user=drilled.user,
            now=dispatcher.clock.now(),
            channel="voice",
        )
        to_end.extend(
            drills.calls_to_end(session=session, drill_id=drill_id, keep=params.get("CallSid"))
        )
        drilled.say(_("Drill acknowledged. Thank you: no caller is waiting."))
        return drilled.end()

    response = _answer_paging_call(request, params, dispatcher, answer, drill_answer)
    _end_paging_calls(dispatcher, to_end)
    return response


def _offer_join(session: Session, paged: Paged, dispatcher: Dispatcher) -> str:
    """Acknowledged on the paging call: join the caller from the phone, while they are there."""
    _ = paged.gettext
    call = session.get(Call, paged.escalation.call_id)
    if call is not None and call.is_text:  # no conference to join from a phone
        paged.say(_("Acknowledged. Open the console to join the conversation and write to them."))
        return paged.end()
    if call is None or escalations.caller_gone_at(session=session, call=call) is not None:
        paged.say(
            _(
                "Acknowledged. The caller has hung up: open the console to see how to call "
                "them back."
            )
        )
        return paged.end()
    gather = Gather(
        num_digits=1,
        timeout=10,
        method="POST",
        action=dispatcher.telephony.url(f"/twilio/page/join?page_id={paged.page.id}"),
    )
    gather.say(
        _("Acknowledged. Press 1 to join the caller now, or hang up and open the console."),
        language=paged.language,
    )
    paged.response.append(gather)
    paged.say(_("Acknowledged. Open the console to join the call."))
    return paged.end()


@router.post("/twilio/page/join")
def page_join(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """The responder pressed 1 after acknowledging: into the caller's conference, as a
    crisis-labelled participant (so the join is recorded), never starting one."""

    def answer(session: Session, paged: Paged) -> str:
        _ = paged.gettext
        if params.get("Digits") != paging.JOIN_KEY:
            paged.say(_("Acknowledged. Open the console to join the call."))
            return paged.end()
        try:
            _escalation, call = escalations.request_join(
                session=session,
                escalation_id=paged.escalation.id or 0,
                user=paged.user,
                now=dispatcher.clock.now(),
                channel="voice",
            )
        except escalations.EscalationError as error:
            paged.say(error.message(_))
            return paged.end()
        paged.say(_("Connecting you to the caller."))
        dial = paged.response.dial()
        dial.conference(
            call.call_sid,
            participant_label=f"crisis:{paged.user.id}",
            start_conference_on_enter=False,
            end_conference_on_exit=False,
            beep=False,
        )
        return paged.end()

    return _answer_paging_call(request, params, dispatcher, answer)


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
        drilled = _drilled(session, page_id) if found is None else None
        if drilled is not None and status in {"busy", "failed", "no-answer", "canceled"}:
            drills.log(
                session,
                drilled.drill,
                "page_unanswered",
                dispatcher.clock.now(),
                user_id=drilled.page.user_id,
                channel="voice",
                detail=status,
            )
        return str(VoiceResponse())

    return answer_webhook(request, params, handle, db=dispatcher.db, clock=dispatcher.clock)


@router.post("/twilio/sms/incoming")
def sms_incoming(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """An SMS to a line's number: a paged responder's reply acknowledges their page; anyone
    else's starts or continues a text conversation (`hotline.conversations.sms`)."""
    require(params, "From")
    to_end: list[str] = []
    stored: list[bool] = []

    def handle(session: Session) -> str:
        reply = MessagingResponse()
        found = escalations.open_page_for_number(
            session=session, number=phone.caller_id(params["From"])
        )
        if found is None:  # no real alert open for them: a drill's page, if any
            return _drill_reply(session, params, dispatcher, to_end, stored)
        page, user = found
        assert page.escalation_id is not None  # found through its escalation
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
                reply.message(_ack_reply(session, page.escalation_id, _))
            except escalations.EscalationError:
                reply.message(_("Someone else has already acknowledged this escalation."))
        else:
            reply.message(_("Reply 1 to acknowledge the crisis alert."))
        return str(reply)

    response = answer_webhook(request, params, handle, db=dispatcher.db, clock=dispatcher.clock)
    _end_paging_calls(dispatcher, to_end)
    if any(stored):  # committed: offer the conversation, send the line's welcome
        dispatcher.kick()
    return response


def _ack_reply(session: Session, escalation_id: int, _: Gettext) -> str:
    """What an SMS acknowledgement is told: join the call, or the text conversation, from the
    console."""
    escalation = session.get(Escalation, escalation_id)
    call = session.get(Call, escalation.call_id) if escalation else None
    if call is not None and call.is_text:
        return _("Acknowledged. Open the console to join the conversation and write to them.")
    return _("Acknowledged. Open the console to join the call.")


def _drill_reply(
    session: Session,
    params: dict[str, str],
    dispatcher: Dispatcher,
    to_end: list[str],
    stored: list[bool],
) -> str:
    """An SMS from someone with no open real page: it answers their drill's page, if any."""
    reply = MessagingResponse()
    found = drills.open_page_for_number(session=session, number=phone.caller_id(params["From"]))
    if found is None:  # not a responder: a person reaching out, a text conversation
        answer = sms.answer(
            session=session,
            params=params,
            settings=dispatcher.settings,
            now=dispatcher.clock.now(),
        )
        stored.append(answer.stored)
        return answer.twiml
    page, user = found
    _ = gettext_for(user.locale)
    if params.get("Body", "").strip().lower() not in ACK_WORDS:
        reply.message(_("Reply 1 to acknowledge the drill."))
        return str(reply)
    assert page.drill_id is not None
    drills.acknowledge(
        session=session,
        drill_id=page.drill_id,
        user=user,
        now=dispatcher.clock.now(),
        channel="sms",
    )
    to_end.extend(drills.calls_to_end(session=session, drill_id=page.drill_id))
    reply.message(_("Drill acknowledged. Thank you: no caller is waiting."))
    return str(reply)
