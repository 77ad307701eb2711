"""The live board over a mix of voice calls and text conversations (tests/stats/channels.py):
each contact's channel, waiting and live by channel, a counselor holding two conversations, and
no listen / whisper / barge on a text."""

from __future__ import annotations

import pytest
from sqlmodel import select

from hotline.auth.models import Role
from hotline.board import service as board
from hotline.board.models import CallMonitor, MonitorMode
from hotline.calls.models import Call, CallState
from hotline.db import Database
from hotline.routing.models import AgentState
from hotline.stats import metrics
from tests.board.helpers import BoardClient, live_call
from tests.factories import PASSWORD, make_user
from tests.stack import Stack
from tests.stats.channels import T0, Mix, S, open_mix


def with_voice(db: Database, mix: Mix) -> dict[str, int]:
    """Add a voice call waiting and one live with bob (his leg in the conference)."""
    bob = make_user(db, "bob")
    with db.session() as session:
        waiting = Call(
            call_sid="CA" + "5" * 32,
            line_id=mix.line.id or 0,
            caller_hash="h-5",
            created_at=T0 + 41 * S,
            queued_at=T0 + 41 * S,
            state=CallState.queued,
        )
        live = Call(
            call_sid="CA" + "6" * 32,
            line_id=mix.line.id or 0,
            caller_hash="h-6",
            created_at=T0,
            queued_at=T0,
            state=CallState.connected,
            offered_to_id=bob.id,
            counselor_id=bob.id,
            accepted_at=T0 + 5 * S,
            connected_at=T0 + 6 * S,
            counselor_call_sid="CA" + "7" * 32,
        )
        session.add_all([waiting, live])
        session.flush()
        assert waiting.id is not None and live.id is not None
        return {"waiting": waiting.id, "live": live.id, "bob": bob.id or 0}


def test_the_board_counts_by_channel(db: Database) -> None:
    mix = open_mix(db)
    voice = with_voice(db, mix)
    sue = make_user(db, "sam", role=Role.supervisor, endpoint="+8613900000000")
    with db.session() as session:
        seen = board.board(session=session, user_id=sue.id or 0, now=T0 + 50 * S)

    channels = {row["channel"]: (row["waiting"], row["live"]) for row in seen["channels"]}
    assert channels == {"voice": (1, 1), "sms": (0, 1), "webchat": (0, 1), "wechat": (1, 0)}
    [line] = seen["lines"]
    assert line["queue_length"] == 2
    assert line["waiting_by_channel"] == {"voice": 1, "wechat": 1}

    calls = {c["call_id"]: (c["channel"], c["monitorable"]) for c in seen["calls"]}
    assert calls == {
        voice["live"]: ("voice", True),
        mix.calls["W1"]: ("webchat", False),
        mix.calls["S1"]: ("sms", False),
    }
    alice = next(c for c in seen["counselors"] if c["user_id"] == mix.alice.id)
    assert (alice["state"], alice["conversations"]) == ("chatting", 2)
    bob = next(c for c in seen["counselors"] if c["user_id"] == voice["bob"])
    assert bob["conversations"] == 0
    assert seen["counselors_by_state"]["chatting"] == 1

    # Monitoring a text is refused with its own reason, and leaves no monitor behind.
    with pytest.raises(board.BoardError) as refused, db.session() as session:
        supervisor = session.get(type(sue), sue.id)
        assert supervisor is not None
        board.start_monitor(
            session=session,
            user=supervisor,
            call_id=mix.calls["W1"],
            mode=MonitorMode.listen,
            now=T0 + 50 * S,
        )
    assert (refused.value.code, refused.value.status) == ("text_not_monitorable", 409)
    with db.session() as session:
        assert session.exec(select(CallMonitor)).all() == []


def test_chatting_is_time_on_duty() -> None:
    assert AgentState.chatting.value in metrics.ON_DUTY_STATES


def test_the_board_socket_shows_channels_and_refuses_to_monitor_a_text(quiet_app: Stack) -> None:
    stack = quiet_app
    mix = open_mix(stack.db)
    make_user(stack.db, "sam", role=Role.supervisor, endpoint="+8613900000000")
    client = BoardClient(stack.url, "sam", PASSWORD)
    try:
        seen = client.wait(lambda b: live_call(b, mix.calls["W1"]) is not None)
        assert live_call(seen, mix.calls["W1"])["channel"] == "webchat"  # type: ignore[index]
        alice = next(c for c in seen["counselors"] if c["user_id"] == mix.alice.id)
        assert (alice["state"], alice["conversations"]) == ("chatting", 2)

        client.send("monitor", call_id=mix.calls["S1"], mode="listen")
        error = client.wait_error("text_not_monitorable")
        assert "text conversation" in error["message"]
    finally:
        client.close()
