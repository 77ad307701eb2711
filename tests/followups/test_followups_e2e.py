"""In real Chromium against the running app: a counselor's console says a follow-up is due on
their lines; from there they open the queue, see the overdue follow-up, claim it (the line
calls back: the number is never shown) and log that the caller was reached; the follow-up
leaves the queue and the console."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import make_line, make_user
from tests.followups.drive import CALLBACK, submitted_follow_up
from tests.stack import Stack


def test_counselor_works_a_due_follow_up_from_the_queue(quiet_app: Stack) -> None:
    stack = quiet_app
    line = make_line(stack.db)
    alice = make_user(stack.db, "alice")
    # Asked for within 24 hours, 25 hours ago: overdue now.
    submitted = stack.clock.now() - timedelta(hours=25)
    follow_up = submitted_follow_up(stack.db, line, alice, submitted, within="24h")
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, stack.url, "alice")
        due = page.get_by_test_id("followups-due")
        expect(due).to_contain_text("Follow-up calls due on your lines: 1.")
        expect(due).to_have_attribute("data-priority", "0")
        due.get_by_role("link").click()
        page.wait_for_url(re.compile(r"/console/followups\?status=overdue$"))
        rows = page.get_by_test_id("followup-row")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-id", str(follow_up.id))
        expect(rows.first.get_by_test_id("overdue")).to_be_visible()
        expect(page.get_by_test_id("callback-number")).to_have_count(0)

        rows.first.get_by_test_id("btn-claim").click()
        page.wait_for_url(re.compile(rf"/console/followups/{follow_up.id}\?done=claimed$"))
        expect(page.get_by_test_id("btn-dialback")).to_be_visible()
        assert CALLBACK not in page.content()
        expect(page.get_by_test_id("followup-assignee")).to_have_text("You")
        page.get_by_test_id("attempt-outcome").select_option("reached")
        page.get_by_test_id("attempt-note").fill("She is safe and has an appointment on Monday.")
        page.get_by_test_id("btn-log-attempt").click()

        page.wait_for_url(re.compile(r"/console/followups\?done=completed$"))
        expect(page.get_by_test_id("notice")).to_contain_text("completed")
        expect(page.get_by_test_id("followup-row")).to_have_count(0)
        expect(page.get_by_test_id("no-followups")).to_be_visible()
        page.get_by_test_id("nav-console").click()
        expect(page.get_by_test_id("idle-panel")).to_be_visible()
        expect(page.get_by_test_id("followups-due")).to_be_hidden()
        assert errors == []
