"""The console websocket over a real connection: auth, origin, commands, resync."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from hotline.app import create_app
from hotline.auth import service as auth
from hotline.auth.models import Role
from hotline.calls.models import Call, CallState
from hotline.simulator.console_client import ConsoleClient
from tests.calls import inbound
from tests.factories import PASSWORD, make_line, make_user
from tests.servers import ServerThread, bind_free_socket
from tests.stack import Stack, make_settings


def ws_url(stack: Stack) -> str:
    return stack.url.replace("http://", "ws://") + "/ws/console"


def test_websocket_without_sign_in_is_closed_4401(app_only: Stack) -> None:
    with connect(ws_url(app_only)) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def test_websocket_from_another_site_is_refused(app_only: Stack) -> None:
    make_user(app_only.db, "alice")
    console = ConsoleClient(app_only.url, "alice", PASSWORD)
    headers = {"Cookie": console.cookie, "Origin": "https://evil.example"}
    with (
        connect(ws_url(app_only), additional_headers=headers) as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    console.close()


def test_commands_and_errors(app_only: Stack) -> None:
    make_user(app_only.db, "alice")
    console = ConsoleClient(app_only.url, "alice", PASSWORD)
    assert console.state("offline")["offer"] is None
    console.send("ping", id=7)
    pong = json.loads(console.ws.recv(timeout=5))
    while pong.get("type") != "pong":
        pong = json.loads(console.ws.recv(timeout=5))
    assert pong == {"type": "pong", "id": 7}
    console.ws.send("not json")
    console.send("set_state", state="break", reason=None)
    console.send("accept", call_id=12345)
    console.send("set_state", state="break", reason="meal")
    snapshot = console.state("break")
    assert snapshot["agent"]["reason"] == "meal"
    codes = [e["code"] for e in console.errors]
    assert codes == ["bad_message", "break_reason_required", "offer_gone"]
    assert all(e["message"] for e in console.errors)
    console.close()


def test_offer_survives_reconnect_and_server_restart(app_only: Stack) -> None:
    make_line(app_only.db)
    make_user(app_only.db, "alice")
    console = ConsoleClient(app_only.url, "alice", PASSWORD)
    console.send("set_state", state="available", reason=None)
    console.state("available")
    app_only.webhook("/twilio/voice/incoming", inbound())
    app_only.webhook("/twilio/voice/gather", {**inbound(), "Digits": "9"})
    offer = console.offer()
    assert offer["in_danger"] is True and offer["line_number"] == "+8657796525"

    console.reconnect()
    console.last = None
    assert console.offer(timeout=5)["call_id"] == offer["call_id"]

    # A new server process on the same database: the page reconnects and finds the same state.
    app_only.server.stop()
    sock = bind_free_socket()
    settings = make_settings(app_only.settings.database_url, sock.getsockname()[1], None)
    restarted = ServerThread(create_app(settings, clock=app_only.clock), sock).start()
    try:
        console.base_url = restarted.url
        console.http.base_url = restarted.url  # type: ignore[assignment]
        console.ws = console.connect()
        console.last = None
        snapshot = console.wait(lambda s: s["offer"] is not None, timeout=5)
        assert snapshot["offer"]["call_id"] == offer["call_id"]
        assert snapshot["agent"]["state"] == "offered"
    finally:
        console.close()
        restarted.stop()


def set_endpoint(stack: Stack, username: str, endpoint: str) -> None:
    with stack.db.session() as session:
        user = auth.get_by_username(session=session, username=username)
        assert user is not None
        user.endpoint = endpoint
        session.add(user)


@pytest.mark.parametrize("endpoint", ["", "13900000001", "+86", "client:", "sip:nobody"])
def test_no_phone_no_calls(app_only: Stack, endpoint: str) -> None:
    make_line(app_only.db)
    make_user(app_only.db, "root", role=Role.admin)
    set_endpoint(app_only, "root", endpoint)
    console = ConsoleClient(app_only.url, "root", PASSWORD)
    console.state("offline")
    console.send("set_state", state="available", reason=None)
    console.send("set_state", state="break", reason="rest")  # the next command still works
    assert console.state("break")["agent"]["state"] == "break"
    assert [e["code"] for e in console.errors] == ["no_phone"]
    assert "no phone number" in console.errors[0]["message"]
    console.close()


def test_a_phone_removed_while_available_gets_no_offer(app_only: Stack) -> None:
    make_line(app_only.db)
    make_user(app_only.db, "alice", endpoint="client:alice")
    console = ConsoleClient(app_only.url, "alice", PASSWORD)
    console.send("set_state", state="available", reason=None)
    console.state("available")
    set_endpoint(app_only, "alice", "")
    app_only.webhook("/twilio/voice/incoming", inbound())
    app_only.webhook("/twilio/voice/gather", {**inbound(), "Digits": "1"})
    app_only.dispatcher.tick()
    with app_only.db.session() as session:
        assert session.exec(select(Call)).one().state == CallState.queued
    set_endpoint(app_only, "alice", "sip:alice@pbx.example.org")
    app_only.dispatcher.tick()
    assert console.offer()["line_number"] == "+8657796525"
    console.close()
