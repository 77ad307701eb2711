"""The one place that talks to the phone network's REST API (Twilio, or the local simulator)."""

from __future__ import annotations

import logging

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from hotline.config import Settings

log = logging.getLogger(__name__)
TelephonyError = TwilioException
# A released number's voice URL: answers "not in service" (hotline/telephony/router.py).
NOT_IN_SERVICE_PATH = "/twilio/voice/not-in-service"


class TelephonyPort:
    def __init__(self, settings: Settings) -> None:
        self._client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            http_client=TwilioHttpClient(timeout=settings.twilio_timeout_s),
        )
        if settings.telephony_mode == "simulator":
            self._client.api.base_url = settings.simulator_url.rstrip("/")
        self.public_base_url = settings.public_base_url.rstrip("/")

    def url(self, path: str) -> str:
        return self.public_base_url + path

    def dial_into_conference(
        self,
        *,
        conference: str,
        to: str,
        from_: str,
        label: str,
        status_callback: str,
        start_conference: bool = True,
    ) -> str:
        """Ring `to` and put them in the caller's conference; returns the new leg's CallSid.
        A leg with `start_conference` False never starts one (a crisis responder's)."""
        participant = self._client.conferences(conference).participants.create(
            from_=from_,
            to=to,
            label=label,
            start_conference_on_enter=start_conference,
            end_conference_on_exit=False,
            beep="false",
            timeout=30,
            status_callback=status_callback,
            status_callback_event=["initiated", "ringing", "answered", "completed"],
            conference_status_callback=self.url("/twilio/conference/status"),
            conference_status_callback_event=["start", "end", "join", "leave"],
        )
        return str(participant.call_sid)

    def add_monitor(
        self,
        *,
        conference: str,
        to: str,
        from_: str,
        label: str,
        muted: bool,
        call_sid_to_coach: str | None,
        status_callback: str,
    ) -> str:
        """A supervisor's leg in a caller's conference: muted (listen), coaching the counselor's
        leg (whisper) or a normal participant (barge). Never ends or starts the conference."""
        extra: dict[str, object] = {}
        if call_sid_to_coach is not None:
            extra = {"coaching": True, "call_sid_to_coach": call_sid_to_coach}
        participant = self._client.conferences(conference).participants.create(
            from_=from_,
            to=to,
            label=label,
            muted=muted,
            start_conference_on_enter=False,
            end_conference_on_exit=False,
            beep="false",
            timeout=30,
            status_callback=status_callback,
            status_callback_event=["completed"],
            **extra,
        )
        return str(participant.call_sid)

    def update_monitor(
        self, *, conference: str, leg_sid: str, muted: bool, call_sid_to_coach: str | None
    ) -> None:
        """Switch a supervisor's leg between listen, whisper and barge."""
        participant = self._client.conferences(conference).participants(leg_sid)
        if call_sid_to_coach is not None:
            participant.update(muted=muted, coaching=True, call_sid_to_coach=call_sid_to_coach)
        else:
            participant.update(muted=muted, coaching=False)

    def update_participant(
        self,
        *,
        conference: str,
        leg_sid: str,
        muted: bool | None = None,
        hold: bool | None = None,
        hold_url: str | None = None,
    ) -> None:
        """Mute or unmute a leg, or put it on hold (hearing `hold_url`'s TwiML) and back."""
        changes: dict[str, object] = {}
        if muted is not None:
            changes["muted"] = muted
        if hold is not None:
            changes["hold"] = hold
            if hold and hold_url:
                changes |= {"hold_url": hold_url, "hold_method": "POST"}
        self._client.conferences(conference).participants(leg_sid).update(**changes)

    def add_party(
        self, *, conference: str, to: str, from_: str, label: str, status_callback: str
    ) -> str:
        """Dial an outside party (110, 120, a partner line, a relative) from the line's number
        into the caller's conference; their call progress goes to `status_callback`."""
        participant = self._client.conferences(conference).participants.create(
            from_=from_,
            to=to,
            label=label,
            start_conference_on_enter=False,
            end_conference_on_exit=False,
            beep="false",
            timeout=45,
            status_callback=status_callback,
            status_callback_event=["initiated", "ringing", "answered", "completed"],
        )
        return str(participant.call_sid)

    def remove_participant(self, *, conference: str, leg_sid: str) -> None:
        self._client.conferences(conference).participants(leg_sid).delete()

    def end_conference(self, name: str) -> None:
        # A conference is "init" until someone who starts it is in; end it in either state.
        for conference in self._client.conferences.list(friendly_name=name):
            if conference.status != "completed":
                conference.update(status="completed")

    def hang_up(self, call_sid: str) -> None:
        self._client.calls(call_sid).update(status="completed")

    def redirect(self, call_sid: str, url: str) -> None:
        self._client.calls(call_sid).update(url=url, method="POST")

    def delete_recording(self, recording_sid: str) -> None:
        """Delete a recording at the provider; one already gone counts as deleted."""
        try:
            self._client.recordings(recording_sid).delete()
        except TwilioRestException as error:
            if error.status != 404:
                raise

    def send_sms(
        self, *, to: str, from_: str, body: str, status_callback: str | None = None
    ) -> str:
        """Send an SMS (Twilio splits a long body into parts and the phone joins them); its
        progress (sent, delivered, undelivered, failed) goes to `status_callback`, if any."""
        extra = {"status_callback": status_callback} if status_callback else {}
        message = self._client.messages.create(to=to, from_=from_, body=body, **extra)
        return str(message.sid)

    def place_call(self, *, to: str, from_: str, url: str, status_callback: str) -> str:
        """An outbound call that fetches `url` for its TwiML when answered (paging calls)."""
        call = self._client.calls.create(
            to=to,
            from_=from_,
            url=url,
            method="POST",
            timeout=30,
            status_callback=status_callback,
            status_callback_method="POST",
            status_callback_event=["completed"],
        )
        return str(call.sid)

    def place_dial_back(self, *, to: str, from_: str, url: str, status_callback: str) -> str:
        """The line calling someone back: ring `to` from the line's number `from_`; when they
        answer `url` says what happens (into a conference). Every step of its progress goes to
        `status_callback`; an answering machine is told apart (`AnsweredBy` on `url`)."""
        call = self._client.calls.create(
            to=to,
            from_=from_,
            url=url,
            method="POST",
            timeout=30,
            machine_detection="Enable",
            status_callback=status_callback,
            status_callback_method="POST",
            status_callback_event=["initiated", "ringing", "answered", "completed"],
        )
        return str(call.sid)

    def place_twiml_call(self, *, to: str, from_: str, twiml: str) -> str:
        """An outbound call that says `twiml` when answered (a phone verification code)."""
        call = self._client.calls.create(to=to, from_=from_, twiml=twiml, timeout=30)
        return str(call.sid)

    def sync_number(self, number: str, *, fallback_url: str | None = None) -> None:
        """Point the number's voice webhook and status callback at this deployment, and its voice
        fallback (fetched by Twilio when this deployment does not answer) at `fallback_url`."""
        hooks = {
            "voice_url": self.url("/twilio/voice/incoming"),
            "voice_method": "POST",
            "status_callback": self.url("/twilio/voice/status"),
            "status_callback_method": "POST",
            "sms_url": self.url("/twilio/sms/incoming"),
            "sms_method": "POST",
        }
        if fallback_url:  # GET: static hosting (a bucket, a TwiML Bin) need not accept a POST
            hooks |= {"voice_fallback_url": fallback_url, "voice_fallback_method": "GET"}
        existing = self._client.incoming_phone_numbers.list(phone_number=number)
        if existing:
            existing[0].update(**hooks)
        else:
            self._client.incoming_phone_numbers.create(phone_number=number, **hooks)

    def release_number(self, number: str) -> bool:
        """Un-point a number no active line has: its voice URL answers "not in service" and its
        SMS, status and fallback URLs are cleared, so nothing reaches a line it left. False when
        the account does not have the number (nothing to do)."""
        existing = self._client.incoming_phone_numbers.list(phone_number=number)
        if not existing:
            return False
        existing[0].update(
            voice_url=self.url(NOT_IN_SERVICE_PATH),
            voice_method="POST",
            voice_fallback_url="",
            status_callback="",
            sms_url="",
        )
        return True

    def number_voice_urls(self) -> dict[str, str | None]:
        """Every number on the account with the voice URL it is pointed at (the readiness
        check); raises TelephonyError when the account does not answer."""
        return {
            str(n.phone_number): (str(n.voice_url) if n.voice_url else None)
            for n in self._client.incoming_phone_numbers.list()
        }
