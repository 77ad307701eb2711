"""Conferences: waiting with hold audio, REST participants, callbacks, redirect, end."""

from __future__ import annotations

from typing import Any

from simtools import CALLER, COUNSELOR, LINE, Env, EnvFactory, Hook


def caller_waiting(env: Env) -> str:
    """A caller who pressed 1 and now waits in a conference named after their CallSid."""
    sid = env.control.place_call(CALLER, LINE, digits="1")
    env.control.wait_for(lambda: env.control.get_call(sid)["in_conference"])
    return sid


def add_counselor(env: Env, conference: str, **extra: Any) -> Any:
    return env.twilio.conferences(conference).participants.create(
        from_=LINE,
        to=COUNSELOR,
        label="counselor:7",
        start_conference_on_enter=True,
        end_conference_on_exit=False,
        beep="false",
        timeout=30,
        status_callback=f"{env.base}/participant-status?call_id=1&user_id=7",
        status_callback_event=["initiated", "ringing", "answered", "completed"],
        conference_status_callback=f"{env.base}/conference-status",
        conference_status_callback_event=["start", "end", "join", "leave"],
        **extra,
    )


def events(hooks: list[Hook]) -> list[tuple[str, str | None]]:
    return [(h.params["StatusCallbackEvent"], h.params.get("CallSid")) for h in hooks]


def test_caller_waits_then_counselor_joins_then_caller_hangs_up(env: Env) -> None:
    sid = caller_waiting(env)
    # The relative waitUrl "hold?lang=en" resolves against the /gather document.
    [hold] = env.wait_hook("/hold", CallSid=sid)
    assert hold.valid and hold.query == "lang=en"
    assert hold.params["CallSid"] == sid
    conference = env.control.get_conference(sid)
    assert conference["status"] == "init"
    [listed] = env.twilio.conferences.list(friendly_name=sid)
    assert listed.status == "init" and listed.sid.startswith("CF")

    participant = add_counselor(env, sid)
    assert participant.call_sid.startswith("CA")
    assert participant.conference_sid == listed.sid
    assert participant.label == "counselor:7"
    leg = participant.call_sid

    joined = env.wait_hook("/conference-status", count=3, FriendlyName=sid)
    assert all(h.valid for h in joined)
    assert events(joined) == [
        ("participant-join", sid),
        ("conference-start", None),
        ("participant-join", leg),
    ]
    sequence = [int(h.params["SequenceNumber"]) for h in joined]
    assert sequence == sorted(sequence) and len(set(sequence)) == 3
    assert {h.params["FriendlyName"] for h in joined} == {sid}
    assert {h.params["ConferenceSid"] for h in joined} == {listed.sid}
    counselor_join = joined[2].params
    assert counselor_join["Label"] == "counselor:7"
    assert counselor_join["StartConferenceOnEnter"] == "true"
    assert counselor_join["EndConferenceOnExit"] == "false"
    assert joined[0].params["StartConferenceOnEnter"] == "false"
    assert joined[0].params["EndConferenceOnExit"] == "true"

    progress = env.wait_hook("/participant-status", count=3, CallSid=leg)
    assert [h.params["CallStatus"] for h in progress] == ["initiated", "ringing", "in-progress"]
    assert {h.query for h in progress} == {"call_id=1&user_id=7"}
    assert env.twilio.conferences(listed.sid).fetch().status == "in-progress"
    members = env.twilio.conferences(listed.sid).participants.list()
    assert {p.call_sid for p in members} == {sid, leg}
    assert env.twilio.conferences(listed.sid).participants(leg).fetch().status == "connected"

    env.control.hangup(sid)
    hooks = env.wait_hook("/conference-status", count=6, FriendlyName=sid)
    assert events(hooks[3:]) == [
        ("participant-leave", sid),
        ("participant-leave", leg),
        ("conference-end", None),
    ]
    # Why each one left: the caller hung up; the counselor's leg was left by the conference.
    assert hooks[3].params["ReasonParticipantLeft"] == "participant_hung_up"
    assert hooks[3].params["ParticipantCallStatus"] == "completed"
    assert hooks[4].params["ReasonParticipantLeft"] == "conference_ended"
    end = hooks[5].params
    assert end["ReasonConferenceEnded"] == "participant-with-end-conference-on-exit-left"
    assert end["CallSidEndingConference"] == sid
    sequence = [int(h.params["SequenceNumber"]) for h in hooks]
    assert sequence == sorted(sequence) and len(set(sequence)) == 6

    [status] = env.wait_hook("/status", CallSid=sid)
    assert status.valid
    assert status.params["CallSid"] == sid
    assert status.params["CallStatus"] == "completed"
    assert "CallDuration" in status.params
    env.control.wait_for_status(leg, "completed")
    completed = env.wait_hook("/participant-status", CallStatus="completed", CallSid=leg)
    assert completed[0].params["CallSid"] == leg
    assert not env.recorder.find("/after", CallSid=sid)
    assert env.twilio.conferences(listed.sid).fetch().status == "completed"


def test_redirect_moves_a_waiting_caller_out_of_the_conference(env: Env) -> None:
    sid = caller_waiting(env)
    env.twilio.calls(sid).update(url=f"{env.base}/redirected", method="POST")
    [moved] = env.wait_hook("/redirected", CallSid=sid)
    assert moved.valid and moved.params["CallSid"] == sid
    call = env.control.wait_for_status(sid, "completed")
    assert "You were moved." in [e["text"] for e in call["transcript"] if e["kind"] == "say"]
    hooks = env.wait_hook("/conference-status", count=3, FriendlyName=sid)
    assert events(hooks) == [
        ("participant-join", sid),
        ("participant-leave", sid),
        ("conference-end", None),
    ]
    assert hooks[1].params["ReasonParticipantLeft"] == "participant_updated_via_api"
    assert not env.recorder.find("/after", CallSid=sid)


def test_conference_ended_via_api_caller_continues_after_dial(env: Env) -> None:
    sid = caller_waiting(env)
    leg = add_counselor(env, sid).call_sid
    env.control.wait_for_status(leg, "in-progress")
    env.wait_hook("/conference-status", count=3, FriendlyName=sid)
    for conference in env.twilio.conferences.list(friendly_name=sid, status="in-progress"):
        conference.update(status="completed")
    [after] = env.wait_hook("/after", CallSid=sid)
    assert after.valid
    assert after.params["CallSid"] == sid
    assert after.params["DialCallStatus"] == "completed"
    call = env.control.wait_for_status(sid, "completed")
    assert [e["text"] for e in call["transcript"] if e["kind"] == "say"][-1] == "Goodbye."
    env.control.wait_for_status(leg, "completed")
    end = env.wait_hook(
        "/conference-status", StatusCallbackEvent="conference-end", FriendlyName=sid
    )[0]
    assert end.params["ReasonConferenceEnded"] == "conference-ended-via-api"


def test_participant_update_and_kick(env: Env) -> None:
    sid = caller_waiting(env)
    leg = add_counselor(env, sid).call_sid
    env.control.wait_for_status(leg, "in-progress")
    updated = env.twilio.conferences(sid).participants(leg).update(muted=True, hold=True)
    assert updated.muted is True and updated.hold is True
    coach = env.twilio.conferences(sid).participants.create(
        from_=LINE, to="client:supervisor", coaching=True, call_sid_to_coach=leg, label="sup"
    )
    env.control.wait_for_status(coach.call_sid, "in-progress")
    fetched = env.twilio.conferences(sid).participants("sup").fetch()
    assert fetched.coaching is True and fetched.call_sid_to_coach == leg

    env.twilio.conferences(sid).participants(leg).delete()
    env.control.wait_for_status(leg, "completed")
    conference = env.control.get_conference(sid)
    assert conference["status"] == "in-progress"
    names = [e["event"] for e in conference["events"]]
    assert "participant-mute" in names and "participant-hold" in names
    assert names[-1] == "participant-leave"
    env.control.hangup(sid)
    env.wait_hook("/conference-status", StatusCallbackEvent="conference-end", FriendlyName=sid)


def test_unanswered_counselor_leaves_the_caller_waiting(env: Env) -> None:
    sid = caller_waiting(env)
    env.control.set_phone(COUNSELOR, "no-answer")
    leg = add_counselor(env, sid).call_sid
    env.control.wait_for_status(leg, "no-answer")
    [failed] = env.wait_hook("/participant-status", CallStatus="no-answer", CallSid=leg)
    assert failed.params["CallSid"] == leg
    call = env.control.get_call(sid)
    assert call["status"] == "in-progress" and call["in_conference"]
    assert env.control.get_conference(sid)["status"] == "init"
    env.control.hangup(sid)


def test_hold_audio_is_refetched_no_faster_than_the_minimum(make_env: EnvFactory) -> None:
    env = make_env(hold_refetch_min_s=0.2)
    sid = caller_waiting(env)
    hooks = env.wait_hook("/hold", count=3, CallSid=sid)
    gaps = [b.at - a.at for a, b in zip(hooks, hooks[1:], strict=False)]
    assert all(gap >= 0.15 for gap in gaps), gaps


def test_hold_with_a_hold_url_plays_it_until_resumed(env: Env) -> None:
    """Hold, HoldUrl and HoldMethod as Twilio takes them: the held participant's call fetches
    the HoldUrl (signed, with its own CallSid) and hears it until Hold=false; Muted alone
    changes nobody's hold."""
    sid = caller_waiting(env)
    leg = add_counselor(env, sid).call_sid
    env.control.wait_for_status(leg, "in-progress")
    room = env.twilio.conferences(sid)
    held = room.participants(sid).update(
        hold=True, hold_url=f"{env.base}/hold?lang=en&held=1", hold_method="POST"
    )
    assert held.hold is True and held.muted is False
    fetch = env.control.wait_for(
        lambda: next(
            (h for h in env.recorder.find("/hold", CallSid=sid) if "held" in h.query), None
        )
    )
    assert fetch.valid and fetch.query == "lang=en&held=1"
    view = {p["call_sid"]: p for p in env.control.get_conference(sid)["participants"]}
    assert view[sid]["hold"] is True and view[sid]["hold_url"].endswith("held=1")
    assert sid not in view[leg]["hears"]  # a held caller neither hears nor is heard

    muted = room.participants(leg).update(muted=True)
    assert muted.muted is True and muted.hold is False
    resumed = room.participants(sid).update(hold=False)
    assert resumed.hold is False
    view = {p["call_sid"]: p for p in env.control.get_conference(sid)["participants"]}
    assert view[sid]["hears"] == [] and view[leg]["hears"] == [sid]  # the counselor is muted
    names = [e["event"] for e in env.control.get_conference(sid)["events"]]
    assert names.count("participant-hold") == 1 and names.count("participant-unhold") == 1
    env.control.hangup(sid)
