"""Paging calls through the simulator with real-time rings (the real twilio library): they stop
once someone acknowledges, from any channel, and pressing 1 then 1 on one joins the caller."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlmodel import select

from hotline.auth.models import Role, User
from hotline.escalation.models import (
    Escalation,
    EscalationLog,
    EscalationPolicy,
    EscalationStatus,
    Page,
)
from hotline.lines.models import Line
from hotline.simulator.console_client import ConsoleClient
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.escalation.test_response import act
from tests.factories import PASSWORD, make_line, make_rota, make_user
from tests.notes.test_api import NoteClient
from tests.stack import Stack, running_stack

LINE = "+8657796525"
CALLER = "+8613812341111"
PHONE_A = "+8613900006661"
PHONE_B = "+8613900006662"
ENDED = ("canceled", "completed")


def voice_policy(stack: Stack, line: Line, people: list[User]) -> None:
    """The line pages these people by console and voice call, once."""
    with stack.db.session() as session:
        policy = EscalationPolicy(
            name="voice",
            repeat=1,
            steps=[
                {
                    "targets": [{"kind": "user", "id": p.id} for p in people],
                    "channels": ["console", "voice"],
                    "wait_minutes": 5,
                }
            ],
        )
        session.add(policy)
        session.flush()
        found = session.get(Line, line.id)
        assert found is not None
        found.escalation_policy_id = policy.id


def live_call(stack: Stack) -> tuple[str, int]:
    """A caller through the simulator, connected to alice's phone; (caller's CallSid, call id)."""
    stack.dispatcher.sync_numbers()
    counselor = ConsoleClient(stack.url, "alice", PASSWORD)
    counselor.send("set_state", state="available", reason=None)
    counselor.state("available")
    sid: str = stack.simulator.place_call(CALLER, LINE, digits="1")
    offer = counselor.offer()
    counselor.send("accept", call_id=offer["call_id"])
    counselor.wait(lambda s: (s.get("call") or {}).get("state") == "connected")
    counselor.close()
    call_id: int = offer["call_id"]
    return sid, call_id


def escalate(stack: Stack, call_id: int) -> int:
    response = NoteClient(stack, "alice").post(
        f"/api/calls/{call_id}/escalate", {"reason": "Pills at hand"}
    )
    assert response.status_code == 200, response.text
    escalation_id: int = response.json()["id"]
    stack.dispatcher.tick()
    return escalation_id


def paging_call(stack: Stack, phone: str) -> dict[str, Any]:
    """The paging call to `phone`, once the page has recorded it as sent."""

    def sent() -> bool:
        with stack.db.session() as session:
            return any(p.provider_sid for p in session.exec(select(Page)) if p.channel == "voice")

    calls = stack.simulator.wait_for(lambda: stack.simulator.list_calls(to=phone))
    stack.simulator.wait_for(sent)
    return calls[0]


def log_of(stack: Stack, escalation_id: int) -> list[tuple[str, str | None]]:
    with stack.db.session() as session:
        return [
            (e.kind, e.channel)
            for e in session.exec(
                select(EscalationLog)
                .where(EscalationLog.escalation_id == escalation_id)
                .order_by(EscalationLog.id)  # type: ignore[arg-type]
            )
        ]


def test_acknowledging_in_the_console_ends_the_other_paging_calls(database_url: str) -> None:
    # Real-time rings: an unanswered paging call would ring on for 30 s.
    with running_stack(database_url, gather_time_scale=1.0) as stack:
        line = make_line(stack.db, number=LINE)
        make_user(stack.db, "alice")
        first = make_user(stack.db, "zhao", role=Role.crisis, endpoint=PHONE_A)
        second = make_user(stack.db, "qian", role=Role.crisis, endpoint=PHONE_B)
        voice_policy(stack, line, [first, second])
        stack.simulator.set_phone(PHONE_A, "manual")
        stack.simulator.set_phone(PHONE_B, "manual")
        _sid, call_id = live_call(stack)
        escalation_id = escalate(stack, call_id)
        ringing = paging_call(stack, PHONE_A)["sid"]
        playing = paging_call(stack, PHONE_B)["sid"]
        stack.simulator.answer(playing)  # qian hears the alert; zhao's phone still rings
        stack.simulator.wait_for_status(playing, "in-progress")
        stack.simulator.wait_for(lambda: len(paging_sids(stack)) == 2)

        assert act(NoteClient(stack, "zhao"), escalation_id, "ack").status_code == 200
        assert stack.simulator.wait_for_status(ringing, *ENDED)["status"] == "canceled"
        assert stack.simulator.wait_for_status(playing, *ENDED)["status"] == "completed"
        assert ("acknowledged", "console") in log_of(stack, escalation_id)


def test_an_sms_reply_ends_the_paging_calls_too(database_url: str) -> None:
    with running_stack(database_url, gather_time_scale=1.0) as stack:
        line = make_line(stack.db, number=LINE)
        make_user(stack.db, "alice")
        first = make_user(stack.db, "zhao", role=Role.crisis, endpoint=PHONE_A)
        second = make_user(stack.db, "qian", role=Role.crisis, endpoint=PHONE_B)
        voice_policy(stack, line, [first, second])
        with stack.db.session() as session:  # voice and SMS this time
            policy = session.exec(select(EscalationPolicy)).one()
            policy.steps = [{**policy.steps[0], "channels": ["sms", "voice"]}]
        stack.simulator.set_phone(PHONE_A, "manual")
        stack.simulator.set_phone(PHONE_B, "manual")
        _sid, call_id = live_call(stack)
        escalation_id = escalate(stack, call_id)
        ringing_a = paging_call(stack, PHONE_A)["sid"]
        ringing_b = paging_call(stack, PHONE_B)["sid"]
        stack.simulator.wait_for(lambda: len(paging_sids(stack)) == 2)
        stack.simulator.send_sms(PHONE_B, LINE, "1")  # qian acknowledges by SMS
        assert stack.simulator.wait_for_status(ringing_a, *ENDED)["status"] == "canceled"
        assert stack.simulator.wait_for_status(ringing_b, *ENDED)["status"] == "canceled"
        assert ("acknowledged", "sms") in log_of(stack, escalation_id)


def paging_sids(stack: Stack) -> list[str]:
    with stack.db.session() as session:
        pages = session.exec(select(Page)).all()
        return [p.provider_sid for p in pages if p.provider_sid and p.channel == "voice"]


def test_pressing_1_then_1_joins_the_caller_from_the_paging_call(database_url: str) -> None:
    with running_stack(database_url, gather_time_scale=1.0) as stack:
        make_line(stack.db, number=LINE)
        make_user(stack.db, "alice")
        worker = make_user(stack.db, "zhao", role=Role.crisis, endpoint=PHONE_A)
        make_rota(stack.db, "crisis", [worker])
        stack.simulator.set_phone(PHONE_A, "manual")
        sid, call_id = live_call(stack)
        escalation_id = escalate(stack, call_id)
        paging = paging_call(stack, PHONE_A)["sid"]
        stack.simulator.press(paging, "11")  # acknowledge, then join
        stack.simulator.answer(paging)

        def joined() -> bool:
            with stack.db.session() as session:
                escalation = session.get(Escalation, escalation_id)
                return escalation is not None and escalation.status == EscalationStatus.joined

        stack.simulator.wait_for(joined)
        log = log_of(stack, escalation_id)
        assert ("acknowledged", "voice") in log and ("join_requested", "voice") in log
        assert ("joined", None) in log
        conference = stack.simulator.get_conference(sid)
        assert conference["status"] == "in-progress"
        present = {
            (p["label"] or "caller"): p["call_sid"]
            for p in conference["participants"]
            if p["status"] == "connected"
        }
        # The paging call itself is in the caller's conference, with the crisis label.
        assert present.get(f"crisis:{worker.id}") == paging and "caller" in present


def test_acknowledging_with_the_console_button_stops_the_paging_call(database_url: str) -> None:
    """In Chromium: the crisis worker clicks Acknowledge while their phone still rings with the
    page; the ringing paging call is cancelled at once."""
    with running_stack(database_url, gather_time_scale=1.0) as stack:
        line = make_line(stack.db, number=LINE)
        make_user(stack.db, "alice")
        worker = make_user(stack.db, "zhao", role=Role.crisis, endpoint=PHONE_A)
        voice_policy(stack, line, [worker])
        stack.simulator.set_phone(PHONE_A, "manual")
        _sid, call_id = live_call(stack)
        with chromium() as browser:
            crisis = browser.new_context().new_page()
            sign_in(crisis, stack.url, "zhao")
            escalation_id = escalate(stack, call_id)
            ringing = paging_call(stack, PHONE_A)["sid"]
            alert = crisis.get_by_test_id("alert-row")
            expect(alert).to_have_attribute("data-status", "paging", timeout=10_000)
            crisis.get_by_test_id("btn-ack").click()
            expect(alert).to_have_attribute("data-status", "acknowledged", timeout=10_000)
            assert stack.simulator.wait_for_status(ringing, *ENDED)["status"] == "canceled"
        assert ("acknowledged", "console") in log_of(stack, escalation_id)
