"""In real Chromium against the running stack (app + Twilio simulator): the supervisor reads the
escalation log after real escalations, filters it and follows one escalation's timeline; and
the supervisor reviews a call, whose counselor then reads the comment in their console; and the
supervisor plays a recorded call (recorded by the simulator, fetched through the proxy)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from hotline.auth.models import Role
from tests.browser import chromium
from tests.calls import connected_call
from tests.console.test_console_e2e import sign_in
from tests.factories import make_line, make_rota, make_user
from tests.notes.test_api import NoteClient
from tests.review.test_pages import stored_recordings, take_recorded_call
from tests.stack import Stack

LINE = "+8657796525"
CRISIS_PHONE = "+8613900001111"


def escalate(stack: Stack, sid: str, username: str, level: str, caller: str) -> tuple[int, int]:
    """A live call whose counselor presses "escalate" through the console's API."""
    call_id, _ = connected_call(stack, sid, username, caller=caller)
    counselor = NoteClient(stack, username)
    answer = counselor.post(
        f"/api/calls/{call_id}/escalate", {"reason": "Caller has the means at hand", "level": level}
    )
    assert answer.status_code == 200, answer.text
    escalation_id: int = answer.json()["id"]
    return call_id, escalation_id


def test_supervisor_follows_an_escalation_in_the_log(stack: Stack) -> None:
    make_line(stack.db, number=LINE)
    worker = make_user(stack.db, "zhao", role=Role.crisis, endpoint=CRISIS_PHONE)
    make_user(stack.db, "boss", role=Role.supervisor)
    make_rota(stack.db, "crisis", [worker])
    stack.dispatcher.sync_numbers()
    high_call, high = escalate(stack, "CA" + "1" * 32, "alice", "high", "+8613800000001")
    _, imminent = escalate(stack, "CA" + "2" * 32, "bob", "imminent", "+8613800000002")
    stack.dispatcher.tick()  # the first step: console, SMS and voice pages to the crisis worker
    stack.clock.advance(90)
    crisis = NoteClient(stack, "zhao")
    acked = crisis.http.post(f"/api/escalations/{high}/ack", headers={"X-CSRF-Token": crisis.token})
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"

    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, stack.url, "boss")
        page.get_by_test_id("nav-escalations").click()
        page.wait_for_url(re.compile(r"/supervisor/escalations"))
        rows = page.get_by_test_id("escalation-row")
        expect(rows).to_have_count(2)
        # Both are still open, so both stand out.
        expect(page.locator('[data-testid="escalation-row"][data-open="true"]')).to_have_count(2)

        page.get_by_test_id("filter-status").select_option("acknowledged")
        page.get_by_test_id("btn-filter").click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-id", str(high))
        page.get_by_test_id("filter-status").select_option("")
        page.get_by_test_id("filter-level").select_option("imminent")
        page.get_by_test_id("btn-filter").click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-id", str(imminent))
        page.get_by_test_id("filter-level").select_option("high")
        page.get_by_test_id("btn-filter").click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Zhao")  # who acknowledged

        rows.first.get_by_test_id("escalation-link").click()
        page.wait_for_url(re.compile(rf"/supervisor/escalations/{high}$"))
        detail = page.get_by_test_id("escalation-detail")
        expect(detail).to_have_attribute("data-status", "acknowledged")
        expect(detail).to_contain_text(f"#{high_call}")
        entries = page.get_by_test_id("timeline-entry")
        kinds = [entries.nth(i).get_attribute("data-kind") for i in range(entries.count())]
        assert kinds[0] == "triggered"
        assert kinds[-1] == "acknowledged"
        assert kinds.index("page") < kinds.index("acknowledged")
        expect(entries.first).to_contain_text("Alice")
        expect(page.locator('[data-kind="page"]').first).to_contain_text("Zhao")
        expect(page.locator('[data-kind="acknowledged"]')).to_contain_text("Console")
        expect(page.get_by_test_id("page-row")).to_have_count(3)  # console, SMS, voice
        assert "means at hand" not in page.content()  # the reason stays out of the log
        assert errors == []


def test_supervisor_reviews_a_call_and_the_counselor_reads_the_comment(stack: Stack) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "boss", role=Role.supervisor)
    call_id, _ = connected_call(stack, "CA" + "3" * 32, "alice")
    alice_api = NoteClient(stack, "alice")
    saved = alice_api.put(call_id, 1, call_type="self", summary="Talked about exam stress.")
    assert saved.status_code == 200, saved.text
    comment = "Good open questions. Ask about sleep next time."

    with chromium() as browser:
        supervisor = browser.new_context().new_page()
        counselor = browser.new_context().new_page()
        sign_in(supervisor, stack.url, "boss")
        supervisor.get_by_test_id("nav-calls").click()
        supervisor.wait_for_url(re.compile(r"/supervisor/calls"))
        supervisor.get_by_test_id("filter-person").select_option(label="Alice")
        supervisor.get_by_test_id("btn-filter").click()
        row = supervisor.get_by_test_id("call-row")
        expect(row).to_have_count(1)
        row.get_by_test_id("call-link").click()
        expect(supervisor.get_by_test_id("note-summary")).to_have_text("Talked about exam stress.")
        supervisor.get_by_test_id("score-rapport").select_option("4")
        supervisor.get_by_test_id("score-risk_assessment").select_option("2")
        supervisor.get_by_test_id("marked-for-review").check()
        supervisor.get_by_label("Comment to the counselor").fill(comment)
        supervisor.get_by_test_id("btn-save-review").click()
        expect(supervisor.get_by_test_id("review-saved")).to_be_visible()
        # The saved review is what the form shows again.
        expect(supervisor.get_by_test_id("score-rapport")).to_have_value("4")
        expect(supervisor.get_by_test_id("marked-for-review")).to_be_checked()
        expect(supervisor.get_by_test_id("review-comment")).to_have_value(comment)

        sign_in(counselor, stack.url, "alice")
        counselor.get_by_test_id("feedback-link").click()
        counselor.wait_for_url(re.compile(r"/console/feedback"))
        item = counselor.get_by_test_id("feedback-item")
        expect(item).to_have_count(1)
        expect(item).to_have_attribute("data-call", str(call_id))
        expect(item.get_by_test_id("feedback-comment")).to_have_text(comment)
        expect(item.get_by_test_id("feedback-score-rapport")).to_have_text("4 / 5")
        expect(item).to_contain_text("Boss")


def test_supervisor_plays_a_recorded_call_in_the_browser(stack: Stack) -> None:
    make_user(stack.db, "alice")
    make_user(stack.db, "boss", role=Role.supervisor)
    call_id, _caller = take_recorded_call(stack)
    stack.simulator.wait_for(lambda: stored_recordings(stack))

    with chromium() as browser:
        page = browser.new_page()
        sign_in(page, stack.url, "boss")
        page.goto(f"{stack.url}/supervisor/calls/{call_id}")
        player = page.get_by_test_id("recording-player")
        expect(player).to_have_count(1)
        # Chromium fetches the audio through the proxy and decodes it.
        duration = player.evaluate(
            """(audio) => new Promise((resolve, reject) => {
                audio.addEventListener("loadedmetadata", () => resolve(audio.duration));
                audio.addEventListener("error", () => reject(new Error(String(audio.error?.code))));
                audio.preload = "auto";
                audio.load();
            })"""
        )
        assert duration >= stack.simulator.list_recordings()[0]["duration"]
