"""In real Chromium: a counselor tags a live simulated call high; the crisis worker on call gets
the alert in their console, acknowledges, and joins the caller's conference."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from hotline.auth.models import Role
from hotline.calls.models import Call
from hotline.escalation.models import Escalation, EscalationLog, EscalationStatus
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import make_line, make_rota, make_user
from tests.notes.test_api import NoteClient
from tests.notes.test_note_e2e import take_call
from tests.stack import Stack

LINE = "+8657796525"
CRISIS_PHONE = "+8613900001111"


def test_high_risk_reaches_the_crisis_worker_who_joins_the_call(stack: Stack) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    worker = make_user(stack.db, "zhao", role=Role.crisis, endpoint=CRISIS_PHONE)
    make_rota(stack.db, "crisis", [worker])
    stack.dispatcher.sync_numbers()
    with chromium() as browser:
        counselor = browser.new_context().new_page()
        crisis = browser.new_context().new_page()
        sign_in(counselor, stack.url, "alice")
        sign_in(crisis, stack.url, "zhao")
        counselor.get_by_test_id("btn-available").click()
        expect(counselor.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")
        take_call(counselor, stack)
        counselor.get_by_test_id("sq-q1_wish_dead-yes").check()
        counselor.get_by_test_id("sq-q2_suicidal_thoughts-yes").check()
        counselor.get_by_test_id("sq-q4_intent-yes").check()
        expect(counselor.get_by_test_id("escalation-banner")).to_be_visible(timeout=10_000)

        stack.dispatcher.tick()  # the first step of the policy: console, SMS and voice
        alert = crisis.get_by_test_id("alert-row")
        expect(alert).to_be_visible(timeout=10_000)
        expect(alert).to_have_attribute("data-status", "paging")
        crisis.get_by_test_id("btn-ack").click()
        expect(alert).to_have_attribute("data-status", "acknowledged", timeout=10_000)
        crisis.get_by_test_id("btn-join").click()
        expect(alert).to_have_attribute("data-status", "joined", timeout=10_000)
        crisis.get_by_test_id("btn-take-over").click()
        expect(alert).to_have_attribute("data-status", "took_over", timeout=10_000)
        expect(counselor.get_by_test_id("wrapup-panel")).to_be_visible(timeout=10_000)

    with stack.db.session() as session:
        escalation = session.exec(select(Escalation)).one()
        assert escalation.status == EscalationStatus.took_over
        kinds = [e.kind for e in session.exec(select(EscalationLog).order_by(EscalationLog.id))]
    assert kinds[0] == "triggered"
    assert {"page", "acknowledged", "join_requested", "joined", "took_over"} <= set(kinds)
    # The responder's phone really is in the caller's conference.
    conference = stack.simulator.get_conference(escalation_call_sid(stack, escalation.call_id))
    assert any(
        e.get("event") == "participant-join" and (e.get("label") or "").startswith("crisis:")
        for e in conference["events"]
    )
    # The counselor has left; the caller is still in the conference with the responder.
    stack.simulator.wait_for(
        lambda: all(
            p["status"] != "connected" or not (p["label"] or "").startswith("counselor:")
            for p in stack.simulator.get_conference(escalation_call_sid(stack, escalation.call_id))[
                "participants"
            ]
        )
    )
    conference = stack.simulator.get_conference(escalation_call_sid(stack, escalation.call_id))
    assert conference["status"] == "in-progress", conference
    present = {
        (p["label"] or "caller") for p in conference["participants"] if p["status"] == "connected"
    }
    assert "caller" in present and any(label.startswith("crisis:") for label in present)


def escalation_call_sid(stack: Stack, call_id: int) -> str:
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        return call.call_sid


def test_the_escalate_button_pages_the_crisis_team(stack: Stack) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    # Someone on the crisis rota, so the escalation is still paging them at the end (a rota with
    # nobody would alarm the supervisors at once).
    make_rota(stack.db, "crisis", [make_user(stack.db, "zhao", role=Role.crisis)])
    stack.dispatcher.sync_numbers()
    with chromium() as browser:
        page = browser.new_page()
        sign_in(page, stack.url, "alice")
        page.get_by_test_id("btn-available").click()
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")
        take_call(page, stack)
        page.get_by_test_id("escalate-box").locator("summary").click()
        page.get_by_test_id("btn-escalate").click()  # no reason yet: asked for one
        expect(page.get_by_test_id("escalate-status")).not_to_be_empty()
        page.get_by_test_id("escalate-reason").fill("Caller has the pills in hand")
        page.get_by_test_id("btn-escalate").click()
        expect(page.get_by_test_id("escalate-status")).to_have_attribute(
            "data-state", "raised", timeout=10_000
        )
        # Imminent danger: the counselor keeps the caller on the line and tracks the rescue.
        rescue = page.get_by_test_id("call-rescue")
        expect(rescue).to_be_hidden()
        raise_to_imminent(stack)
        expect(rescue).to_be_visible(timeout=10_000)
        expect(rescue.get_by_test_id("rescue-dispatched")).to_be_hidden()
        rescue.get_by_test_id("rescue-requested").click()
        expect(rescue.get_by_test_id("rescue")).to_have_attribute(
            "data-stage", "requested", timeout=10_000
        )
        rescue.get_by_test_id("rescue-failed").click()  # no note: asked for one, nothing sent
        expect(rescue.get_by_test_id("rescue-error")).to_be_visible()
        expect(rescue.get_by_test_id("rescue")).to_have_attribute("data-stage", "requested")
        rescue.get_by_test_id("rescue-dispatched").click()
        expect(rescue.get_by_test_id("rescue")).to_have_attribute(
            "data-stage", "dispatched", timeout=10_000
        )
    with stack.db.session() as session:
        escalation = session.exec(select(Escalation)).one()
        assert escalation.reason == "Caller has the pills in hand"
        assert escalation.status == EscalationStatus.paging


def raise_to_imminent(stack: Stack) -> None:
    """The counselor raises the open escalation to imminent (from another signed-in client)."""
    with stack.db.session() as session:
        call_id = session.exec(select(Escalation.call_id)).one()
    response = NoteClient(stack, "alice").post(
        f"/api/calls/{call_id}/escalate",
        {"reason": "Has the pills in hand now", "level": "imminent"},
    )
    assert response.status_code == 200 and response.json()["level"] == "imminent", response.text
