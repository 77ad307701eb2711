"""Whole calls over real HTTP and websockets, through the Twilio simulator, with a fake clock."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from hotline.calls.models import Call, CallState
from hotline.simulator.console_client import ConsoleClient
from tests.factories import PASSWORD, make_line, make_user
from tests.stack import Stack

LINE = "+8657796525"
PARTNER = "+8612356"
CALLER = "+8613812345678"


def test_unaccepted_offer_goes_to_the_next_counselor(stack: Stack) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "first")
    make_user(stack.db, "second")
    stack.dispatcher.sync_numbers()
    first = ConsoleClient(stack.url, "first", PASSWORD)
    first.send("set_state", state="available", reason=None)
    first.state("available")
    stack.clock.advance(5)  # `first` has been idle longer
    second = ConsoleClient(stack.url, "second", PASSWORD)
    second.send("set_state", state="available", reason=None)
    second.state("available")

    stack.simulator.place_call(CALLER, LINE, digits="1")
    offer = first.offer()
    stack.clock.advance(stack.settings.offer_timeout_s + 1)
    stack.dispatcher.tick()
    assert second.offer()["call_id"] == offer["call_id"]
    missed = first.wait(lambda s: s["offer"] is None)
    assert missed["agent"]["state"] == "available"
    first.close()
    second.close()


def test_callers_past_the_maximum_wait_are_forwarded_to_the_partner_line(stack: Stack) -> None:
    make_line(stack.db, number=LINE, max_queue_wait_s=30, partner_number=PARTNER)
    stack.dispatcher.sync_numbers()
    sid = stack.simulator.place_call(CALLER, LINE, digits="1")
    stack.simulator.wait_for(lambda: stack.simulator.get_call(sid).get("in_conference"))
    stack.clock.advance(31)
    stack.dispatcher.tick()

    def forwarded() -> bool:
        transcript = stack.simulator.get_call(sid).get("transcript", [])
        return any(e["kind"] == "dial" and PARTNER in str(e) for e in transcript)

    stack.simulator.wait_for(forwarded)
    with stack.db.session() as session:
        call = session.exec(select(Call)).one()
        assert call.state == CallState.overflow and call.end_reason == "max_wait"


def test_no_caller_number_in_any_log_line(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    stack.dispatcher.sync_numbers()
    with caplog.at_level(logging.DEBUG):
        console = ConsoleClient(stack.url, "alice", PASSWORD)
        console.send("set_state", state="available", reason=None)
        sid = stack.simulator.place_call(CALLER, LINE, digits="9")
        offer = console.offer()
        console.send("accept", call_id=offer["call_id"])
        console.wait(lambda s: (s["call"] or {}).get("state") == "connected")
        stack.simulator.hangup(sid)
        console.state("wrap_up")
        console.close()
    assert len(caplog.records) > 20, "logging was not captured: the check would prove nothing"
    digits = CALLER.lstrip("+")
    leaked = [
        r.getMessage()
        for r in caplog.records
        if digits in r.getMessage() or digits[-8:] in r.getMessage()
    ]
    assert leaked == []
