"""In real Chromium: a supervisor opens a high-risk call in call review, records a group
supervision session about it (the call and its counselor pre-filled), and sees it in the list
with each counselor's hours; the counselor sees it on their own supervision page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hotline.auth.models import Role
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import make_line, make_user
from tests.stack import Stack, running_stack
from tests.supervision.drive import call_at_level


@pytest.fixture
def quiet_stack(database_url: str) -> Iterator[Stack]:
    with running_stack(database_url, with_simulator=False, run_engine=False) as stack:
        yield stack


def test_supervisor_records_a_group_session_from_the_review_page(quiet_stack: Stack) -> None:
    stack = quiet_stack
    line = make_line(stack.db)
    alice = make_user(stack.db, "alice")
    make_user(stack.db, "bob")
    make_user(stack.db, "boss", role=Role.supervisor)
    call_id = call_at_level(stack.db, line, alice, stack.clock.now() - timedelta(hours=3), "high")

    with chromium() as browser:
        page = browser.new_context().new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, stack.url, "boss")
        page.goto(f"{stack.url}/supervisor/calls/{call_id}")
        page.get_by_test_id("record-supervision").click()
        page.wait_for_url(re.compile(rf"/supervisor/supervision/new\?call={call_id}$"))
        expect(page.get_by_test_id("field-calls")).to_have_value(f"#{call_id}")
        expect(page.get_by_test_id("field-counselor-alice")).to_be_checked()
        page.get_by_test_id("field-kind-group").check()
        page.get_by_test_id("field-counselor-bob").check()
        page.get_by_test_id("field-duration").fill("75")
        page.get_by_label("Themes").fill("Staying with a caller who has the means at hand")
        page.get_by_test_id("action-text-0").fill("Review the rescue steps")
        page.get_by_test_id("action-owner-0").select_option(label="Alice")
        page.get_by_test_id("action-due-0").fill("2026-11-30")
        page.get_by_test_id("btn-save-session").click()
        page.wait_for_url(re.compile(r"/supervisor/supervision/\d+\?done=saved$"))
        expect(page.get_by_test_id("notice")).to_be_visible()
        expect(page.get_by_test_id("action-item")).to_contain_text("Review the rescue steps")

        page.get_by_test_id("nav-supervision").click()
        page.wait_for_url(re.compile(r"/supervisor/supervision$"))
        row = page.get_by_test_id("session-row")
        expect(row).to_have_count(1)
        expect(row).to_have_attribute("data-kind", "group")
        expect(row.get_by_test_id("session-counselors")).to_have_text("Alice, Bob")
        expect(row.get_by_test_id("session-calls")).to_have_text(f"#{call_id}")
        hours = page.get_by_test_id("hours-row")
        expect(hours).to_have_count(2)
        for i in range(2):  # 75 minutes: 1.25 h this month and this year
            expect(hours.nth(i).get_by_test_id("hours-month")).to_have_text("1.25")
            expect(hours.nth(i).get_by_test_id("hours-year")).to_have_text("1.25")
        assert errors == []

        counselor = browser.new_context().new_page()
        sign_in(counselor, stack.url, "alice")
        counselor.get_by_test_id("nav-my-supervision").click()
        counselor.wait_for_url(re.compile(r"/console/supervision$"))
        expect(counselor.get_by_test_id("session-row")).to_have_count(1)
        expect(counselor.get_by_test_id("hours-month")).to_have_text("1.25")
        expect(counselor.get_by_test_id("my-action")).to_contain_text("Review the rescue steps")
