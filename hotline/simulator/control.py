"""The simulator's control API and its browser page.

These endpoints let whoever holds the control token (``X-Simulator-Token`` header, a 401
without it) place calls, press keys, answer phones and read every transcript. They exist for the
demo, the tests and the load benchmark; the whole simulator answers loopback peers only, and
hotline mounts it only in simulator mode, which production refuses. The page itself carries no
call data: its script reads the token from the URL fragment (``/sim/#token=...``, never sent
to the server nor logged) and sends it with each request.

JSON endpoints under ``{root}/control/``:

- ``POST calls`` {from, to, digits?} place an inbound call; ``GET calls`` list
  (filters: status, direction, to, from, active=1); ``GET calls/{sid}`` one, with its transcript;
  ``POST calls/{sid}/digits`` {digits}; ``POST calls/{sid}/hangup``; ``POST calls/{sid}/answer``
- ``POST phones`` {number, mode, answer_delay_s?}; ``GET phones`` (settings and ringing legs)
- ``GET numbers``; ``POST numbers`` {number, voice_url, voice_method?, status_callback?,
  sms_url?} (the same as the REST IncomingPhoneNumbers create)
- ``GET conferences``; ``GET conferences/{sid or friendly name}`` (each participant with
  ``hears`` and ``heard_by``: the CallSids it hears and that hear it, by Twilio's muted,
  coaching and hold rules)
- ``GET messages``; ``POST messages`` {from, to, body} (an SMS arrives at one of the numbers)
- ``GET recordings`` (finished recordings: conferences recorded from start, voicemails; the
  media itself is under the REST API, with the account's credentials, as on Twilio)
- ``POST reset`` {numbers?} stop every call and forget them
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field

from hotline.i18n import gettext_for, negotiate, normalize
from hotline.simulator.engine import Simulator, SimulatorError
from hotline.simulator.world import (
    PHONE_MODES,
    Call,
    Conference,
    Message,
    Number,
    Participant,
    PhoneMode,
    Recording,
    iso,
    new_sid,
    utcnow,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"
DOMAIN = "simulator"
TOKEN_HEADER = "X-Simulator-Token"


class PlaceCall(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    digits: str = ""


class Digits(BaseModel):
    digits: str = Field(min_length=1, pattern=r"^[0-9*#w]+$")


class PhoneSetting(BaseModel):
    number: str = Field(min_length=1)
    mode: PhoneMode = "auto"
    answer_delay_s: float = Field(default=0.0, ge=0)


class NumberRegistration(BaseModel):
    number: str = Field(min_length=1)
    voice_url: str = Field(min_length=1)
    voice_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    sms_url: str | None = None


class InboundMessage(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    body: str


class Reset(BaseModel):
    numbers: bool = False


def call_view(sim: Simulator, call: Call, *, transcript: bool = True) -> dict[str, Any]:
    participant = sim.conferences.participant_of(call)
    view: dict[str, Any] = {
        "sid": call.sid,
        "status": call.status,
        "direction": call.direction,
        "from": call.from_,
        "to": call.to,
        "parent_call_sid": call.parent_call_sid,
        "children": list(call.children),
        "conference": call.conference_name,
        "conference_sid": call.conference_sid,
        "in_conference": bool(participant and participant.present),
        "participant_status": participant.status if participant else None,
        "answered": call.answered,
        "created_at": iso(call.created_at),
        "start_time": iso(call.start_time),
        "end_time": iso(call.end_time),
        "duration": call.duration,
        "digits_pending": call.digits,
    }
    if transcript:
        view["transcript"] = [entry.as_dict() for entry in call.transcript]
    return view


def participant_view(
    participant: Participant, hears: list[str], heard_by: list[str]
) -> dict[str, Any]:
    return {
        "call_sid": participant.call_sid,
        "label": participant.label,
        "status": participant.status,
        "muted": participant.muted,
        "hold": participant.hold,
        "hold_url": participant.hold_url,
        "coaching": participant.coaching,
        "call_sid_to_coach": participant.call_sid_to_coach,
        "start_conference_on_enter": participant.start_conference_on_enter,
        "end_conference_on_exit": participant.end_conference_on_exit,
        # Who this participant hears, and who hears them, now (CallSids).
        "hears": hears,
        "heard_by": heard_by,
    }


def conference_view(sim: Simulator, conference: Conference) -> dict[str, Any]:
    return {
        "sid": conference.sid,
        "friendly_name": conference.friendly_name,
        "status": conference.status,
        "created_at": iso(conference.created_at),
        "reason_ended": conference.reason_ended,
        "call_sid_ending": conference.call_sid_ending,
        "participants": [
            participant_view(
                p,
                sim.conferences.hears(conference, p),
                sim.conferences.heard_by(conference, p),
            )
            for p in conference.participants.values()
        ],
        "events": list(conference.events),
    }


def number_view(number: Number) -> dict[str, Any]:
    return {
        "sid": number.sid,
        "number": number.phone_number,
        "friendly_name": number.friendly_name,
        "voice_url": number.voice_url,
        "voice_method": number.voice_method,
        "voice_fallback_url": number.voice_fallback_url,
        "voice_fallback_method": number.voice_fallback_method,
        "status_callback": number.status_callback,
        "sms_url": number.sms_url,
    }


def message_view(message: Message) -> dict[str, Any]:
    return {
        "sid": message.sid,
        "from": message.from_,
        "to": message.to,
        "body": message.body,
        "direction": message.direction,
        "status": message.status,
        "created_at": iso(message.created_at),
    }


def recording_view(sim: Simulator, recording: Recording) -> dict[str, Any]:
    return {
        "sid": recording.sid,
        "source": recording.source,
        "status": recording.status,
        "conference_sid": recording.conference_sid,
        "call_sid": recording.call_sid,
        "duration": recording.duration,
        "start_time": iso(recording.start_time),
        "url": sim.recording_url(recording),
    }


def page_strings(_: Any) -> dict[str, str]:
    """Strings the page's script shows, translated on the server."""
    return {
        "dialing": _("Dialing..."),
        "no_call": _("No call yet."),
        "call_over": _("The call is over."),
        "no_ringing": _("No phone is ringing."),
        "answer": _("Answer"),
        "decline": _("Decline"),
        "hang_up": _("Hang up"),
        "error": _("Something went wrong: "),
        "status": _("Status"),
        "conference": _("Conference"),
        "kind_say": _("Says"),
        "kind_play": _("Plays"),
        "kind_pause": _("Pause"),
        "kind_gather": _("Waits for keys"),
        "kind_digits": _("Keys"),
        "kind_dial": _("Dials"),
        "kind_conference": _("Conference"),
        "kind_status": _("Status"),
        "kind_webhook": _("Webhook"),
        "kind_error": _("Error"),
        "kind_record": _("Records"),
        "kind_hangup": _("Call ended"),
        "status_queued": _("Queued"),
        "status_ringing": _("Ringing"),
        "status_in-progress": _("In progress"),
        "status_completed": _("Completed"),
        "status_busy": _("Busy"),
        "status_failed": _("Failed"),
        "status_no-answer": _("No answer"),
        "status_canceled": _("Canceled"),
        "mode_auto": _("Answers by itself"),
        "mode_manual": _("Rings until answered here"),
        "mode_busy": _("Busy"),
        "mode_fail": _("Fails"),
        "mode_no-answer": _("Never answers"),
    }


def control_router(sim: Simulator) -> APIRouter:
    world = sim.world
    config = sim.config
    templates = Jinja2Templates(
        env=jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
            autoescape=jinja2.select_autoescape(default=True),
        )
    )
    router = APIRouter()

    def require_token(request: Request) -> None:
        given = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), config.control_token.encode()):
            raise HTTPException(status_code=401, detail=f"{TOKEN_HEADER} header required")

    control = APIRouter(prefix="/control", dependencies=[Depends(require_token)])

    # ------------------------------------------------------------------ page

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request) -> HTMLResponse:
        lang = request.query_params.get("lang")
        locale = normalize(lang) if lang else negotiate(request.headers.get("accept-language"))
        _ = gettext_for(locale, DOMAIN)
        numbers = sorted(world.numbers.values(), key=lambda n: n.phone_number)
        settings = {
            "root": config.root_path,
            "lang": locale,
            "strings": page_strings(_),
        }
        return templates.TemplateResponse(
            request,
            "simulator.html",
            {
                "_": _,
                "lang": locale,
                "root": config.root_path,
                "numbers": [number_view(n) for n in numbers],
                "settings": settings,
                "modes": PHONE_MODES,
            },
        )

    # ------------------------------------------------------------------ calls

    @control.post("/calls", status_code=201)
    async def place_call(body: PlaceCall) -> dict[str, Any]:
        call = sim.place_inbound(body.from_, body.to, body.digits)
        return call_view(sim, call)

    @control.get("/calls")
    async def list_calls(request: Request) -> list[dict[str, Any]]:
        query = request.query_params
        calls = list(world.calls.values())
        getters: list[tuple[str, Callable[[Call], str]]] = [
            ("status", lambda c: c.status),
            ("direction", lambda c: c.direction),
            ("to", lambda c: c.to),
            ("from", lambda c: c.from_),
        ]
        for param, getter in getters:
            if query.get(param):
                calls = [c for c in calls if getter(c) == query[param]]
        if query.get("active") in ("1", "true"):
            calls = [c for c in calls if not c.is_over]
        with_transcript = query.get("transcript") in ("1", "true")
        return [call_view(sim, c, transcript=with_transcript) for c in calls]

    @control.get("/calls/{sid}")
    async def get_call(sid: str) -> dict[str, Any]:
        return call_view(sim, sim.call(sid))

    @control.post("/calls/{sid}/digits")
    async def press(sid: str, body: Digits) -> dict[str, Any]:
        call = sim.call(sid)
        sim.press(call, body.digits.replace("w", ""))
        return call_view(sim, call, transcript=False)

    @control.post("/calls/{sid}/hangup")
    async def hang_up(sid: str) -> dict[str, Any]:
        call = sim.call(sid)
        sim.hang_up(call)
        return call_view(sim, call, transcript=False)

    @control.post("/calls/{sid}/answer")
    async def answer(sid: str) -> dict[str, Any]:
        call = sim.call(sid)
        sim.answer(call)
        return call_view(sim, call, transcript=False)

    # ------------------------------------------------------------------ phones

    @control.post("/phones")
    async def set_phone(body: PhoneSetting) -> dict[str, Any]:
        sim.set_phone(body.number, body.mode, body.answer_delay_s)
        phone = world.phone(body.number)
        return {"number": phone.number, "mode": phone.mode, "answer_delay_s": phone.answer_delay_s}

    @control.get("/phones")
    async def phones() -> dict[str, Any]:
        legs = [c for c in world.calls.values() if c.direction != "inbound" and not c.is_over]
        return {
            "phones": [
                {"number": p.number, "mode": p.mode, "answer_delay_s": p.answer_delay_s}
                for p in world.phones.values()
            ],
            "ringing": [call_view(sim, c, transcript=False) for c in legs if c.status == "ringing"],
            "connected": [call_view(sim, c, transcript=False) for c in legs if c.answered],
        }

    # ------------------------------------------------------------------ numbers

    @control.get("/numbers")
    async def numbers() -> list[dict[str, Any]]:
        return [number_view(n) for n in world.numbers.values()]

    @control.post("/numbers", status_code=201)
    async def register_number(body: NumberRegistration) -> dict[str, Any]:
        number = world.number_by_phone(body.number)
        if number is None:
            number = Number(sid=new_sid("PN"), phone_number=body.number, friendly_name=body.number)
            world.numbers[number.sid] = number
        number.voice_url = body.voice_url
        number.voice_method = body.voice_method
        number.status_callback = body.status_callback
        number.status_callback_method = body.status_callback_method
        number.sms_url = body.sms_url
        number.updated_at = utcnow()
        return number_view(number)

    # ------------------------------------------------------------------ conferences

    @control.get("/conferences")
    async def conferences() -> list[dict[str, Any]]:
        return [conference_view(sim, c) for c in world.conferences.values()]

    @control.get("/conferences/{sid_or_name}")
    async def conference(sid_or_name: str) -> dict[str, Any]:
        found = world.conference(sid_or_name)
        if found is None:
            raise SimulatorError(f"conference {sid_or_name} not found", status=404, code=20404)
        return conference_view(sim, found)

    # ------------------------------------------------------------------ messages

    @control.get("/messages")
    async def messages() -> list[dict[str, Any]]:
        return [message_view(m) for m in world.messages.values()]

    @control.post("/messages", status_code=201)
    async def receive_message(body: InboundMessage) -> dict[str, Any]:
        message = await sim.receive_message(from_=body.from_, to=body.to, body=body.body)
        return message_view(message)

    # ------------------------------------------------------------------ recordings

    @control.get("/recordings")
    async def recordings() -> list[dict[str, Any]]:
        return [recording_view(sim, r) for r in world.recordings.values()]

    # ------------------------------------------------------------------ reset

    @control.post("/reset")
    async def reset(body: Reset | None = None) -> dict[str, str]:
        await sim.reset(numbers=bool(body and body.numbers))
        return {"status": "ok"}

    router.include_router(control)
    return router
