"""In real Chromium with the Twilio simulator: a counselor submits the note of a high-risk call,
the console asks "Would you like a debrief?", she says yes, and the supervisor sees the request
on the supervision page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from hotline.auth.models import Role
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import make_line, make_user
from tests.notes.test_note_e2e import LINE, take_call
from tests.stack import Stack


def test_the_console_offers_a_debrief_after_a_high_risk_note(stack: Stack) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    make_user(stack.db, "boss", role=Role.supervisor)
    stack.dispatcher.sync_numbers()
    with chromium() as browser:
        page = browser.new_context().new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, stack.url, "alice")
        page.get_by_test_id("btn-available").click()
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")
        take_call(page, stack)
        page.get_by_test_id("call-type-self").check()
        page.get_by_test_id("age-band").select_option("25_34")
        page.get_by_test_id("gender").select_option("female")
        page.locator("[data-testid^=category-]").first.check()
        for answer in ("q1_wish_dead-yes", "q2_suicidal_thoughts-yes", "q3_method-yes"):
            page.get_by_test_id(f"sq-{answer}").check()
        page.get_by_test_id("sq-q4_intent-yes").check()
        page.get_by_test_id("sq-q5_plan-no").check()
        page.get_by_test_id("sq-q6_behaviour-no").check()
        page.get_by_test_id("confirm-level").select_option("high")
        page.get_by_test_id("summary").fill("Has a plan; agreed to stay with her sister.")
        expect(page.get_by_test_id("note-status")).to_contain_text("Saved", timeout=10_000)
        page.get_by_test_id("btn-submit-note").click()
        expect(page.get_by_test_id("note-readonly")).to_be_visible(timeout=10_000)
        prompt = page.get_by_test_id("debrief-prompt")
        expect(prompt).to_contain_text("Would you like a debrief?", timeout=10_000)
        prompt.get_by_test_id("debrief-yes").click()
        expect(prompt.get_by_test_id("debrief-message")).to_have_text(
            "Your debrief request was sent to the supervisor on duty."
        )
        assert errors == []

        supervisor = browser.new_context().new_page()
        sign_in(supervisor, stack.url, "boss")
        supervisor.get_by_test_id("nav-supervision").click()
        supervisor.wait_for_url(re.compile(r"/supervisor/supervision$"))
        row = supervisor.get_by_test_id("debrief-row")
        expect(row).to_have_count(1)
        expect(row).to_have_attribute("data-status", "requested")
        expect(row).to_contain_text("Alice")
        expect(row).to_contain_text("After a high-risk contact")
