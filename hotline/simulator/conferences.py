"""Conference semantics as Twilio has them.

A conference is created by the first participant (by <Dial><Conference> or by the REST
Participants resource, which dials the participant first) and starts ("init" -> "in-progress")
once a participant with startConferenceOnEnter=true is in it. Until then participants hear the
waitUrl, fetched and interpreted again and again, at most once per ``hold_refetch_min_s`` real
seconds. A participant with endConferenceOnExit=true leaving, the last one leaving, or a REST
update with Status=completed ends it: everyone leaves, each TwiML call continues after its
<Dial>, and legs added over REST hang up. Status callbacks go to the statusCallback given by the
first participant, for the events it asked for (default: start and end). A conference that a
participant's <Conference record="record-from-start"> asks to record is recorded from its start to
its end; the recording then exists (its media under the REST Recordings resource) and its
recordingStatusCallback is posted, after the conference's own end callback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hotline.simulator.params import recording_params
from hotline.simulator.world import (
    Call,
    Callback,
    Conference,
    Fetch,
    Participant,
    iso,
    new_sid,
    rfc2822,
    utcnow,
)

if TYPE_CHECKING:
    from hotline.simulator.engine import Simulator
    from hotline.simulator.twiml import CallRunner

log = logging.getLogger(__name__)
DEFAULT_HOLD_MUSIC = "http://twimlets.com/holdmusic?Bucket=com.twilio.music.classical"
DEFAULT_EVENTS = frozenset({"start", "end"})
# StatusCallbackEvent -> the statusCallbackEvent word that subscribes to it.
EVENT_FILTER = {
    "conference-start": "start",
    "conference-end": "end",
    "participant-join": "join",
    "participant-leave": "leave",
    "participant-mute": "mute",
    "participant-unmute": "mute",
    "participant-hold": "hold",
    "participant-unhold": "hold",
    "participant-modify": "modify",
}

# participant-leave's ReasonParticipantLeft and ParticipantCallStatus (Twilio added both in
# October 2023), by how the participant left: their own hang-up, or their call moved on.
LEFT = {
    "hangup": {
        "ReasonParticipantLeft": "participant_hung_up",
        "ParticipantCallStatus": "completed",
    },
    "kicked": {
        "ReasonParticipantLeft": "participant_updated_via_api",
        "ParticipantCallStatus": "in-progress",
    },
    "redirect": {
        "ReasonParticipantLeft": "participant_updated_via_api",
        "ParticipantCallStatus": "in-progress",
    },
}
ENDED_UNDER_THEM = {
    "ReasonParticipantLeft": "conference_ended",
    "ParticipantCallStatus": "in-progress",
}


def flag(value: bool) -> str:
    return "true" if value else "false"


async def wait_any(*events: asyncio.Event) -> None:
    if any(event.is_set() for event in events):
        return
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


@dataclass
class JoinSettings:
    label: str | None = None
    muted: bool = False
    coaching: bool = False
    call_sid_to_coach: str | None = None
    start_conference_on_enter: bool = True
    end_conference_on_exit: bool = False
    beep: str = "true"
    # None: Twilio's default hold music; "": silence.
    wait_url: str | None = None
    wait_method: str = "POST"


class Conferences:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    # ------------------------------------------------------------------ lookup and creation

    def open(self, name: str, status_callback: Callback | None) -> Conference:
        """The live conference called ``name``, created if there is none."""
        conference = self.sim.world.active_conference(name)
        if conference is None:
            conference = Conference(
                sid=new_sid("CF"),
                friendly_name=name,
                account_sid=self.sim.config.account_sid,
                status_callback=status_callback,
            )
            self.sim.world.conferences[conference.sid] = conference
            log.info("conference %s created", conference.sid)
        elif conference.status_callback is None and not conference.participants:
            conference.status_callback = status_callback
        return conference

    def ask_to_record(self, conference: Conference, callback: Callback | None) -> None:
        """A participant's TwiML says record-from-start: record it (from now, if it is on)."""
        if conference.status == "completed":
            return
        conference.record = True
        if conference.recording_callback is None:
            conference.recording_callback = callback
        if conference.status == "in-progress" and conference.recording_started_at is None:
            conference.recording_started_at = utcnow()

    def participant_of(self, call: Call) -> Participant | None:
        if call.conference_sid is None:
            return None
        conference = self.sim.world.conferences.get(call.conference_sid)
        return conference.participants.get(call.sid) if conference else None

    @staticmethod
    def find_participant(conference: Conference, call_sid_or_label: str) -> Participant | None:
        if call_sid_or_label in conference.participants:
            return conference.participants[call_sid_or_label]
        for participant in reversed(list(conference.participants.values())):
            if participant.label == call_sid_or_label:
                return participant
        return None

    # ------------------------------------------------------------------ events

    def emit(
        self,
        conference: Conference,
        event: str,
        participant: Participant | None = None,
        **extra: str,
    ) -> None:
        conference.events.append(
            {
                "at": iso(utcnow()),
                "event": event,
                "call_sid": participant.call_sid if participant else None,
                "label": participant.label if participant else None,
                **extra,
            }
        )
        callback = conference.status_callback
        if callback is None or EVENT_FILTER.get(event, event) not in callback.events:
            return
        conference.sequence += 1
        params = {
            "AccountSid": conference.account_sid,
            "ConferenceSid": conference.sid,
            "FriendlyName": conference.friendly_name,
            "SequenceNumber": str(conference.sequence),
            "StatusCallbackEvent": event,
            "Timestamp": rfc2822(utcnow()) or "",
        }
        call = None
        if participant is not None:
            call = self.sim.world.calls.get(participant.call_sid)
            params.update(
                {
                    "CallSid": participant.call_sid,
                    "Coaching": flag(participant.coaching),
                    "EndConferenceOnExit": flag(participant.end_conference_on_exit),
                    "Hold": flag(participant.hold),
                    "Muted": flag(participant.muted),
                    "StartConferenceOnEnter": flag(participant.start_conference_on_enter),
                }
            )
            if participant.label:
                params["Label"] = participant.label
                params["ParticipantLabel"] = participant.label
            if participant.coaching and participant.call_sid_to_coach:
                params["CallSidToCoach"] = participant.call_sid_to_coach
        params.update(extra)
        self.sim.notify(
            conference.sid, call, callback.url, params, callback.method, f"conference:{event}"
        )

    # ------------------------------------------------------------------ membership

    def join(
        self,
        conference: Conference,
        call: Call,
        settings: JoinSettings,
        participant: Participant | None = None,
    ) -> Participant:
        if participant is None:
            participant = Participant(
                call_sid=call.sid, conference_sid=conference.sid, account_sid=conference.account_sid
            )
        participant.label = settings.label
        participant.muted = settings.muted
        participant.coaching = settings.coaching
        participant.call_sid_to_coach = settings.call_sid_to_coach
        participant.start_conference_on_enter = settings.start_conference_on_enter
        participant.end_conference_on_exit = settings.end_conference_on_exit
        participant.beep = settings.beep
        participant.wait_url = settings.wait_url
        participant.wait_method = settings.wait_method
        participant.status = "connected"
        participant.updated_at = utcnow()
        conference.participants[call.sid] = participant
        conference.pending_legs.discard(call.sid)
        conference.touch()
        call.conference_sid = conference.sid
        call.conference_name = conference.friendly_name
        self.sim.record(
            call,
            "conference",
            conference.friendly_name,
            event="join",
            conference_sid=conference.sid,
            label=settings.label,
            start_conference_on_enter=settings.start_conference_on_enter,
            end_conference_on_exit=settings.end_conference_on_exit,
            muted=settings.muted,
            coaching=settings.coaching,
        )
        log.info("call %s joined conference %s", call.sid, conference.sid)
        if settings.start_conference_on_enter and conference.status == "init":
            conference.status = "in-progress"
            if conference.record:
                conference.recording_started_at = utcnow()
            self.emit(conference, "conference-start")
            conference.started.set()
            for other in conference.present:
                if other is not participant:
                    self._note(other, "conference", conference.friendly_name, event="start")
        self.emit(conference, "participant-join", participant)
        if settings.beep in ("true", "onEnter"):
            for other in conference.present:
                if other is not participant:
                    self._note(other, "play", "beep", conference_sid=conference.sid)
        return participant

    def _note(self, participant: Participant, kind: str, text: str, **detail: Any) -> None:
        call = self.sim.world.calls.get(participant.call_sid)
        if call is not None:
            self.sim.record(call, kind, text, **detail)

    def leave(self, participant: Participant, reason: str) -> None:
        """``participant`` leaves: reason is hangup, kicked or redirect."""
        conference = self.sim.world.conferences[participant.conference_sid]
        if not participant.present:
            if participant.status in ("queued", "connecting", "ringing"):
                self._leg_gone(conference, participant)
            return
        participant.status = "complete"
        participant.updated_at = utcnow()
        participant.left.set()
        self._stop_hold_music(participant)
        conference.touch()
        self._note(
            participant, "conference", conference.friendly_name, event="leave", reason=reason
        )
        self.emit(conference, "participant-leave", participant, **LEFT[reason])
        if conference.status == "completed":
            return
        how = "kicked" if reason == "kicked" else "left"
        if participant.end_conference_on_exit:
            self.end(
                conference, f"participant-with-end-conference-on-exit-{how}", participant.call_sid
            )
        elif not conference.present and not conference.pending_legs:
            self.end(conference, f"last-participant-{how}", participant.call_sid)

    def _leg_gone(self, conference: Conference, participant: Participant) -> None:
        """A REST participant's leg ended before it joined."""
        participant.status = "failed"
        participant.updated_at = utcnow()
        participant.left.set()
        conference.pending_legs.discard(participant.call_sid)
        if conference.status == "completed" or conference.present or conference.pending_legs:
            return
        if any(p.status == "complete" for p in conference.participants.values()):
            self.end(conference, "last-participant-left", None)
        else:
            # Nobody ever joined: the conference never really existed.
            conference.status = "completed"
            conference.touch()

    def end(self, conference: Conference, reason: str, by_call_sid: str | None) -> None:
        if conference.status == "completed":
            return
        conference.status = "completed"
        conference.reason_ended = reason
        conference.call_sid_ending = by_call_sid
        conference.touch()
        for participant in conference.present:
            participant.status = "complete"
            participant.updated_at = utcnow()
            participant.left.set()
            self._stop_hold_music(participant)
            self._note(
                participant,
                "conference",
                conference.friendly_name,
                event="leave",
                reason="conference-ended",
            )
            # Still on the line: their call goes on after the conference (<Dial> action).
            self.emit(conference, "participant-leave", participant, **ENDED_UNDER_THEM)
        for leg_sid in list(conference.pending_legs):
            leg = self.sim.world.calls.get(leg_sid)
            if leg is not None:
                self.sim.end_call(leg, "canceled")
        extra = {"ReasonConferenceEnded": reason}
        if by_call_sid:
            extra["CallSidEndingConference"] = by_call_sid
        self.emit(conference, "conference-end", None, **extra)
        log.info("conference %s ended: %s", conference.sid, reason)
        self._finish_recording(conference)

    def _finish_recording(self, conference: Conference) -> None:
        """A recorded conference ended: its recording is ready; tell the recording callback."""
        started = conference.recording_started_at
        if started is None:
            return  # never started (nobody who starts it joined): Twilio records nothing
        seconds = (utcnow() - started).total_seconds()
        recording = self.sim.add_recording(
            source="DialVerb",
            start_time=started,
            # Wall-clock seconds like call durations; at least 1 so the audio is not empty.
            duration=max(1, round(seconds)),
            conference_sid=conference.sid,
        )
        conference.events.append(
            {"at": iso(utcnow()), "event": "recording-completed", "recording_sid": recording.sid}
        )
        callback = conference.recording_callback
        if callback is None or "completed" not in callback.events:
            return
        params = recording_params(recording, self.sim.recording_url(recording))
        self.sim.notify(conference.sid, None, callback.url, params, callback.method, "recording")

    def call_ended(self, call: Call) -> None:
        participant = self.participant_of(call)
        if participant is not None:
            self.leave(participant, "hangup")

    def call_redirected(self, call: Call) -> None:
        participant = self.participant_of(call)
        if participant is not None:
            self.leave(participant, "redirect")

    def kick(self, participant: Participant) -> None:
        if participant.present:
            self.leave(participant, "kicked")
            return
        leg = self.sim.world.calls.get(participant.call_sid)
        if leg is not None and not leg.is_over:
            self.sim.end_call(leg, "canceled")

    def update(
        self,
        participant: Participant,
        *,
        muted: bool | None = None,
        hold: bool | None = None,
        hold_url: str | None = None,
        hold_method: str | None = None,
        coaching: bool | None = None,
        call_sid_to_coach: str | None = None,
        end_conference_on_exit: bool | None = None,
    ) -> None:
        conference = self.sim.world.conferences[participant.conference_sid]
        participant.updated_at = utcnow()
        if hold_url is not None:
            participant.hold_url = hold_url or None
        if hold_method is not None:
            participant.hold_method = hold_method
        if end_conference_on_exit is not None:
            participant.end_conference_on_exit = end_conference_on_exit
        if call_sid_to_coach is not None:
            participant.call_sid_to_coach = call_sid_to_coach
        if muted is not None and muted != participant.muted:
            participant.muted = muted
            self._note(participant, "conference", "muted" if muted else "unmuted")
            self.emit(
                conference, "participant-mute" if muted else "participant-unmute", participant
            )
        if hold is not None and hold != participant.hold:
            participant.hold = hold
            self._note(participant, "conference", "hold" if hold else "unhold")
            self.emit(conference, "participant-hold" if hold else "participant-unhold", participant)
            if hold:
                self._start_hold_music(participant)
            else:
                self._stop_hold_music(participant)
        if coaching is not None and coaching != participant.coaching:
            participant.coaching = coaching
            self._note(
                participant,
                "conference",
                "coaching" if coaching else "not coaching",
                call_sid_to_coach=participant.call_sid_to_coach,
            )
            self.emit(conference, "participant-modify", participant)

    # ------------------------------------------------------------------ hold music

    def _start_hold_music(self, participant: Participant) -> None:
        """A participant put on hold hears the HoldUrl (TwiML with Say, Play, Pause, Redirect, or
        Twilio's default music without one), again and again until resumed or gone."""
        call = self.sim.world.calls.get(participant.call_sid)
        if call is None or not participant.present:
            return
        self._stop_hold_music(participant)
        participant.hold_task = self.sim.spawn(
            self._hold_music(call, participant), f"sim-hold-music-{call.sid}"
        )

    @staticmethod
    def _stop_hold_music(participant: Participant) -> None:
        if participant.hold_task is not None:
            participant.hold_task.cancel()
            participant.hold_task = None

    async def _hold_music(self, call: Call, participant: Participant) -> None:
        if participant.hold_url is None:
            self.sim.record(call, "play", DEFAULT_HOLD_MUSIC, hold=True, on_hold=True)
            return
        runner = self.sim.runner(call)
        url, method = participant.hold_url, participant.hold_method
        last: float | None = None
        while participant.hold and participant.present:
            if last is not None:
                gap = self.sim.config.hold_refetch_min_s - (time.monotonic() - last)
                if gap > 0:
                    await asyncio.sleep(gap)
            last = time.monotonic()
            redirect = await runner.play_wait(Fetch(url, method, purpose="hold"))
            if redirect is not None and redirect.url:
                url, method = redirect.url, redirect.method

    # ------------------------------------------------------------------ who hears whom

    @staticmethod
    def audible(speaker: Participant, listener: Participant) -> bool:
        """Does ``listener`` hear ``speaker``? Twilio's rules: a muted participant is heard by
        nobody; a coach (coaching=true) is heard only by the participant it coaches, and hears
        everyone; a participant on hold neither hears nor is heard."""
        if speaker is listener or not (speaker.present and listener.present):
            return False
        if speaker.hold or listener.hold or speaker.muted:
            return False
        return not speaker.coaching or speaker.call_sid_to_coach == listener.call_sid

    def hears(self, conference: Conference, listener: Participant) -> list[str]:
        """The CallSids ``listener`` hears now (nobody before the conference starts)."""
        if conference.status != "in-progress":
            return []
        return [p.call_sid for p in conference.present if self.audible(p, listener)]

    def heard_by(self, conference: Conference, speaker: Participant) -> list[str]:
        """The CallSids that hear ``speaker`` now."""
        if conference.status != "in-progress":
            return []
        return [p.call_sid for p in conference.present if self.audible(speaker, p)]

    # ------------------------------------------------------------------ being in a conference

    async def stay(self, call: Call, participant: Participant, runner: CallRunner) -> None:
        """Until ``participant`` leaves; with hold audio while the conference waits to start."""
        conference = self.sim.world.conferences[participant.conference_sid]
        if conference.status == "init" and participant.wait_url != "":
            hold = self.sim.spawn(self._hold(call, participant, runner), f"sim-hold-{call.sid}")
            try:
                await wait_any(participant.left, conference.started)
            finally:
                hold.cancel()
            if not participant.left.is_set():
                self.sim.record(call, "conference", conference.friendly_name, event="start")
        await participant.left.wait()

    async def _hold(self, call: Call, participant: Participant, runner: CallRunner) -> None:
        if participant.wait_url is None:
            self.sim.record(call, "play", DEFAULT_HOLD_MUSIC, hold=True)
            return
        wait = Fetch(participant.wait_url, participant.wait_method, purpose="wait")
        last: float | None = None
        while True:
            if last is not None:
                gap = self.sim.config.hold_refetch_min_s - (time.monotonic() - last)
                if gap > 0:
                    await asyncio.sleep(gap)
            last = time.monotonic()
            redirect = await runner.play_wait(wait)
            wait = redirect or Fetch(participant.wait_url, participant.wait_method, purpose="wait")

    # ------------------------------------------------------------------ REST participants

    def add_participant(
        self,
        conference: Conference,
        *,
        from_: str,
        to: str,
        settings: JoinSettings,
        call_status_callback: Callback | None,
        timeout_s: float,
    ) -> tuple[Participant, Call]:
        """Dial ``to``; when it answers it joins ``conference``."""
        call = self.sim.new_call(
            from_=from_,
            to=to,
            direction="outbound-api",
            status="queued",
            status_callback=call_status_callback,
        )
        call.ring_timeout_s = timeout_s
        call.conference_sid = conference.sid
        call.conference_name = conference.friendly_name
        participant = Participant(
            call_sid=call.sid,
            conference_sid=conference.sid,
            account_sid=conference.account_sid,
            label=settings.label,
            muted=settings.muted,
            coaching=settings.coaching,
            call_sid_to_coach=settings.call_sid_to_coach,
            start_conference_on_enter=settings.start_conference_on_enter,
            end_conference_on_exit=settings.end_conference_on_exit,
            beep=settings.beep,
            wait_url=settings.wait_url,
            wait_method=settings.wait_method,
            via_rest=True,
        )
        conference.participants[call.sid] = participant
        conference.pending_legs.add(call.sid)
        self.sim.record(
            call,
            "conference",
            conference.friendly_name,
            event="dialing",
            conference_sid=conference.sid,
            label=settings.label,
        )
        call.task = self.sim.spawn(
            self._run_leg(call, conference, participant, settings), f"sim-call-{call.sid}"
        )
        return participant, call

    async def _run_leg(
        self, call: Call, conference: Conference, participant: Participant, settings: JoinSettings
    ) -> None:
        participant.status = "ringing"
        outcome = await self.sim.ring(call)
        if outcome != "answered":
            self.sim.end_call(call, outcome)
            return
        if conference.status == "completed":
            self.sim.end_call(call, "completed")
            return
        participant.status = "connecting"
        self.join(conference, call, settings, participant)
        await self.stay(call, participant, self.sim.runner(call))
        self.sim.end_call(call, "completed")
