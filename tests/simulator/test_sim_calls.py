"""Inbound calls, TwiML verbs, outbound (paging) calls and simulated phones."""

from __future__ import annotations

from simtools import CALLER, COUNSELOR, LINE, Env, EnvFactory

INBOUND_PARAMS = {
    "AccountSid",
    "ApiVersion",
    "CallSid",
    "CallStatus",
    "Called",
    "CalledCity",
    "CalledCountry",
    "CalledState",
    "CalledZip",
    "Caller",
    "CallerCity",
    "CallerCountry",
    "CallerState",
    "CallerZip",
    "Direction",
    "From",
    "FromCity",
    "FromCountry",
    "FromState",
    "FromZip",
    "To",
    "ToCity",
    "ToCountry",
    "ToState",
    "ToZip",
}


def kinds(call: dict[str, object]) -> list[str]:
    transcript = call["transcript"]
    assert isinstance(transcript, list)
    return [entry["kind"] for entry in transcript]


def test_inbound_call_gather_with_queued_digits_posts_signed_action(env: Env) -> None:
    sid = env.control.place_call(CALLER, LINE, digits="1")
    assert sid.startswith("CA") and len(sid) == 34

    [voice] = env.wait_hook("/voice", CallSid=sid)
    assert voice.valid
    assert INBOUND_PARAMS <= set(voice.params)
    assert voice.params["CallSid"] == sid
    assert voice.params["CallStatus"] == "ringing"
    assert voice.params["Direction"] == "inbound"
    assert voice.params["From"] == voice.params["Caller"] == CALLER
    assert voice.params["To"] == voice.params["Called"] == LINE
    assert voice.params["AccountSid"].startswith("AC")
    assert voice.params["ApiVersion"] == "2010-04-01"

    # The relative action "gather?step=menu" resolves against /voice.
    [gathered] = env.wait_hook("/gather", Digits="1", CallSid=sid)
    assert gathered.valid
    assert gathered.query == "step=menu"
    assert gathered.params["CallSid"] == sid
    assert gathered.params["CallStatus"] == "in-progress"

    call = env.control.get_call(sid)
    say = next(e for e in call["transcript"] if e["kind"] == "say")
    assert say["text"] == "Welcome. Press 1 to talk to a counselor."
    assert say["detail"]["language"] == "en-US"
    webhook = next(e for e in call["transcript"] if e["kind"] == "webhook")
    assert webhook["text"] == f"{env.base}/voice"
    assert webhook["detail"]["status"] == 200
    assert "<Gather" in webhook["detail"]["response"]
    env.control.hangup(sid)


def test_gather_timeout_continues_with_next_verb(make_env: EnvFactory) -> None:
    env = make_env(gather_time_scale=0.0)
    sid = env.control.place_call(CALLER, LINE)
    call = env.control.wait_for_status(sid, "completed")
    assert [e["text"] for e in call["transcript"] if e["kind"] == "say"] == [
        "Welcome. Press 1 to talk to a counselor.",
        "We did not get your choice.",
    ]
    assert not env.recorder.find("/gather", CallSid=sid)
    [status] = env.wait_hook("/status", CallSid=sid)
    assert status.valid
    assert status.params["CallStatus"] == "completed"
    assert "CallDuration" in status.params


def test_keys_pressed_through_control(env: Env) -> None:
    sid = env.control.place_call(CALLER, LINE)
    env.control.wait_for(lambda: "gather" in kinds(env.control.get_call(sid)))
    env.control.press(sid, "1")
    [gathered] = env.wait_hook("/gather", Digits="1", CallSid=sid)
    assert gathered.valid
    env.control.hangup(sid)
    env.control.wait_for_status(sid, "completed")


def test_malformed_twiml_fails_the_call(env: Env) -> None:
    env.control.register_number("+8610012320", f"{env.base}/broken")
    sid = env.control.place_call(CALLER, "+8610012320")
    call = env.control.wait_for_status(sid, "failed")
    errors = [e for e in call["transcript"] if e["kind"] == "error"]
    assert errors and "malformed TwiML" in errors[0]["text"]


def test_unknown_line_is_404(env: Env) -> None:
    from hotline.simulator.client import SimulatorControlError

    try:
        env.control.place_call(CALLER, "+10000000000")
    except SimulatorControlError as exc:
        assert exc.status == 404
    else:
        raise AssertionError("placing a call to an unregistered number succeeded")


def test_paging_call_with_gather_and_keypress(env: Env) -> None:
    call = env.twilio.calls.create(
        to=COUNSELOR,
        from_=LINE,
        url=f"{env.base}/page",
        status_callback=f"{env.base}/call-status",
        status_callback_event=["initiated", "ringing", "answered", "completed"],
    )
    assert call.sid.startswith("CA")
    assert call.status == "queued"
    assert call.direction == "outbound-api"

    env.control.wait_for(lambda: "gather" in kinds(env.control.get_call(call.sid)))
    env.control.press(call.sid, "1")
    [ack] = env.wait_hook("/page-ack", Digits="1", CallSid=call.sid)
    assert ack.valid
    assert ack.params["Direction"] == "outbound-api"
    env.control.wait_for_status(call.sid, "completed")

    hooks = env.wait_hook("/call-status", count=4, CallSid=call.sid)
    assert all(h.valid for h in hooks)
    assert [h.params["CallStatus"] for h in hooks] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    assert [int(h.params["SequenceNumber"]) for h in hooks] == [0, 1, 2, 3]
    assert {h.params["CallbackSource"] for h in hooks} == {"call-progress-events"}
    assert "CallDuration" in hooks[-1].params
    fetched = env.twilio.calls(call.sid).fetch()
    assert fetched.status == "completed"


def test_manual_phone_never_answered_reports_no_answer(make_env: EnvFactory) -> None:
    env = make_env(gather_time_scale=0.02)
    env.control.set_phone(COUNSELOR, "manual")
    call = env.twilio.calls.create(
        to=COUNSELOR,
        from_=LINE,
        url=f"{env.base}/page",
        status_callback=f"{env.base}/call-status",
        timeout=10,
    )
    env.control.wait_for_status(call.sid, "no-answer")
    [status] = env.wait_hook("/call-status", CallSid=call.sid)
    assert status.valid
    assert status.params["CallStatus"] == "no-answer"
    assert not env.recorder.find("/page")


def test_manual_phone_answered_through_control(env: Env) -> None:
    env.control.set_phone(COUNSELOR, "manual")
    call = env.twilio.calls.create(to=COUNSELOR, from_=LINE, url=f"{env.base}/page")
    env.control.wait_for_status(call.sid, "ringing")
    ringing = env.control.phones()["ringing"]
    assert [leg["sid"] for leg in ringing] == [call.sid]
    env.control.answer(call.sid)
    env.wait_hook("/page", CallSid=call.sid)
    env.control.hangup(call.sid)
    env.control.wait_for_status(call.sid, "completed")


def test_busy_phone(env: Env) -> None:
    env.control.set_phone(COUNSELOR, "busy")
    call = env.twilio.calls.create(
        to=COUNSELOR, from_=LINE, url=f"{env.base}/page", status_callback=f"{env.base}/call-status"
    )
    env.control.wait_for_status(call.sid, "busy")
    [status] = env.wait_hook("/call-status", CallSid=call.sid)
    assert status.params["CallStatus"] == "busy"


def test_dial_number_bridges_and_posts_dial_action(env: Env) -> None:
    sid = env.control.place_call(CALLER, LINE, digits="2")
    call = env.control.wait_for(lambda: (c := env.control.get_call(sid))["children"] and c or None)
    [leg_sid] = call["children"]
    leg = env.control.wait_for_status(leg_sid, "in-progress")
    assert leg["direction"] == "outbound-dial"
    assert leg["parent_call_sid"] == sid
    assert leg["from"] == CALLER
    env.control.hangup(leg_sid)
    [after] = env.wait_hook("/after", CallSid=sid)
    assert after.valid
    assert after.params["DialCallStatus"] == "completed"
    assert after.params["DialCallSid"] == leg_sid
    env.control.wait_for_status(sid, "completed")


def test_hangup_from_twilio_client(env: Env) -> None:
    sid = env.control.place_call(CALLER, LINE)
    env.control.wait_for(lambda: "gather" in kinds(env.control.get_call(sid)))
    env.twilio.calls(sid).update(status="completed")
    env.control.wait_for_status(sid, "completed")
    [status] = env.wait_hook("/status", CallSid=sid)
    assert status.params["CallStatus"] == "completed"


def test_record_ends_on_key_and_posts_recording(env: Env) -> None:
    env.control.register_number("+8610012320", f"{env.base}/voicemail")
    sid = env.control.place_call(CALLER, "+8610012320")
    env.control.wait_for(lambda: "record" in kinds(env.control.get_call(sid)))
    env.control.press(sid, "#")
    [recorded] = env.wait_hook("/recorded", CallSid=sid)
    assert recorded.valid
    assert recorded.params["RecordingSid"].startswith("RE")
    assert recorded.params["RecordingUrl"].startswith(f"{env.sim_url}/2010-04-01/Accounts/")
    assert recorded.params["Digits"] == "#"
    assert int(recorded.params["RecordingDuration"]) >= 0
    env.control.wait_for_status(sid, "completed")


def test_hanging_up_while_recording_still_posts_the_action(env: Env) -> None:
    env.control.register_number("+8610012320", f"{env.base}/voicemail")
    sid = env.control.place_call(CALLER, "+8610012320")
    env.control.wait_for(lambda: "record" in kinds(env.control.get_call(sid)))
    env.control.hangup(sid)
    [recorded] = env.wait_hook("/recorded", CallSid=sid)
    assert recorded.params["Digits"] == "hangup"
    assert recorded.params["CallStatus"] == "completed"


def test_reject_busy(env: Env) -> None:
    env.control.register_number("+8610012320", f"{env.base}/reject")
    sid = env.control.place_call(CALLER, "+8610012320")
    call = env.control.wait_for_status(sid, "busy")
    assert not call["answered"]


def test_webhook_retried_once_on_5xx(env: Env) -> None:
    env.control.register_number("+8610012320", f"{env.base}/flaky")
    sid = env.control.place_call(CALLER, "+8610012320")
    call = env.control.wait_for_status(sid, "completed")
    hooks = env.recorder.find("/flaky", CallSid=sid)
    assert len(hooks) == 2 and all(h.valid for h in hooks)
    [webhook] = [e for e in call["transcript"] if e["kind"] == "webhook"]
    assert webhook["detail"]["attempts"] == 2 and webhook["detail"]["status"] == 200
    assert [e["text"] for e in call["transcript"] if e["kind"] == "say"] == ["Second time lucky."]
