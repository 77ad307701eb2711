"""In real Chromium against the running app: a counselor moves a caller's referral from
suggested to attended on the follow-up's page, step by step, and the supervisor sees it counted
as attended on the statistics page, beside the monthly report."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from hotline.auth.models import Role
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import make_line, make_user
from tests.referrals.drive import follow_up_of, referred_call, resource
from tests.stack import Stack

STEPS = ["accepted", "contacted", "appointment_made", "attended"]


def test_a_referral_moves_to_attended_through_follow_ups_and_is_reported(
    quiet_app: Stack,
) -> None:
    stack = quiet_app
    line = make_line(stack.db)
    alice = make_user(stack.db, "alice")
    make_user(stack.db, "sam", role=Role.supervisor)
    submitted = stack.clock.now() - timedelta(hours=2)
    call_id = referred_call(
        stack.db, line, alice, submitted, [resource(stack.db, "City Mental Health Centre")]
    )
    follow_up = follow_up_of(stack.db, call_id)
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, stack.url, "alice")
        page.goto(f"{stack.url}/console/followups/{follow_up.id}")
        referral = page.get_by_test_id("referral")
        expect(referral).to_have_attribute("data-status", "suggested")
        expect(referral).to_contain_text("City Mental Health Centre")
        for status in STEPS:
            referral.get_by_test_id("referral-next").select_option(status)
            referral.get_by_test_id("btn-referral-move").click()
            page.wait_for_url(re.compile(rf"/console/followups/{follow_up.id}\?done=referral$"))
            expect(page.get_by_test_id("notice")).to_contain_text("The referral is updated.")
            expect(referral).to_have_attribute("data-status", status)
        expect(referral.get_by_test_id("referral-status")).to_have_text("Attended")
        expect(referral.get_by_test_id("referral-next")).to_have_count(0)  # attended is final
        assert errors == []
        browser.contexts[0].close()

        page = browser.new_page()
        sign_in(page, stack.url, "sam")
        day = stack.clock.now().date()
        page.goto(f"{stack.url}/supervisor/stats?start={day - timedelta(days=1)}&end={day}")
        panel = page.get_by_test_id("stats-referrals")
        expect(panel.get_by_test_id("kpi-referrals")).to_have_text("1")
        expect(panel.get_by_test_id("referrals-outcome")).to_contain_text("Attended")
        expect(panel.get_by_test_id("referrals-resource")).to_contain_text(
            "City Mental Health Centre"
        )
        expect(page.get_by_test_id("report-form")).to_be_visible()
