"""The board websocket over real connections: who may read it, snapshots and updates (a note's
crisis level among them), and the counselor's help request from the console to the supervisor's
board."""

from __future__ import annotations

import pytest
from sqlmodel import select
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from agent_console.board import ws as board_router
from hotline.audit.models import AuditEvent
from hotline.auth.models import Role, User
from hotline.calls.models import CallEvent
from hotline.escalation.models import Escalation
from hotline.simulator.console_client import ConsoleClient
from tests.board.helpers import BoardClient, live_call
from tests.calls import connected_call, inbound
from tests.factories import PASSWORD, make_line, make_user
from tests.notes.test_api import NoteClient
from tests.stack import Stack


def ws_url(stack: Stack) -> str:
    return stack.url.replace("http://", "ws://") + "/ws/board"


def closed_with(stack: Stack, cookie: str | None) -> int | None:
    headers = {"Cookie": cookie} if cookie else {}
    with (
        connect(ws_url(stack), additional_headers=headers) as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):
        ws.recv(timeout=5)
    return closed.value.rcvd.code if closed.value.rcvd else None


def test_only_supervisors_and_admins_get_the_board(app_only: Stack) -> None:
    make_user(app_only.db, "alice")
    make_user(app_only.db, "sam", role=Role.supervisor)
    make_user(app_only.db, "ada", role=Role.admin)
    assert closed_with(app_only, None) == 4401
    counselor = ConsoleClient(app_only.url, "alice", PASSWORD)
    assert closed_with(app_only, counselor.cookie) == 4403
    counselor.close()
    for name in ("sam", "ada"):
        client = BoardClient(app_only.url, name, PASSWORD)
        assert client.wait(lambda b: True)["type"] == "board"
        client.close()
    # The page too: a counselor is refused, a supervisor's view is audited.
    page = ConsoleClient(app_only.url, "alice", PASSWORD)
    assert page.http.get("/supervisor/board").status_code == 403
    page.close()
    supervisor = ConsoleClient(app_only.url, "sam", PASSWORD)
    assert supervisor.http.get("/supervisor/board").status_code == 200
    supervisor.close()
    with app_only.db.session() as session:
        viewed = session.exec(select(AuditEvent).where(AuditEvent.object_type == "board")).all()
    assert [(e.username, e.action.value) for e in viewed] == [("sam", "view")]


def test_updates_are_pushed_and_a_demoted_supervisor_is_cut_off(app_only: Stack) -> None:
    make_line(app_only.db)
    make_user(app_only.db, "sam", role=Role.supervisor)
    board = BoardClient(app_only.url, "sam", PASSWORD)
    first = board.wait(lambda b: True)
    assert first["lines"][0]["queue_length"] == 0
    app_only.webhook("/twilio/voice/incoming", inbound())
    app_only.webhook("/twilio/voice/gather", {**inbound(), "Digits": "9"})
    queued = board.wait(lambda b: b["lines"][0]["queue_length"] == 1)
    assert queued["lines"][0]["longest_wait_since"] == app_only.clock.now().isoformat()

    with app_only.db.session() as session:
        user = session.exec(select(User).where(User.username == "sam")).one()
        user.role = Role.counselor
    board.send("resync")
    with pytest.raises(ConnectionClosed) as closed:
        board.wait(lambda b: False, timeout=5)
    # The session ends with the role (a session never outlives its role): closed as signed out.
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    board.close()


def test_help_request_from_console_to_board_and_back(app_only: Stack) -> None:
    make_line(app_only.db)
    make_user(app_only.db, "sam", role=Role.supervisor)
    call_id, _ = connected_call(app_only, "CA" + "1" * 32, "alice")
    console = ConsoleClient(app_only.url, "alice", PASSWORD)
    board = BoardClient(app_only.url, "sam", PASSWORD)
    supervisor_console = ConsoleClient(app_only.url, "sam", PASSWORD)
    assert supervisor_console.wait(lambda s: True)["help_alerts"] == []
    snapshot = console.wait(lambda s: s["call"] is not None)
    assert "help_alerts" not in snapshot  # a counselor is never alerted
    assert snapshot["call"]["help"] is None

    console.send("request_help", call_id=call_id)
    asked = console.wait(lambda s: (s["call"].get("help") or {}).get("status") == "open")
    assert asked["call"]["help"]["acknowledged_by"] is None
    seen = board.wait(lambda b: bool(b["help_requests"]))
    [request] = seen["help_requests"]
    assert request["call_id"] == call_id and request["for_me"] is True
    assert request["counselor_name"] == "Alice"
    alerted = supervisor_console.wait(lambda s: bool(s["help_alerts"]))
    assert alerted["help_alerts"][0]["help_id"] == request["help_id"]

    board.send("ack_help", help_id=request["help_id"])
    board.wait(lambda b: b["help_requests"] == [])
    taken = console.wait(lambda s: s["call"]["help"]["status"] == "acknowledged")
    supervisor_console.wait(lambda s: s["help_alerts"] == [])
    assert taken["call"]["help"]["acknowledged_by"] == "Sam"
    board.send("ack_help", help_id=request["help_id"])  # a second supervisor is too late
    assert board.wait_error("help_already_handled")["message"]
    console.send("request_help", call_id=call_id + 99)
    console.wait(lambda s: bool(console.errors))
    assert console.errors[-1]["code"] == "no_live_call"

    with app_only.db.session() as session:
        events = [
            e.state for e in session.exec(select(CallEvent).where(CallEvent.call_id == call_id))
        ]
        audit = session.exec(select(AuditEvent).where(AuditEvent.detail == "help:acknowledged"))
        assert [(e.object_type, e.object_id) for e in audit] == [("call", str(call_id))]
    assert events.count("help_requested") == 1 and events.count("help_acknowledged") == 1
    console.close()
    supervisor_console.close()
    board.close()


def test_a_crisis_level_change_reaches_the_board_at_once(
    app_only: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No escalation (moderate is below high): the colour comes with the note's save, not with
    the board's periodic refresh (pushed back out of reach here)."""
    monkeypatch.setattr(board_router, "REFRESH_S", 3600.0)
    make_line(app_only.db)
    make_user(app_only.db, "sam", role=Role.supervisor)
    call_id, _ = connected_call(app_only, "CA" + "1" * 32, "alice")
    alice = NoteClient(app_only, "alice")
    board = BoardClient(app_only.url, "sam", PASSWORD)
    seen = board.wait(lambda b: live_call(b, call_id) is not None)
    assert live_call(seen, call_id)["colour"] is None  # type: ignore[index]

    # The screener's suggestion (Q1 only: low) is the colour until the counselor confirms one.
    saved = alice.put(call_id, 1, screener={"q1_wish_dead": True})
    assert saved.status_code == 200, saved.text
    seen = board.wait(lambda b: (live_call(b, call_id) or {}).get("colour") == "yellow", 5)
    saved = alice.put(call_id, 2, crisis_level="moderate", call_type="self")
    assert saved.status_code == 200, saved.text
    seen = board.wait(lambda b: (live_call(b, call_id) or {}).get("colour") == "orange", 5)
    assert live_call(seen, call_id)["escalated"] is False  # type: ignore[index]
    with app_only.db.session() as session:
        assert session.exec(select(Escalation)).all() == []
    alice.console.close()
    board.close()
