"""In Chromium: an admin records a training session with attendance, and the person's record
(their People page and their own training page) shows the hours credited."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from hotline.auth.models import Role
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import PASSWORD, make_user
from tests.stack import Stack


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_admin_records_a_session_and_the_record_shows_the_hours(app_only: Stack) -> None:
    alice = make_user(app_only.db, "alice")
    make_user(app_only.db, "bob")
    make_user(app_only.db, "root", role=Role.admin)
    with chromium() as browser:
        page = browser.new_context().new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(app_only.url + "/login?lang=en")
        page.get_by_label(re.compile("user", re.I)).fill("root")
        page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
        page.get_by_role("button", name=re.compile("sign in", re.I)).click()
        page.wait_for_url(re.compile(r"/(console|admin)"))
        page.goto(app_only.url + "/console")
        page.get_by_test_id("nav-training").click()
        page.wait_for_url(re.compile(r"/admin/training$"))
        page.get_by_label("Course name").fill("Crisis intervention basics")
        page.get_by_label("Kind").select_option("crisis")
        page.get_by_label("Hours", exact=True).fill("3")
        page.get_by_test_id("btn-add-course").click()
        expect(page.get_by_test_id("notice")).to_contain_text("The course was added")

        page.get_by_test_id("new-session").click()
        page.get_by_label("Duration (hours)").fill("2.5")
        page.get_by_label("Trainer").fill("Dr. Wang")
        page.get_by_test_id("present-alice").check()
        page.get_by_test_id("credited-alice").fill("")
        page.get_by_test_id("btn-save-session").click()
        expect(page.get_by_test_id("notice")).to_contain_text("The session was recorded")
        expect(page.get_by_test_id("present-alice")).to_be_checked()
        expect(page.get_by_test_id("present-bob")).not_to_be_checked()

        page.goto(f"{app_only.url}/admin/users/{alice.id}")
        expect(page.get_by_test_id("user-training-hours")).to_contain_text("2.5")
        page.get_by_test_id("training-record-link").click()
        expect(page.get_by_test_id("attended-row")).to_contain_text("Crisis intervention basics")
        expect(page.get_by_test_id("training-hours")).to_contain_text("2.5")

        mine = browser.new_context().new_page()
        sign_in(mine, app_only.url, "alice")
        mine.get_by_test_id("nav-my-training").click()
        expect(mine.get_by_test_id("training-hours")).to_contain_text("2.5")
        mine.get_by_test_id("btn-sign-ethics").click()
        expect(mine.get_by_test_id("ethics-state")).to_contain_text("signed on")
        assert errors == []
