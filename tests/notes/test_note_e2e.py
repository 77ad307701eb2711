"""A counselor writes a call note in real Chromium during a simulated call: high risk raises the
escalation at once, a reload loses nothing, submit, addendum, and the history on the next call."""

from __future__ import annotations

import re

from playwright.sync_api import Dialog, Page, expect
from sqlmodel import select

from hotline.notes.models import CallNote, NoteStatus
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import make_line, make_user
from tests.stack import Stack

LINE = "+8657796525"
CALLER = "+8613812349999"
SUMMARY = "Lost job last month; has a plan; agreed to stay safe tonight."


def take_call(page: Page, stack: Stack) -> str:
    sid: str = stack.simulator.place_call(CALLER, LINE, digits="1")
    expect(page.get_by_test_id("offer-panel")).to_be_visible(timeout=10_000)
    page.get_by_test_id("btn-accept").click()
    expect(page.get_by_test_id("call-panel")).to_have_attribute(
        "data-call-state", "connected", timeout=10_000
    )
    expect(page.get_by_test_id("note-section")).to_be_visible(timeout=10_000)
    return sid


def saved(page: Page) -> None:
    expect(page.get_by_test_id("note-status")).to_contain_text("Saved", timeout=10_000)


def test_note_escalation_reload_submit_addendum_and_history(stack: Stack) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    stack.dispatcher.sync_numbers()
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, stack.url, "alice")
        page.get_by_test_id("btn-available").click()
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")
        first = take_call(page, stack)

        page.get_by_test_id("call-type-self").check()
        page.get_by_test_id("age-band").select_option("25_34")
        page.get_by_test_id("gender").select_option("male")
        page.locator("[data-testid^=category-]").first.check()
        page.get_by_test_id("sq-q1_wish_dead-yes").check()
        page.get_by_test_id("sq-q2_suicidal_thoughts-yes").check()
        page.get_by_test_id("sq-q3_method-yes").check()
        page.get_by_test_id("sq-q4_intent-yes").check()
        expect(page.get_by_test_id("suggested-level")).to_have_attribute(
            "data-level", "high", timeout=10_000
        )
        expect(page.get_by_test_id("escalation-banner")).to_be_visible(timeout=10_000)
        # The live call carries the colour too.
        expect(page.get_by_test_id("call-level")).to_have_attribute("data-colour", "red")
        page.get_by_test_id("summary").fill(SUMMARY)
        saved(page)

        # A reload mid-note: everything typed is still there.
        page.reload()
        expect(page.get_by_test_id("summary")).to_have_value(SUMMARY, timeout=10_000)
        expect(page.get_by_test_id("sq-q4_intent-yes")).to_be_checked()
        expect(page.get_by_test_id("escalation-banner")).to_be_visible()

        page.get_by_test_id("sq-q5_plan-no").check()
        page.get_by_test_id("sq-q6_behaviour-no").check()
        page.get_by_test_id("confirm-level").select_option("high")
        page.get_by_test_id("followup-wanted").check()
        page.get_by_test_id("followup-consent").check()
        page.get_by_test_id("followup-number").fill("+8613912345678")
        saved(page)
        page.get_by_test_id("btn-submit-note").click()
        expect(page.get_by_test_id("note-readonly")).to_be_visible(timeout=10_000)
        page.get_by_test_id("addendum-text").fill("Crisis team called back at 03:40.")
        page.get_by_test_id("btn-add-addendum").click()
        expect(page.get_by_test_id("addenda-list")).to_contain_text("03:40", timeout=10_000)

        stack.simulator.hangup(first)
        expect(page.get_by_test_id("wrapup-panel")).to_be_visible(timeout=10_000)
        page.get_by_test_id("btn-finish-wrapup").click()
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")

        # The same caller again: their history is on screen for the counselor taking the call,
        # and the call was marked high risk recently (it went ahead in the queue).
        take_call(page, stack)
        expect(page.get_by_test_id("call-high-risk")).to_be_visible()
        expect(page.get_by_test_id("call-high-risk")).to_contain_text("High risk recently")
        history = page.get_by_test_id("caller-history")
        expect(history).to_be_visible(timeout=10_000)
        expect(history).to_contain_text("Lost job last month")
        # ...and the priority follow-up still owed to them, which this call can meet.
        owed = history.get_by_test_id("history-followup")
        expect(owed).to_be_visible()
        expect(owed).to_contain_text("priority follow-up call is owed")
        assert errors == []

    with stack.db.session() as session:
        notes = session.exec(select(CallNote).order_by(CallNote.id)).all()
        assert notes[0].status == NoteStatus.submitted and notes[0].escalated_level == "high"
        assert notes[0].crisis_level == "high"


def test_a_quick_type_asks_first_and_is_off_once_a_risk_answer_is_given(stack: Stack) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    stack.dispatcher.sync_numbers()
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, stack.url, "alice")
        page.get_by_test_id("btn-available").click()
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")
        take_call(page, stack)
        expect(page.get_by_test_id("note-section")).to_have_attribute("data-mode", "edit")
        prank = page.get_by_test_id("quick-type-prank")

        # No risk answer yet: the button asks before it submits; "cancel" submits nothing.
        asked: list[str] = []

        def cancel(dialog: Dialog) -> None:
            asked.append(dialog.message)
            dialog.dismiss()

        page.once("dialog", cancel)
        prank.click()
        expect(page.get_by_test_id("note-section")).to_have_attribute("data-mode", "edit")
        assert len(asked) == 1 and "Prank call" in asked[0]

        # High risk and the escalation on screen: the quick types are off, a click does nothing.
        page.get_by_test_id("sq-q1_wish_dead-yes").check()
        expect(prank).to_have_attribute("aria-disabled", "true")
        expect(page.get_by_test_id("quick-types-locked")).to_be_visible()
        page.get_by_test_id("sq-q2_suicidal_thoughts-yes").check()
        page.get_by_test_id("sq-q4_intent-yes").check()
        expect(page.get_by_test_id("escalation-banner")).to_be_visible(timeout=10_000)
        expect(prank).to_be_disabled()
        page.on("dialog", cancel)
        prank.click(force=True)  # a click that gets through anyway does nothing
        saved(page)
        expect(page.get_by_test_id("note-section")).to_have_attribute("data-mode", "edit")
        assert len(asked) == 1 and errors == []

    with stack.db.session() as session:
        note = session.exec(select(CallNote)).one()
        assert note.status == NoteStatus.draft and note.call_type is None
        assert note.escalated_level == "high"


def test_an_unfinished_note_is_listed_and_opens_in_another_browser(stack: Stack) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    stack.dispatcher.sync_numbers()
    draft = "Exam next week, cannot sleep; to be continued"
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, stack.url, "alice")
        page.get_by_test_id("btn-available").click()
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")
        first = take_call(page, stack)
        page.get_by_test_id("sq-q1_wish_dead-yes").check()
        page.get_by_test_id("summary").fill(draft)
        saved(page)
        stack.simulator.hangup(first)
        expect(page.get_by_test_id("wrapup-panel")).to_be_visible(timeout=10_000)
        asked: list[str] = []
        page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
        page.get_by_test_id("btn-finish-wrapup").click()
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")
        assert asked and asked[0].startswith("Notes not yet submitted: 1.")
        take_call(page, stack)  # the next call: its note takes the screen

        # Another browser, as after a crash or at another desk: the draft is listed and opens.
        other = browser.new_context().new_page()
        other.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(other, stack.url, "alice")
        listed = other.get_by_test_id("unfinished-notes")
        expect(listed).to_be_visible(timeout=10_000)
        item = listed.get_by_test_id("unfinished-item").first
        expect(item.get_by_test_id("unfinished-line")).to_have_text(f"Line {LINE}")
        expect(item.get_by_test_id("unfinished-level")).to_have_attribute("data-level", "low")
        expect(item.get_by_test_id("unfinished-level")).to_have_text("Low risk")
        expect(item.get_by_test_id("unfinished-at")).to_have_text(
            re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
        )
        expect(listed.get_by_test_id("unfinished-item")).to_have_count(2)  # and the live call's
        item.get_by_test_id("unfinished-open").click()
        expect(other.get_by_test_id("summary")).to_have_value(draft, timeout=10_000)
        expect(other.get_by_test_id("sq-q1_wish_dead-yes")).to_be_checked()
        # It is written on there; the next snapshot (the level changed) leaves it on screen.
        other.get_by_test_id("sq-q6_behaviour-yes").check()
        expect(item.get_by_test_id("unfinished-level")).to_have_attribute(
            "data-level", "moderate", timeout=10_000
        )
        expect(other.get_by_test_id("summary")).to_have_value(draft)
        expect(item).to_have_attribute("aria-current", "true")
        assert errors == []
