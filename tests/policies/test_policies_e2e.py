"""In Chromium: an admin creates an escalation policy on the page (steps edited and moved with
the keyboard) and runs a drill; the crisis worker it pages acknowledges it from their console in
a second browser, and the drill log shows who acknowledged and how fast."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hotline.auth.models import Role
from tests.browser import chromium
from tests.factories import PASSWORD, make_line, make_rota, make_user
from tests.stack import running_stack

ZHAO_PHONE = "+8613900004444"


def _sign_in(page: Page, url: str, username: str) -> None:
    page.goto(url + "/login?lang=en")
    page.get_by_label(re.compile("user", re.I)).fill(username)
    page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/(console|admin|supervisor)"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_admin_creates_a_policy_and_a_crisis_worker_acknowledges_its_drill(
    database_url: str, tmp_path: Path
) -> None:
    with running_stack(database_url) as stack:
        make_line(stack.db)
        stack.dispatcher.sync_numbers()
        zhao = make_user(stack.db, "zhao", role=Role.crisis, endpoint=ZHAO_PHONE)
        make_rota(stack.db, "crisis", [zhao])
        make_user(stack.db, "root", role=Role.admin)
        with chromium() as browser:
            admin = browser.new_page()
            errors: list[str] = []
            admin.on("pageerror", lambda e: errors.append(str(e)))
            _sign_in(admin, stack.url, "root")
            admin.goto(stack.url + "/admin")
            admin.get_by_test_id("admin-policies-link").click()
            admin.get_by_test_id("new-policy").click()
            admin.get_by_test_id("field-name").fill("Night drill team")
            admin.get_by_test_id("step-0-target-supervisor_on_duty").check()
            admin.get_by_test_id("step-0-channel-voice").uncheck()
            admin.get_by_test_id("step-0-wait").fill("3")
            admin.get_by_test_id("btn-add-step").click()
            expect(admin.get_by_test_id("step")).to_have_count(2)
            admin.get_by_test_id("step-1-target-crisis_on_call").check()
            admin.get_by_test_id("step-1-channel-voice").uncheck()
            # Nobody supervises now: step 1 reaches nobody until the crisis step moves first.
            up = admin.get_by_test_id("step-1-up")
            up.focus()
            admin.keyboard.press("Enter")
            expect(admin.get_by_test_id("step-0-target-crisis_on_call")).to_be_checked()
            expect(admin.get_by_test_id("step-1-target-supervisor_on_duty")).to_be_checked()
            expect(admin.get_by_test_id("step-0-reach")).to_contain_text("Zhao")
            expect(admin.get_by_test_id("step-1-reach")).to_have_attribute("data-nobody", "true")
            admin.get_by_test_id("btn-save").click()
            expect(admin.get_by_test_id("notice")).to_contain_text("saved")
            expect(admin.get_by_test_id("reach-warning")).to_contain_text("Some steps reach nobody")

            admin.get_by_test_id("btn-drill").click()
            expect(admin.get_by_test_id("reach-person").first).to_contain_text("Zhao")
            admin.get_by_test_id("btn-confirm").click()
            admin.wait_for_url(re.compile(r"/admin/policies/drills/\d+"))
            expect(admin.get_by_test_id("drill-status")).to_contain_text("Paging")

            stack.simulator.wait_for(
                lambda: [m for m in stack.simulator.list_messages() if m["to"] == ZHAO_PHONE]
            )
            sms = [m for m in stack.simulator.list_messages() if m["to"] == ZHAO_PHONE][0]
            assert sms["body"].startswith("DRILL")

            worker_context = browser.new_context()
            worker = worker_context.new_page()
            worker.on("pageerror", lambda e: errors.append(str(e)))
            _sign_in(worker, stack.url, "zhao")
            worker.get_by_test_id("nav-my-drills").click()
            expect(worker.get_by_test_id("my-drill")).to_contain_text("Night drill team")
            worker.get_by_test_id("btn-ack-drill").click()
            expect(worker.get_by_test_id("notice")).to_contain_text("Drill acknowledged")
            expect(worker.get_by_test_id("no-drills")).to_be_visible()

            admin.reload()
            expect(admin.get_by_test_id("drill-status")).to_contain_text("Acknowledged")
            expect(admin.get_by_test_id("drill-acknowledged-by")).to_contain_text("Zhao (Console)")
            expect(admin.get_by_test_id("drill-seconds")).to_contain_text("s")
            admin.screenshot(path=str(tmp_path / "drill.png"), full_page=True)
            admin.goto(stack.url + "/admin/policies/drills")
            expect(admin.get_by_test_id("drill-row")).to_have_attribute(
                "data-status", "acknowledged"
            )
            assert errors == []
