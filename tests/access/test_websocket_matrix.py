"""The websockets with every role: who may connect, and every command sent by someone it is not
for (another counselor's call, a counselor on the board) is refused and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.access.test_access_matrix import IDENTITIES, SUPERVISING, client_for, seed
from tests.fuzz.test_fuzz import row_counts
from tests.stack import Stack

SOCKETS = {"/ws/console": set(IDENTITIES) - {"anonymous"}, "/ws/board": SUPERVISING}
CLOSE_CODES = {"anonymous": 4401}  # everyone else refused: 4403


def open_socket(stack: Stack, identity: str, path: str) -> ClientConnection:
    http, _token = client_for(stack, identity)
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    url = stack.url.replace("http://", "ws://") + path
    return connect(url, additional_headers={"Cookie": cookie}, open_timeout=10)


def first_message(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(ws.recv(timeout=10))
    return message


def replies_to(ws: ClientConnection, command: dict[str, Any], marker: int) -> list[str]:
    """Send a command, then a ping; the types of what came back before the pong."""
    ws.send(json.dumps(command))
    ws.send(json.dumps({"type": "ping", "id": marker}))
    seen: list[str] = []
    while True:
        message = first_message(ws)
        if message.get("type") == "pong" and message.get("id") == marker:
            return seen
        seen.append(str(message.get("type")))


def test_who_may_open_each_socket(app_only: Stack) -> None:
    seed(app_only)
    for path, allowed in SOCKETS.items():
        for identity in IDENTITIES:
            with open_socket(app_only, identity, path) as ws:
                if identity in allowed:
                    assert first_message(ws)["type"] in ("snapshot", "board"), (path, identity)
                    continue
                with pytest.raises(ConnectionClosed) as closed:
                    first_message(ws)
                assert closed.value.rcvd is not None
                assert closed.value.rcvd.code == CLOSE_CODES.get(identity, 4403), (path, identity)


def test_commands_for_someone_else_are_refused_and_change_nothing(quiet_app: Stack) -> None:
    app_only = quiet_app
    ids = seed(app_only)
    call_id = ids["call_id"]
    commands = [
        {"type": "accept", "call_id": call_id},
        {"type": "decline", "call_id": call_id},
        {"type": "hangup", "call_id": call_id},
        {"type": "finish_wrap_up", "call_id": call_id},
        {"type": "request_help", "call_id": call_id},
        {"type": "set_state", "state": "on_call"},  # not a state one may choose
        {"type": "no_such_command"},
    ]
    for identity in ("bob", "zhao", "wang", "root"):  # none of them is on this call
        with open_socket(app_only, identity, "/ws/console") as ws:
            assert first_message(ws)["type"] == "snapshot"
            for marker, command in enumerate(commands):
                before = row_counts(app_only)
                answers = replies_to(ws, command, marker)
                # Declining an offer that is not (or no longer) yours is a quiet no-op: offers
                # expire, so a late decline is normal. Everything else is an explicit refusal.
                if command["type"] != "decline":
                    assert "error" in answers, (identity, command, answers)
                assert row_counts(app_only) == before, (identity, command)
