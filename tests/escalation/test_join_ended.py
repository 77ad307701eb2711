"""Joining a call whose caller has hung up is refused: the responder is never left alone in a
fresh, empty conference, and the console, board and escalation log say when the call ended."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from hotline.auth.models import Role
from hotline.calls.models import Call, CallState
from hotline.escalation.models import Escalation, EscalationStatus
from hotline.simulator.console_client import ConsoleClient
from tests.board.helpers import BoardClient
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.escalation.test_response import CALL_SID, act, escalated, kinds, status_of
from tests.factories import PASSWORD, make_line, make_rota, make_user
from tests.notes.test_api import NoteClient
from tests.stack import Stack

LINE = "+8657796525"
CALLER = "+8613812340000"
CRISIS_PHONE = "+8613900004444"
CALLBACK = "+8613812349876"


def caller_hangs_up(stack: Stack, call_sid: str = CALL_SID) -> None:
    """The caller's leg ends, as Twilio reports it."""
    ended = {"CallSid": call_sid, "CallStatus": "completed", "AccountSid": "AC" + "1" * 32}
    assert stack.webhook("/twilio/voice/status", ended).status_code == 200


def test_joining_after_the_caller_hung_up_is_refused(app_only: Stack) -> None:
    call_id, escalation_id, alice, zhao = escalated(app_only, level="high")
    assert act(zhao, escalation_id, "ack").status_code == 200
    # The note has a number to call back, with consent: the refusal says so, never the number.
    note = alice.get(f"/api/calls/{call_id}/note").json()
    saved = alice.put(
        call_id,
        note["version"],
        follow_up={"wanted": True, "consent": True, "callback_number": CALLBACK},
    )
    assert saved.status_code == 200, saved.text
    caller_hangs_up(app_only)

    refused = act(zhao, escalation_id, "join")
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "caller_gone" and body["call_back"] == "callback_number"
    assert body["call_ended_at"].startswith("2026-11-23T03:00")
    # 03:00 UTC is 11:00 on the line's clock (Asia/Shanghai).
    assert "11:00" in body["detail"] and "hung up" in body["detail"]
    assert CALLBACK not in refused.text and "9876" not in refused.text
    assert "join_requested" not in kinds(app_only, escalation_id)
    assert "caller_left" in kinds(app_only, escalation_id)
    assert status_of(app_only, escalation_id) == EscalationStatus.acknowledged
    # Calling back is still open to them.
    assert act(zhao, escalation_id, "called_back").status_code == 200


def test_a_call_handed_to_the_responder_ends_when_its_caller_leaves(app_only: Stack) -> None:
    call_id, escalation_id, alice, zhao = escalated(app_only, level="high")
    assert act(zhao, escalation_id, "ack").status_code == 200
    # The counselor's part ended (handed over) but the caller is still there: joinable.
    with app_only.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        call.state, call.end_reason = CallState.wrap_up, "handed_to_responder"
        call.ended_at = app_only.clock.now()
    app_only.clock.advance(120)
    assert act(zhao, escalation_id, "join").status_code == 200
    caller_hangs_up(app_only)
    refused = act(zhao, escalation_id, "join")
    assert refused.status_code == 409 and refused.json()["code"] == "caller_gone"
    assert refused.json()["call_ended_at"].startswith("2026-11-23T03:02")
    assert refused.json()["call_back"] is None


def live_call_escalated(stack: Stack) -> tuple[str, int, int, NoteClient]:
    """A call through the simulator, connected to alice and escalated; zhao acknowledged."""
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    worker = make_user(stack.db, "zhao", role=Role.crisis, endpoint=CRISIS_PHONE)
    make_rota(stack.db, "crisis", [worker])
    make_user(stack.db, "sam", role=Role.supervisor, endpoint="+8613900005555")
    stack.simulator.set_phone(CRISIS_PHONE, "manual")  # paging calls ring unanswered
    stack.dispatcher.sync_numbers()
    counselor = ConsoleClient(stack.url, "alice", PASSWORD)
    counselor.send("set_state", state="available", reason=None)
    counselor.state("available")
    sid = stack.simulator.place_call(CALLER, LINE, digits="1")
    offer = counselor.offer()
    counselor.send("accept", call_id=offer["call_id"])
    counselor.wait(lambda s: (s.get("call") or {}).get("state") == "connected")
    counselor.close()
    alice, zhao = NoteClient(stack, "alice"), NoteClient(stack, "zhao")
    raised = alice.post(f"/api/calls/{offer['call_id']}/escalate", {"reason": "Pills at hand"})
    assert raised.status_code == 200, raised.text
    escalation_id: int = raised.json()["id"]
    stack.dispatcher.tick()  # the first step pages zhao (console, SMS, voice)
    assert act(zhao, escalation_id, "ack").status_code == 200
    return sid, offer["call_id"], escalation_id, zhao


def caller_gone(stack: Stack, call_id: int) -> bool:
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        return call is not None and call.state != CallState.connected


def no_live_conference(stack: Stack, name: str) -> bool:
    return all(
        c["status"] == "completed"
        for c in stack.simulator.list_conferences()
        if c["friendly_name"] == name
    )


def test_no_empty_conference_is_left_through_the_simulator(stack: Stack) -> None:
    sid, call_id, escalation_id, zhao = live_call_escalated(stack)
    stack.simulator.hangup(sid)
    stack.simulator.wait_for(lambda: caller_gone(stack, call_id))
    stack.simulator.wait_for(lambda: no_live_conference(stack, sid))

    assert act(zhao, escalation_id, "join").json()["code"] == "caller_gone"
    # A join that was already on its way when the caller hung up: nothing is dialled.
    with stack.db.session() as session:
        worker_id = session.exec(select(Escalation.acknowledged_by)).one()
    assert worker_id is not None
    stack.dispatcher.connect_responder((call_id, worker_id))
    # One that raced past that check: its leg never starts a conference, and is ended on joining.
    stack.simulator.set_phone(CRISIS_PHONE, "auto")
    stack.dispatcher.telephony.dial_into_conference(
        conference=sid,
        to=CRISIS_PHONE,
        from_=LINE,
        label=f"crisis:{worker_id}",
        status_callback=stack.dispatcher.telephony.url(
            f"/twilio/participant/status?call_id={call_id}&user_id={worker_id}"
        ),
        start_conference=False,
    )
    stack.simulator.wait_for(lambda: "join_too_late" in kinds(stack, escalation_id))
    stack.simulator.wait_for(lambda: no_live_conference(stack, sid))
    conferences = [c for c in stack.simulator.list_conferences() if c["friendly_name"] == sid]
    assert len(conferences) == 2  # the caller's, and the one the late leg opened (now ended)
    assert not any(c["status"] == "in-progress" for c in conferences)
    assert "joined" not in kinds(stack, escalation_id)
    assert status_of(stack, escalation_id) == EscalationStatus.acknowledged

    # The board and the escalation log say when the call ended (11:00 on the line's clock).
    board = BoardClient(stack.url, "sam", PASSWORD)
    seen = board.wait(lambda b: bool(b["escalations"]))
    board.close()
    assert seen["escalations"][0]["call_ended_time"] == "11:00"
    sam = NoteClient(stack, "sam")
    log = sam.get("/supervisor/escalations?lang=en").text
    assert "Call ended" in log and "11:00" in log
    detail = sam.get(f"/supervisor/escalations/{escalation_id}?lang=en").text
    assert "The caller&#39;s call ended" in detail or "The caller's call ended" in detail


def test_the_crisis_worker_sees_the_call_ended_in_chromium(stack: Stack) -> None:
    sid, call_id, escalation_id, _zhao = live_call_escalated(stack)
    with chromium() as browser:
        crisis = browser.new_page()
        sign_in(crisis, stack.url, "zhao")
        alert = crisis.get_by_test_id("alert-row")
        expect(alert).to_have_attribute("data-status", "acknowledged", timeout=10_000)
        expect(alert.get_by_test_id("btn-join")).to_be_visible()
        expect(alert.get_by_test_id("alert-call-ended")).to_be_hidden()
        stack.simulator.hangup(sid)
        ended = alert.get_by_test_id("alert-call-ended")
        expect(ended).to_be_visible(timeout=10_000)
        expect(ended).to_contain_text("11:00")
        expect(ended).to_contain_text("hung up")
        expect(ended).to_contain_text("no number to call them back")
        expect(alert.get_by_test_id("btn-join")).to_be_hidden()
        expect(alert.get_by_test_id("btn-called-back")).to_be_visible()
    assert caller_gone(stack, call_id)


def test_the_crisis_worker_calls_the_caller_back_as_the_line_in_chromium(stack: Stack) -> None:
    """After the caller hung up, the acknowledging crisis worker asks the line to call them back:
    the line's number rings the caller's, and the number never reaches the page."""
    sid, call_id, _escalation_id, _zhao = live_call_escalated(stack)
    with chromium() as browser:
        crisis = browser.new_page()
        sign_in(crisis, stack.url, "zhao")
        alert = crisis.get_by_test_id("alert-row")
        expect(alert).to_have_attribute("data-status", "acknowledged", timeout=10_000)
        expect(alert.get_by_test_id("btn-dial-back")).to_be_hidden()  # the caller is on the line
        stack.simulator.hangup(sid)
        button = alert.get_by_test_id("btn-dial-back")
        expect(button).to_be_visible(timeout=10_000)
        button.click()
        expect(alert.get_by_test_id("alert-dial-back")).to_contain_text("calling the caller back")
        expect(button).to_be_hidden()
        stack.simulator.wait_for(
            lambda: stack.simulator.list_calls(direction="outbound-api", to=CALLER)
        )
        [back] = stack.simulator.list_calls(direction="outbound-api", to=CALLER)
        assert back["from"] == LINE
        assert CALLER not in crisis.content()
    assert caller_gone(stack, call_id)
