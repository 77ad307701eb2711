"""The subset of Twilio's 2010-04-01 REST API that hotline uses, shaped for the twilio library.

Point the library at it with ``client.api.base_url = config.public_url`` (``Client.api`` is the
``api.twilio.com`` domain; every ``client.calls``, ``client.conferences``,
``client.incoming_phone_numbers``, ``client.messages`` and ``client.recordings`` request goes
through it). Requests need HTTP Basic auth with the account SID and auth token, recordings'
media too (``Recordings/RE....wav``, ``.mp3``, or no extension for WAV; as a Twilio account with
"enforce HTTP auth on media URLs" has it), and the media answers a byte ``Range`` so a player
can seek. Errors use Twilio's JSON error body ``{code, message, more_info, status}`` so the
library raises ``TwilioRestException``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData

from hotline.simulator import audio
from hotline.simulator.conferences import DEFAULT_EVENTS, JoinSettings
from hotline.simulator.engine import Simulator, SimulatorError
from hotline.simulator.params import API_VERSION
from hotline.simulator.world import (
    MAX_MESSAGE_CHARS,
    Call,
    Callback,
    Conference,
    Fetch,
    Message,
    Number,
    Participant,
    Recording,
    new_sid,
    rfc2822,
    segments,
    utcnow,
)

PREFIX = "/2010-04-01/Accounts/{account_sid}"
BYTE_RANGE = re.compile(r"bytes=(\d*)-(\d*)", re.IGNORECASE)


def twilio_error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status_code=status,
        headers={"WWW-Authenticate": 'Basic realm="Twilio API"'} if status == 401 else None,
    )


def _flag(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    return value.strip().lower() == "true"


def _events(values: list[str]) -> list[str]:
    """Multi-valued event lists arrive as repeated keys or as one space-separated value."""
    return [word for value in values for word in value.replace(",", " ").split()]


def _required(form: FormData, name: str, code: int) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value:
        raise SimulatorError(f"Required parameter {name} missing.", code=code)
    return value


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


class Resources:
    """Twilio JSON representations of the world's records."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.account = sim.config.account_sid
        self.base = f"/2010-04-01/Accounts/{self.account}"

    def call(self, call: Call) -> dict[str, Any]:
        uri = f"{self.base}/Calls/{call.sid}"
        return {
            "account_sid": call.account_sid,
            "annotation": None,
            "answered_by": None,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": rfc2822(call.created_at),
            "date_updated": rfc2822(call.updated_at),
            "direction": call.direction,
            "duration": str(call.duration) if call.is_over else None,
            "end_time": rfc2822(call.end_time),
            "forwarded_from": None,
            "from": call.from_,
            "from_formatted": call.from_,
            "group_sid": None,
            "parent_call_sid": call.parent_call_sid,
            "phone_number_sid": call.phone_number_sid,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": call.sid,
            "start_time": rfc2822(call.start_time),
            "status": call.status,
            "subresource_uris": {
                "notifications": f"{uri}/Notifications.json",
                "recordings": f"{uri}/Recordings.json",
            },
            "to": call.to,
            "to_formatted": call.to,
            "trunk_sid": None,
            "uri": f"{uri}.json",
        }

    def conference(self, conference: Conference) -> dict[str, Any]:
        uri = f"{self.base}/Conferences/{conference.sid}"
        return {
            "account_sid": conference.account_sid,
            "api_version": API_VERSION,
            "call_sid_ending_conference": conference.call_sid_ending,
            "date_created": rfc2822(conference.created_at),
            "date_updated": rfc2822(conference.updated_at),
            "friendly_name": conference.friendly_name,
            "reason_conference_ended": conference.reason_ended,
            "region": "us1",
            "sid": conference.sid,
            "status": conference.status,
            "subresource_uris": {
                "participants": f"{uri}/Participants.json",
                "recordings": f"{uri}/Recordings.json",
            },
            "uri": f"{uri}.json",
        }

    def participant(self, participant: Participant) -> dict[str, Any]:
        return {
            "account_sid": participant.account_sid,
            "call_sid": participant.call_sid,
            "call_sid_to_coach": participant.call_sid_to_coach,
            "coaching": participant.coaching,
            "conference_sid": participant.conference_sid,
            "date_created": rfc2822(participant.created_at),
            "date_updated": rfc2822(participant.updated_at),
            "end_conference_on_exit": participant.end_conference_on_exit,
            "hold": participant.hold,
            "label": participant.label,
            "muted": participant.muted,
            "queue_time": None,
            "start_conference_on_enter": participant.start_conference_on_enter,
            "status": participant.status,
            "uri": f"{self.base}/Conferences/{participant.conference_sid}/Participants/"
            f"{participant.call_sid}.json",
        }

    def number(self, number: Number) -> dict[str, Any]:
        return {
            "account_sid": self.account,
            "address_requirements": "none",
            "address_sid": None,
            "api_version": API_VERSION,
            "beta": False,
            "bundle_sid": None,
            "capabilities": {"fax": False, "mms": False, "sms": True, "voice": True},
            "date_created": rfc2822(number.created_at),
            "date_updated": rfc2822(number.updated_at),
            "emergency_address_sid": None,
            "emergency_address_status": "unregistered",
            "emergency_status": "Inactive",
            "friendly_name": number.friendly_name,
            "identity_sid": None,
            "origin": "twilio",
            "phone_number": number.phone_number,
            "sid": number.sid,
            "sms_application_sid": None,
            "sms_fallback_method": "POST",
            "sms_fallback_url": "",
            "sms_method": number.sms_method,
            "sms_url": number.sms_url or "",
            "status": "in-use",
            "status_callback": number.status_callback or "",
            "status_callback_method": number.status_callback_method,
            "trunk_sid": None,
            "uri": f"{self.base}/IncomingPhoneNumbers/{number.sid}.json",
            "voice_application_sid": None,
            "voice_caller_id_lookup": False,
            "voice_fallback_method": number.voice_fallback_method,
            "voice_fallback_url": number.voice_fallback_url,
            "voice_method": number.voice_method,
            "voice_receive_mode": "voice",
            "voice_url": number.voice_url,
        }

    def message(self, message: Message) -> dict[str, Any]:
        return {
            "account_sid": message.account_sid,
            "api_version": API_VERSION,
            "body": message.body,
            "date_created": rfc2822(message.created_at),
            "date_sent": rfc2822(message.sent_at),
            "date_updated": rfc2822(message.updated_at),
            "direction": message.direction,
            "error_code": None,
            "error_message": None,
            "from": message.from_,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": str(segments(message.body)),
            "price": None,
            "price_unit": "USD",
            "sid": message.sid,
            "status": message.status,
            "subresource_uris": {"media": f"{self.base}/Messages/{message.sid}/Media.json"},
            "uri": f"{self.base}/Messages/{message.sid}.json",
        }

    def recording(self, recording: Recording) -> dict[str, Any]:
        uri = f"{self.base}/Recordings/{recording.sid}"
        return {
            "account_sid": recording.account_sid,
            "api_version": API_VERSION,
            "call_sid": recording.call_sid,
            "channels": recording.channels,
            "conference_sid": recording.conference_sid,
            "date_created": rfc2822(recording.created_at),
            "date_updated": rfc2822(recording.created_at),
            "duration": str(recording.duration),
            "error_code": None,
            "media_url": self.sim.recording_url(recording),
            "price": None,
            "price_unit": "USD",
            "sid": recording.sid,
            "source": recording.source,
            "start_time": rfc2822(recording.start_time),
            "status": recording.status,
            "uri": f"{uri}.json",
        }


def media(body: bytes, media_type: str, range_header: str | None) -> Response:
    """A recording's media, or the one byte range asked for (206), so a player can seek, as
    Twilio's media URLs allow. A header this cannot use (malformed, several ranges) is ignored
    and the whole file sent, as HTTP lets a server do; a range past the end gets 416."""
    size = len(body)
    whole = Response(body, media_type=media_type, headers={"Accept-Ranges": "bytes"})
    matched = BYTE_RANGE.fullmatch((range_header or "").strip())
    if matched is None or matched.groups() == ("", ""):
        return whole
    first, last = matched.groups()
    if first:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
        if last and int(last) < start:
            return whole  # an invalid range: ignored
        satisfiable = start < size
    else:  # "-n": the last n bytes
        start, end = max(size - int(last), 0), size - 1
        satisfiable = int(last) > 0 and size > 0
    if not satisfiable:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    return Response(
        body[start : end + 1],
        status_code=206,
        media_type=media_type,
        headers={"Accept-Ranges": "bytes", "Content-Range": f"bytes {start}-{end}/{size}"},
    )


def page(request: Request, key: str, records: list[dict[str, Any]], path: str) -> JSONResponse:
    """One page of a list resource, with Twilio's paging fields."""
    query = request.query_params
    try:
        size = max(1, min(1000, int(query.get("PageSize", "50"))))
        number = max(0, int(query.get("Page", "0")))
    except ValueError:
        size, number = 50, 0
    filters = [(k, v) for k, v in query.multi_items() if k not in ("Page", "PageSize", "PageToken")]

    def uri(n: int) -> str:
        return f"{path}?{urlencode([*filters, ('PageSize', size), ('Page', n)])}"

    start = number * size
    chunk = records[start : start + size]
    return JSONResponse(
        {
            key: chunk,
            "end": start + max(len(chunk) - 1, 0),
            "first_page_uri": uri(0),
            "next_page_uri": uri(number + 1) if start + size < len(records) else None,
            "page": number,
            "page_size": size,
            "previous_page_uri": uri(number - 1) if number > 0 else None,
            "start": start,
            "uri": uri(number),
        }
    )


def rest_router(sim: Simulator) -> APIRouter:
    config = sim.config
    world = sim.world
    shapes = Resources(sim)

    def authenticate(request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user, password = "", ""
        valid = (
            scheme.lower() == "basic"
            and hmac.compare_digest(user.encode(), config.account_sid.encode())
            and hmac.compare_digest(password.encode(), config.auth_token.encode())
        )
        if not valid:
            raise SimulatorError("Authenticate", code=20003, status=401)
        if request.path_params.get("account_sid") != config.account_sid:
            raise SimulatorError("The requested resource was not found", code=20404, status=404)

    router = APIRouter(prefix=PREFIX, dependencies=[Depends(authenticate)])

    def not_found(what: str) -> SimulatorError:
        return SimulatorError(
            f"The requested resource {what} was not found", code=20404, status=404
        )

    def find_call(sid: str) -> Call:
        call = world.calls.get(sid)
        if call is None:
            raise not_found(f"/Calls/{sid}.json")
        return call

    def find_conference(sid_or_name: str) -> Conference:
        conference = world.conference(sid_or_name)
        if conference is None:
            raise not_found(f"/Conferences/{sid_or_name}.json")
        return conference

    def find_participant(conference: Conference, call_sid_or_label: str) -> Participant:
        participant = sim.conferences.find_participant(conference, call_sid_or_label)
        if participant is None:
            raise not_found(f"/Participants/{call_sid_or_label}.json")
        return participant

    def callback(
        form: FormData,
        prefix: str,
        default_events: frozenset[str],
        always: frozenset[str] = frozenset(),
    ) -> Callback | None:
        url = _text(form, f"{prefix}StatusCallback")
        if not url:
            return None
        events = _events(
            [v for v in form.getlist(f"{prefix}StatusCallbackEvent") if isinstance(v, str)]
        )
        return Callback(
            url,
            _text(form, f"{prefix}StatusCallbackMethod") or "POST",
            (frozenset(events) if events else default_events) | always,
        )

    def filtered(
        records: list[Any], request: Request, fields: dict[str, Callable[[Any], str | None]]
    ) -> list[Any]:
        for param, getter in fields.items():
            wanted = request.query_params.get(param)
            if wanted:
                records = [r for r in records if getter(r) == wanted]
        return records

    # ------------------------------------------------------------------ IncomingPhoneNumbers

    def update_number(number: Number, form: FormData) -> None:
        for param, attribute in (
            ("VoiceUrl", "voice_url"),
            ("VoiceMethod", "voice_method"),
            ("VoiceFallbackUrl", "voice_fallback_url"),
            ("VoiceFallbackMethod", "voice_fallback_method"),
            ("StatusCallback", "status_callback"),
            ("StatusCallbackMethod", "status_callback_method"),
            ("SmsUrl", "sms_url"),
            ("SmsMethod", "sms_method"),
            ("FriendlyName", "friendly_name"),
        ):
            value = _text(form, param)
            if value is not None:
                setattr(number, attribute, value)
        number.updated_at = utcnow()

    @router.post("/IncomingPhoneNumbers.json")
    async def create_number(request: Request) -> JSONResponse:
        form = await request.form()
        phone_number = _required(form, "PhoneNumber", 21421)
        number = world.number_by_phone(phone_number)
        created = number is None
        if number is None:
            number = Number(
                sid=new_sid("PN"), phone_number=phone_number, friendly_name=phone_number
            )
            world.numbers[number.sid] = number
        update_number(number, form)
        return JSONResponse(shapes.number(number), status_code=201 if created else 200)

    @router.get("/IncomingPhoneNumbers.json")
    async def list_numbers(request: Request) -> JSONResponse:
        records = filtered(
            list(world.numbers.values()),
            request,
            {
                "PhoneNumber": lambda n: n.phone_number,
                "FriendlyName": lambda n: n.friendly_name,
            },
        )
        return page(
            request,
            "incoming_phone_numbers",
            [shapes.number(n) for n in records],
            f"{shapes.base}/IncomingPhoneNumbers.json",
        )

    def find_number(sid: str) -> Number:
        number = world.numbers.get(sid)
        if number is None:
            raise not_found(f"/IncomingPhoneNumbers/{sid}.json")
        return number

    @router.get("/IncomingPhoneNumbers/{sid}.json")
    async def get_number(sid: str) -> JSONResponse:
        return JSONResponse(shapes.number(find_number(sid)))

    @router.post("/IncomingPhoneNumbers/{sid}.json")
    async def update_number_route(sid: str, request: Request) -> JSONResponse:
        number = find_number(sid)
        update_number(number, await request.form())
        return JSONResponse(shapes.number(number))

    @router.delete("/IncomingPhoneNumbers/{sid}.json")
    async def delete_number(sid: str) -> Response:
        world.numbers.pop(find_number(sid).sid)
        return Response(status_code=204)

    # ------------------------------------------------------------------ Calls

    @router.post("/Calls.json")
    async def create_call(request: Request) -> JSONResponse:
        form = await request.form()
        to = _required(form, "To", 21201)
        from_ = _required(form, "From", 21213)
        url, twiml = _text(form, "Url"), _text(form, "Twiml")
        if not url and not twiml:
            raise SimulatorError("Either Url, Twiml or ApplicationSid is required.", code=21205)
        first = Fetch(url, (_text(form, "Method") or "POST").upper(), twiml=twiml or None)
        try:
            timeout = float(_text(form, "Timeout") or 60)
        except ValueError:
            timeout = 60.0
        call = sim.create_call(
            to=to,
            from_=from_,
            first=first,
            status_callback=callback(form, "", frozenset({"completed"}), frozenset({"completed"})),
            timeout_s=timeout,
        )
        return JSONResponse(shapes.call(call), status_code=201)

    @router.get("/Calls.json")
    async def list_calls(request: Request) -> JSONResponse:
        records = filtered(
            list(reversed(world.calls.values())),
            request,
            {
                "To": lambda c: c.to,
                "From": lambda c: c.from_,
                "Status": lambda c: c.status,
                "ParentCallSid": lambda c: c.parent_call_sid,
            },
        )
        return page(
            request, "calls", [shapes.call(c) for c in records], f"{shapes.base}/Calls.json"
        )

    @router.get("/Calls/{sid}.json")
    async def get_call(sid: str) -> JSONResponse:
        return JSONResponse(shapes.call(find_call(sid)))

    @router.post("/Calls/{sid}.json")
    async def update_call(sid: str, request: Request) -> JSONResponse:
        call = find_call(sid)
        form = await request.form()
        status = _text(form, "Status")
        url, twiml = _text(form, "Url"), _text(form, "Twiml")
        if status in ("completed", "canceled"):
            if status == "canceled" and call.answered:
                # Twilio: canceling only affects queued or ringing calls.
                return JSONResponse(shapes.call(call))
            sim.record(call, "status", f"api:{status}")
            sim.end_call(call, "completed" if call.answered else "canceled")
        elif status:
            raise SimulatorError(f"Invalid Status {status}", code=20001)
        elif url or twiml:
            method = (_text(form, "Method") or "POST").upper()
            await sim.redirect(call, Fetch(url, method, twiml=twiml or None))
        new_callback = callback(form, "", frozenset({"completed"}), frozenset({"completed"}))
        if new_callback is not None:
            call.status_callback = new_callback
        return JSONResponse(shapes.call(call))

    @router.delete("/Calls/{sid}.json")
    async def delete_call(sid: str) -> Response:
        call = find_call(sid)
        if not call.is_over:
            raise SimulatorError("Cannot delete a call in progress", code=20009)
        world.calls.pop(sid, None)
        return Response(status_code=204)

    # ------------------------------------------------------------------ Conferences

    @router.get("/Conferences.json")
    async def list_conferences(request: Request) -> JSONResponse:
        records = filtered(
            list(reversed(world.conferences.values())),
            request,
            {
                "FriendlyName": lambda c: c.friendly_name,
                "Status": lambda c: c.status,
            },
        )
        return page(
            request,
            "conferences",
            [shapes.conference(c) for c in records],
            f"{shapes.base}/Conferences.json",
        )

    @router.get("/Conferences/{sid}.json")
    async def get_conference(sid: str) -> JSONResponse:
        return JSONResponse(shapes.conference(find_conference(sid)))

    @router.post("/Conferences/{sid}.json")
    async def update_conference(sid: str, request: Request) -> JSONResponse:
        conference = find_conference(sid)
        form = await request.form()
        status = _text(form, "Status")
        if status == "completed":
            sim.conferences.end(conference, "conference-ended-via-api", None)
        elif status:
            raise SimulatorError(f"Invalid Status {status}", code=20001)
        return JSONResponse(shapes.conference(conference))

    # ------------------------------------------------------------------ Participants

    def check_coaching(room: Conference, coaching: bool, coach: str | None) -> None:
        """A coach needs the CallSid it coaches, and that call must be in the conference."""
        if not coaching:
            return
        if coach is None:
            raise SimulatorError("CallSidToCoach is required when Coaching is true.", code=21220)
        coached = room.participants.get(coach)
        if coached is None or not coached.present:
            raise SimulatorError(
                "The participant to be whispered is not present in the conference.", code=16028
            )

    @router.post("/Conferences/{conference}/Participants.json")
    async def create_participant(conference: str, request: Request) -> JSONResponse:
        form = await request.form()
        from_ = _required(form, "From", 21213)
        to = _required(form, "To", 21201)
        if conference in world.conferences:
            room = world.conferences[conference]
            if room.status == "completed":
                raise SimulatorError("Conference is completed", code=16099)
        else:
            room = sim.conferences.open(conference, callback(form, "Conference", DEFAULT_EVENTS))
        wait_url = _text(form, "WaitUrl")
        coach = _text(form, "CallSidToCoach") or None
        # Twilio: Coaching defaults to true when CallSidToCoach is given; true needs one.
        coaching = _flag(_text(form, "Coaching"))
        coaching = coach is not None if coaching is None else coaching
        check_coaching(room, coaching, coach)
        settings = JoinSettings(
            label=_text(form, "Label") or None,
            muted=bool(_flag(_text(form, "Muted"))),
            coaching=coaching,
            call_sid_to_coach=coach,
            start_conference_on_enter=_flag(_text(form, "StartConferenceOnEnter")) is not False,
            end_conference_on_exit=bool(_flag(_text(form, "EndConferenceOnExit"))),
            beep=_text(form, "Beep") or "true",
            wait_url=wait_url,
            wait_method=(_text(form, "WaitMethod") or "POST").upper(),
        )
        try:
            timeout = float(_text(form, "Timeout") or 60)
        except ValueError:
            timeout = 60.0
        participant, _ = sim.conferences.add_participant(
            room,
            from_=from_,
            to=to,
            settings=settings,
            call_status_callback=callback(
                form, "", frozenset({"completed"}), frozenset({"completed"})
            ),
            timeout_s=timeout,
        )
        return JSONResponse(shapes.participant(participant), status_code=201)

    @router.get("/Conferences/{conference}/Participants.json")
    async def list_participants(conference: str, request: Request) -> JSONResponse:
        room = find_conference(conference)
        records = [p for p in room.participants.values() if p.status not in ("complete", "failed")]
        for param, attribute in (("Muted", "muted"), ("Hold", "hold"), ("Coaching", "coaching")):
            wanted = _flag(request.query_params.get(param))
            if wanted is not None:
                records = [p for p in records if getattr(p, attribute) == wanted]
        return page(
            request,
            "participants",
            [shapes.participant(p) for p in records],
            f"{shapes.base}/Conferences/{room.sid}/Participants.json",
        )

    @router.get("/Conferences/{conference}/Participants/{call_sid}.json")
    async def get_participant(conference: str, call_sid: str) -> JSONResponse:
        room = find_conference(conference)
        return JSONResponse(shapes.participant(find_participant(room, call_sid)))

    @router.post("/Conferences/{conference}/Participants/{call_sid}.json")
    async def update_participant(conference: str, call_sid: str, request: Request) -> JSONResponse:
        room = find_conference(conference)
        participant = find_participant(room, call_sid)
        form = await request.form()
        coach = _text(form, "CallSidToCoach") or None
        coaching = _flag(_text(form, "Coaching"))
        if coaching or (coaching is None and coach is not None and participant.coaching):
            check_coaching(room, True, coach or participant.call_sid_to_coach)
        sim.conferences.update(
            participant,
            muted=_flag(_text(form, "Muted")),
            hold=_flag(_text(form, "Hold")),
            hold_url=_text(form, "HoldUrl"),
            hold_method=(_text(form, "HoldMethod") or "").upper() or None,
            coaching=coaching,
            call_sid_to_coach=coach,
            end_conference_on_exit=_flag(_text(form, "EndConferenceOnExit")),
        )
        return JSONResponse(shapes.participant(participant))

    @router.delete("/Conferences/{conference}/Participants/{call_sid}.json")
    async def delete_participant(conference: str, call_sid: str) -> Response:
        room = find_conference(conference)
        participant = find_participant(room, call_sid)
        if participant.status in ("complete", "failed"):
            raise not_found(f"/Participants/{call_sid}.json")
        sim.conferences.kick(participant)
        return Response(status_code=204)

    # ------------------------------------------------------------------ Recordings

    def recordings_page(request: Request, records: list[Recording], path: str) -> JSONResponse:
        records = filtered(
            sorted(records, key=lambda r: r.created_at, reverse=True),
            request,
            {"CallSid": lambda r: r.call_sid, "ConferenceSid": lambda r: r.conference_sid},
        )
        return page(request, "recordings", [shapes.recording(r) for r in records], path)

    @router.get("/Recordings.json")
    async def list_recordings(request: Request) -> JSONResponse:
        return recordings_page(
            request, list(world.recordings.values()), f"{shapes.base}/Recordings.json"
        )

    @router.get("/Conferences/{conference}/Recordings.json")
    async def list_conference_recordings(conference: str, request: Request) -> JSONResponse:
        room = find_conference(conference)
        return recordings_page(
            request,
            [r for r in world.recordings.values() if r.conference_sid == room.sid],
            f"{shapes.base}/Conferences/{room.sid}/Recordings.json",
        )

    @router.get("/Calls/{sid}/Recordings.json")
    async def list_call_recordings(sid: str, request: Request) -> JSONResponse:
        call = find_call(sid)
        return recordings_page(
            request,
            [r for r in world.recordings.values() if r.call_sid == call.sid],
            f"{shapes.base}/Calls/{call.sid}/Recordings.json",
        )

    @router.delete("/Recordings/{name}")
    async def delete_recording(name: str) -> Response:
        """Twilio deletes a recording and its media: later requests for it get 404."""
        sid = name.removesuffix(".json")
        if world.recordings.pop(sid, None) is None:
            raise not_found(f"/Recordings/{name}")
        return Response(status_code=204)

    @router.get("/Recordings/{name}")
    async def get_recording(name: str, request: Request) -> Response:
        """The resource (.json) or its media: .wav or no extension (WAV), or .mp3."""
        sid, dot, extension = name.partition(".")
        recording = world.recordings.get(sid)
        if (
            recording is None
            or extension not in ("", "json", "wav", "mp3")
            or (dot and not extension)
        ):
            raise not_found(f"/Recordings/{name}")
        if extension == "json":
            return JSONResponse(shapes.recording(recording))
        asked = request.headers.get("range")
        if extension == "mp3":
            return media(audio.mp3(recording.duration), "audio/mpeg", asked)
        return media(audio.wav(recording.duration), "audio/x-wav", asked)

    # ------------------------------------------------------------------ Messages

    @router.post("/Messages.json")
    async def create_message(request: Request) -> JSONResponse:
        form = await request.form()
        to = _required(form, "To", 21604)
        from_ = _text(form, "From") or _text(form, "MessagingServiceSid")
        if not from_:
            raise SimulatorError("A 'From' phone number is required.", code=21603)
        body = _text(form, "Body")
        if not body:
            raise SimulatorError("Message body is required.", code=21602)
        if len(body) > MAX_MESSAGE_CHARS:
            raise SimulatorError(
                "The concatenated message body exceeds the 1600 character limit.", code=21617
            )
        message = sim.send_message(
            from_=from_,
            to=to,
            body=body,
            status_callback=_text(form, "StatusCallback") or None,
            direction="outbound-api",
        )
        return JSONResponse(shapes.message(message), status_code=201)

    @router.get("/Messages.json")
    async def list_messages(request: Request) -> JSONResponse:
        records = filtered(
            list(reversed(world.messages.values())),
            request,
            {
                "To": lambda m: m.to,
                "From": lambda m: m.from_,
            },
        )
        return page(
            request,
            "messages",
            [shapes.message(m) for m in records],
            f"{shapes.base}/Messages.json",
        )

    @router.get("/Messages/{sid}.json")
    async def get_message(sid: str) -> JSONResponse:
        message = world.messages.get(sid)
        if message is None:
            raise not_found(f"/Messages/{sid}.json")
        return JSONResponse(shapes.message(message))

    return router
