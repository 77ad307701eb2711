"""Chromium journey: a counselor writes a safety plan with a high-risk caller, and the next
counselor the caller reaches sees the tier and the plan at the offer."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import make_line, make_user
from tests.notes.test_note_e2e import take_call
from tests.stack import Stack

LINE = "+8657796525"
CALLER = "+8613812349999"
REASON = "My daughter's wedding in spring"


def test_a_safety_plan_written_on_a_high_risk_call_is_shown_at_the_next_offer(
    stack: Stack,
) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    make_user(stack.db, "bob")
    stack.dispatcher.sync_numbers()
    with chromium() as browser:
        alice = browser.new_context().new_page()
        errors: list[str] = []
        alice.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(alice, stack.url, "alice")
        alice.get_by_test_id("btn-available").click()
        expect(alice.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")
        first = take_call(alice, stack)
        # No case yet: the counselor may open one, but the high-risk answers open it anyway.
        expect(alice.get_by_test_id("case-open-panel")).to_be_visible(timeout=10_000)
        alice.get_by_test_id("call-type-self").check()
        alice.get_by_test_id("sq-q1_wish_dead-yes").check()
        alice.get_by_test_id("sq-q2_suicidal_thoughts-yes").check()
        alice.get_by_test_id("sq-q3_method-yes").check()
        alice.get_by_test_id("sq-q4_intent-yes").check()
        panel = alice.get_by_test_id("case-panel")
        expect(panel).to_be_visible(timeout=10_000)
        expect(alice.get_by_test_id("console-case-tier")).to_have_text("Red")
        alice.get_by_test_id("plan-warning_signs").fill("Stops answering messages")
        alice.get_by_test_id("plan-people_to_ask").fill("Sister")
        alice.get_by_test_id("plan-reasons_for_living").fill(REASON)
        alice.get_by_test_id("btn-save-plan").click()
        expect(alice.get_by_test_id("safety-plan-status")).to_contain_text(
            "version 1", timeout=10_000
        )
        stack.simulator.hangup(first)
        expect(alice.get_by_test_id("wrapup-panel")).to_be_visible(timeout=10_000)
        # Alice stays in wrap-up (writing her note): the caller's next call goes to bob.
        expect(alice.get_by_test_id("agent-state")).to_have_attribute("data-state", "wrap_up")

        bob = browser.new_context().new_page()
        bob.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(bob, stack.url, "bob")
        bob.get_by_test_id("btn-available").click()
        expect(bob.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")
        stack.simulator.place_call(CALLER, LINE, digits="1")
        expect(bob.get_by_test_id("offer-panel")).to_be_visible(timeout=10_000)
        # At the offer, before accepting: the tier and the plan as it was saved.
        expect(bob.get_by_test_id("case-panel")).to_be_visible(timeout=10_000)
        expect(bob.get_by_test_id("console-case-tier")).to_have_text("Red")
        expect(bob.get_by_test_id("plan-view-reasons_for_living")).to_have_text(REASON)
        expect(bob.get_by_test_id("plan-view-people_to_ask")).to_have_text("Sister")
        expect(bob.get_by_test_id("console-plan-version")).to_contain_text("version 1")
        bob.screenshot(path=str(stack.extra.get("shots", "/tmp")) + "/case-at-offer.png")
        assert errors == []

    with stack.db.session() as session:
        stored = session.execute(text("SELECT content FROM safety_plans")).scalar_one()
    assert REASON not in stored and "Sister" not in stored
