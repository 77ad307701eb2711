"""A supervisor's two-step sign-in in real Chromium: enrol, a wrong code refused, then in."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from hotline.auth.models import Role
from tests.browser import chromium
from tests.factories import PASSWORD, make_user
from tests.security.helpers import code_at, secure_stack


def test_supervisor_signs_in_with_password_and_code(database_url: str) -> None:
    with secure_stack(database_url) as stack, chromium() as browser:
        make_user(stack.db, "sue", role=Role.supervisor)
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        page.goto(stack.url + "/login?lang=en")
        page.get_by_label("Username").fill("sue")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/login/totp$"))
        expect(page.get_by_test_id("totp-qr")).to_be_visible()
        secret = page.get_by_test_id("totp-secret").inner_text().strip()
        assert re.fullmatch(r"[A-Z2-7]{32}", secret)

        right = code_at(stack, secret)
        page.get_by_label("Code").fill(f"{(int(right) + 1) % 1_000_000:06d}")
        page.get_by_test_id("btn-totp").click()
        expect(page.get_by_test_id("totp-error")).to_contain_text("That code is not right")
        assert "/console" not in page.url
        # The refused code's page came with status 401, which Chromium reports; nothing else may.
        assert all("status of 401" in e for e in errors)
        errors.clear()

        page.get_by_label("Code").fill(right)
        page.get_by_test_id("btn-totp").click()
        # Enrolled: next, recovery codes for the day the phone is lost.
        page.wait_for_url(re.compile(r"/account/recovery-codes$"))
        page.get_by_test_id("recovery-password").fill(PASSWORD)
        page.get_by_test_id("btn-recovery-create").click()
        expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
        page.get_by_test_id("recovery-done").click()
        page.wait_for_url(re.compile(r"/supervisor/board$"))  # where a supervisor works
        page.goto(stack.url + "/console")
        expect(page.get_by_test_id("user-role")).to_have_text("Supervisor")
        expect(page.get_by_test_id("conn-status")).to_have_attribute(
            "data-status", "connected", timeout=10_000
        )
        assert errors == []  # nothing blocked by the content security policy, no script errors
