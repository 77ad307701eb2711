"""Listen, whisper (coach) and barge as Twilio has them: who hears whom in a conference, through
the real twilio client's Participants create and update."""

from __future__ import annotations

from typing import Any

import pytest
from simtools import LINE, Env
from test_sim_conferences import add_counselor, caller_waiting
from twilio.base.exceptions import TwilioRestException

SUPERVISOR = "+8613900000009"


def add_supervisor(env: Env, conference: str, **extra: Any) -> Any:
    return env.twilio.conferences(conference).participants.create(
        from_=LINE,
        to=SUPERVISOR,
        label="supervisor:9",
        start_conference_on_enter=False,
        beep="false",
        **extra,
    )


def members(env: Env, conference: str) -> dict[str, dict[str, Any]]:
    view = env.control.get_conference(conference)
    return {p["call_sid"]: p for p in view["participants"] if p["status"] == "connected"}


def in_call(env: Env, conference: str, *legs: str) -> dict[str, dict[str, Any]]:
    return env.control.wait_for(
        lambda: (found := members(env, conference)) and set(legs) <= set(found) and found
    )


def test_listen_whisper_barge_and_leave(env: Env) -> None:
    caller = caller_waiting(env)
    counselor = add_counselor(env, caller).call_sid
    in_call(env, caller, caller, counselor)
    room = env.twilio.conferences.list(friendly_name=caller)[0].sid

    # Listen: muted, so nobody hears the supervisor; the supervisor hears both.
    supervisor = add_supervisor(env, caller, muted=True).call_sid
    heard = in_call(env, caller, caller, counselor, supervisor)
    assert heard[supervisor]["muted"] is True
    assert heard[supervisor]["heard_by"] == []
    assert set(heard[supervisor]["hears"]) == {caller, counselor}
    assert set(heard[caller]["hears"]) == {counselor}
    assert set(heard[counselor]["hears"]) == {caller}

    # Whisper: unmuted and coaching the counselor; the caller still does not hear it.
    updated = (
        env.twilio.conferences(room)
        .participants(supervisor)
        .update(muted=False, coaching=True, call_sid_to_coach=counselor)
    )
    assert updated.coaching is True and updated.call_sid_to_coach == counselor
    heard = members(env, caller)
    assert heard[supervisor]["heard_by"] == [counselor]
    assert supervisor in heard[counselor]["hears"]
    assert supervisor not in heard[caller]["hears"]
    assert set(heard[supervisor]["hears"]) == {caller, counselor}

    # Barge: a normal participant, heard by everyone.
    env.twilio.conferences(room).participants(supervisor).update(muted=False, coaching=False)
    heard = members(env, caller)
    assert set(heard[supervisor]["heard_by"]) == {caller, counselor}
    assert supervisor in heard[caller]["hears"]

    # Back to listening, then leave: the call goes on between caller and counselor.
    env.twilio.conferences(room).participants(supervisor).update(muted=True)
    assert members(env, caller)[supervisor]["heard_by"] == []
    env.twilio.conferences(room).participants(supervisor).delete()
    env.control.wait_for_status(supervisor, "completed")
    left = members(env, caller)
    assert set(left) == {caller, counselor}
    assert env.control.get_conference(caller)["status"] == "in-progress"
    joined_events = [e["event"] for e in env.control.get_conference(caller)["events"]]
    assert "participant-modify" in joined_events and "participant-mute" in joined_events


def test_a_coach_joining_with_coaching_from_the_start(env: Env) -> None:
    caller = caller_waiting(env)
    counselor = add_counselor(env, caller).call_sid
    in_call(env, caller, caller, counselor)
    # CallSidToCoach alone makes the participant a coach (Twilio's default).
    supervisor = add_supervisor(env, caller, call_sid_to_coach=counselor).call_sid
    heard = in_call(env, caller, supervisor)
    assert heard[supervisor]["coaching"] is True
    assert heard[supervisor]["heard_by"] == [counselor]
    hooks = env.wait_hook("/conference-status", FriendlyName=caller, CallSid=supervisor)
    assert hooks[0].params["Coaching"] == "true"
    assert hooks[0].params["CallSidToCoach"] == counselor


def test_coaching_needs_a_present_participant_to_coach(env: Env) -> None:
    caller = caller_waiting(env)
    counselor = add_counselor(env, caller).call_sid
    in_call(env, caller, caller, counselor)
    with pytest.raises(TwilioRestException) as missing:
        add_supervisor(env, caller, coaching=True)
    assert missing.value.status == 400
    with pytest.raises(TwilioRestException) as absent:
        add_supervisor(env, caller, coaching=True, call_sid_to_coach="CA" + "0" * 32)
    assert absent.value.code == 16028
    assert set(members(env, caller)) == {caller, counselor}
