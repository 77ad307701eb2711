"""In Chromium: a supervisor records that they called 110 and reveals the caller's number for
rescue; the rescue steps, the escalation's log (seen by another supervisor) and the audit log
(seen by an admin) show it, and the number is shown on that answer only."""

from __future__ import annotations

from playwright.sync_api import expect

from hotline.auth.models import Role
from tests.browser import chromium
from tests.calls import CALLER
from tests.console.test_console_e2e import sign_in
from tests.factories import make_user
from tests.linkage.test_numbers import escalated_with_location
from tests.notes.test_api import NoteClient
from tests.stack import Stack

REASON = "Police need the number to locate the caller"


def test_a_supervisor_reveals_a_number_for_rescue_in_chromium(app_only: Stack) -> None:
    _call_id, escalation_id, _zhao = escalated_with_location(app_only, "imminent")
    make_user(app_only.db, "wang", role=Role.supervisor)
    make_user(app_only.db, "sam", role=Role.supervisor)
    make_user(app_only.db, "root", role=Role.admin)
    with chromium() as browser:
        page = browser.new_page()
        sign_in(page, app_only.url, "wang")
        page.goto(f"{app_only.url}/supervisor/escalations/{escalation_id}?lang=en")
        expect(page.get_by_test_id("no-rescue")).to_be_visible()

        # The rescue step: requested, by calling 110.
        page.get_by_test_id("rescue-stage").select_option("requested")
        page.get_by_test_id("rescue-service").select_option("110")
        page.get_by_test_id("rescue-record").click()
        step = page.get_by_test_id("rescue-step")
        expect(step).to_have_count(1)
        expect(step).to_have_attribute("data-stage", "requested")
        expect(step).to_contain_text("110 police")
        expect(step).to_contain_text("Wang")

        # No reason: refused next to the field, nothing shown.
        page.get_by_test_id("reveal-reason").fill("   ")
        page.get_by_test_id("reveal-submit").click()
        expect(page.get_by_test_id("reveal-error")).to_contain_text("Say why")
        expect(page.get_by_test_id("revealed")).to_have_count(0)
        assert CALLER not in page.content()

        page.get_by_test_id("reveal-reason").fill(REASON)
        page.get_by_test_id("reveal-submit").click()
        expect(page.get_by_test_id("revealed-number")).to_have_text(CALLER)
        expect(page.get_by_test_id("revealed-location")).to_contain_text("WENZHOU")
        entry = page.locator('[data-testid="timeline-entry"][data-kind="number_revealed"]')
        expect(entry).to_contain_text("Revealed the caller's number for rescue")
        expect(entry).to_contain_text(REASON)

        # Once per reason: the page read again does not show it.
        page.goto(f"{app_only.url}/supervisor/escalations/{escalation_id}?lang=en")
        expect(page.get_by_test_id("reveal-form")).to_be_visible()
        expect(page.get_by_test_id("revealed")).to_have_count(0)
        assert CALLER not in page.content()
        page.get_by_test_id("reveal-reason").fill(REASON)
        page.get_by_test_id("reveal-submit").click()
        expect(page.get_by_test_id("reveal-error")).to_contain_text("already revealed")
        assert CALLER not in page.content()

        # Another supervisor sees who revealed it and why.
        other = browser.new_context().new_page()
        sign_in(other, app_only.url, "sam")
        other.goto(f"{app_only.url}/supervisor/escalations/{escalation_id}?lang=en")
        seen = other.locator('[data-testid="timeline-entry"][data-kind="number_revealed"]')
        expect(seen).to_contain_text("Wang")
        expect(seen).to_contain_text(REASON)
        expect(other.get_by_test_id("rescue-step")).to_contain_text("110 police")

        # The admin's audit log has the reveal (never the number).
        admin = browser.new_context().new_page()
        sign_in(admin, app_only.url, "root")
        admin.goto(f"{app_only.url}/admin/audit?lang=en")
        expect(admin.locator("body")).to_contain_text(f"rescue_number {escalation_id}")
        expect(admin.locator("body")).to_contain_text(f"rescue_step {escalation_id}")
        assert CALLER not in admin.content()
    # The counselor cannot reveal it.
    alice = NoteClient(app_only, "alice")
    refused = alice.post(f"/api/escalations/{escalation_id}/number/reveal", {"reason": "x"})
    assert refused.status_code == 403
