"""The one place that talks to the phone network's REST API (Twilio, or the local simulator)."""

from __future__ import annotations

import logging

from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from hotline.config import Settings

log = logging.getLogger(__name__)
TelephonyError = TwilioException


class TelephonyPort:
    def __init__(self, settings: Settings) -> None:
        self._client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
        if settings.telephony_mode == "simulator":
            self._client.api.base_url = settings.simulator_url.rstrip("/")
        self.public_base_url = settings.public_base_url.rstrip("/")

    def url(self, path: str) -> str:
        return self.public_base_url + path

    def dial_into_conference(
        self, *, conference: str, to: str, from_: str, label: str, status_callback: str
    ) -> str:
        """Ring `to` and put them in the caller's conference; returns the new leg's CallSid."""
        participant = self._client.conferences(conference).participants.create(
            from_=from_,
            to=to,
            label=label,
            start_conference_on_enter=True,
            end_conference_on_exit=False,
            beep="false",
            timeout=30,
            status_callback=status_callback,
            status_callback_event=["initiated", "ringing", "answered", "completed"],
            conference_status_callback=self.url("/twilio/conference/status"),
            conference_status_callback_event=["start", "end", "join", "leave"],
        )
        return str(participant.call_sid)

    def end_conference(self, name: str) -> None:
        # A conference is "init" until someone who starts it is in; end it in either state.
        for conference in self._client.conferences.list(friendly_name=name):
            if conference.status != "completed":
                conference.update(status="completed")

    def hang_up(self, call_sid: str) -> None:
        self._client.calls(call_sid).update(status="completed")

    def redirect(self, call_sid: str, url: str) -> None:
        self._client.calls(call_sid).update(url=url, method="POST")

    def sync_number(self, number: str) -> None:
        """Point the number's voice webhook and status callback at this deployment."""
        voice_url = self.url("/twilio/voice/incoming")
        status_url = self.url("/twilio/voice/status")
        existing = self._client.incoming_phone_numbers.list(phone_number=number)
        if existing:
            existing[0].update(
                voice_url=voice_url,
                voice_method="POST",
                status_callback=status_url,
                status_callback_method="POST",
            )
        else:
            self._client.incoming_phone_numbers.create(
                phone_number=number,
                voice_url=voice_url,
                voice_method="POST",
                status_callback=status_url,
                status_callback_method="POST",
            )
