"""The REST subset through the real twilio library, messages, the page, standalone serving."""

from __future__ import annotations

import httpx
import pytest
from simtools import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CALLER,
    CONTROL_TOKEN,
    COUNSELOR,
    LINE,
    Env,
    Recorder,
    bound_socket,
    customer_app,
    serve,
)
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from hotline.simulator.app import SimulatorConfig, create_simulator_app
from hotline.simulator.client import SimulatorControl


def test_bad_credentials_are_refused(env: Env) -> None:
    client = env.twilio_client(auth_token="wrong")
    with pytest.raises(TwilioRestException) as raised:
        client.calls.create(to=COUNSELOR, from_=LINE, url=f"{env.base}/page")
    assert raised.value.status == 401
    assert raised.value.code == 20003
    with pytest.raises(TwilioRestException) as raised:
        client.conferences("CF" + "0" * 32).fetch()
    assert raised.value.status == 401
    # The library reports a refused list page with a plain TwilioException, as with Twilio.
    with pytest.raises(TwilioException, match="401"):
        client.calls.list()
    assert env.control.list_calls() == []


def test_unknown_call_is_404(env: Env) -> None:
    with pytest.raises(TwilioRestException) as raised:
        env.twilio.calls("CA" + "0" * 32).fetch()
    assert raised.value.status == 404
    assert raised.value.code == 20404


def test_missing_parameter_is_400(env: Env) -> None:
    with pytest.raises(TwilioRestException) as raised:
        env.twilio.calls.create(to=COUNSELOR, from_=LINE)
    assert raised.value.status == 400


def test_incoming_phone_numbers_sync_like_the_app(env: Env) -> None:
    number = "+8610012356"
    assert env.twilio.incoming_phone_numbers.list(phone_number=number) == []
    created = env.twilio.incoming_phone_numbers.create(
        phone_number=number,
        voice_url=f"{env.base}/broken",
        voice_method="POST",
        status_callback=f"{env.base}/status",
        status_callback_method="POST",
    )
    assert created.sid.startswith("PN") and created.phone_number == number
    [existing] = env.twilio.incoming_phone_numbers.list(phone_number=number)
    existing.update(voice_url=f"{env.base}/voice", voice_method="POST")
    assert env.twilio.incoming_phone_numbers(created.sid).fetch().voice_url == f"{env.base}/voice"
    sid = env.control.place_call(CALLER, number, digits="1")
    env.wait_hook("/gather", Digits="1", CallSid=sid)
    env.control.hangup(sid)


def test_calls_list_and_filters(env: Env) -> None:
    first = env.control.place_call(CALLER, LINE)
    env.control.place_call("+8613700000000", LINE)
    calls = env.twilio.calls.list(from_=CALLER)
    assert [c.sid for c in calls] == [first]
    assert calls[0].direction == "inbound" and calls[0].to == LINE
    assert len(env.twilio.calls.list(to=LINE, limit=1)) == 1
    everything = env.twilio.calls.list(page_size=1)
    assert len(everything) == 2
    for call in everything:
        env.twilio.calls(call.sid).update(status="completed")


def test_messages_out_and_in(env: Env) -> None:
    message = env.twilio.messages.create(
        to=COUNSELOR,
        from_=LINE,
        body="High-risk call waiting on line 96525.",
        status_callback=f"{env.base}/call-status",
    )
    assert message.sid.startswith("SM")
    assert message.status == "queued"
    assert message.body == "High-risk call waiting on line 96525."
    delivered = env.wait_hook("/call-status", MessageStatus="delivered", MessageSid=message.sid)
    assert delivered[0].valid and delivered[0].params["MessageSid"] == message.sid
    assert env.twilio.messages(message.sid).fetch().status == "delivered"
    assert [m.sid for m in env.twilio.messages.list(to=COUNSELOR)] == [message.sid]

    env.control.send_sms(CALLER, LINE, "Please call me back")
    [inbound] = env.wait_hook("/sms", Body="Please call me back")
    assert inbound.valid
    assert inbound.params["Body"] == "Please call me back"
    assert inbound.params["From"] == CALLER and inbound.params["To"] == LINE
    replies = [m for m in env.control.list_messages() if m["direction"] == "outbound-reply"]
    assert [(m["to"], m["body"]) for m in replies] == [(CALLER, "We got your message.")]


def test_page_is_translated_and_scripts_are_external(env: Env) -> None:
    page = httpx.get(f"{env.sim_url}/?lang=zh_CN")
    assert page.status_code == 200
    assert "电话模拟器" in page.text
    assert 'src="/sim/static/simulator.js"' in page.text
    assert page.text.count("<script") == 2
    assert 'type="application/json"' in page.text
    english = httpx.get(f"{env.sim_url}/", headers={"Accept-Language": "en-US,en;q=0.8"})
    assert "Phone simulator" in english.text
    assert LINE in english.text
    script = httpx.get(f"{env.sim_url}/static/simulator.js")
    assert script.status_code == 200 and "sim-settings" in script.text


def test_standalone_simulator_talks_to_another_server() -> None:
    app_socket, sim_socket = bound_socket(), bound_socket()
    app_base = "http://{}:{}".format(*app_socket.getsockname())
    sim_base = "http://{}:{}".format(*sim_socket.getsockname())
    recorder = Recorder()
    config = SimulatorConfig(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        public_url=sim_base,
        time_scale=0,
        control_token=CONTROL_TOKEN,
    )
    with (
        serve(customer_app(recorder, app_base), app_socket),
        serve(create_simulator_app(config), sim_socket),
        SimulatorControl(sim_base, CONTROL_TOKEN) as control,
    ):
        client = Client(ACCOUNT_SID, AUTH_TOKEN)
        client.api.base_url = sim_base
        client.incoming_phone_numbers.create(phone_number=LINE, voice_url=f"{app_base}/voice")
        sid = control.place_call(CALLER, LINE, digits="1")
        control.wait_for(lambda: recorder.find("/gather", Digits="1"))
        control.wait_for(lambda: control.get_call(sid)["in_conference"])
        assert all(hook.valid for hook in recorder.hooks)
