"""In Chromium: an admin imports volunteers from a CSV file; the dry run shows the bad row and
offers no import, the corrected file imports on confirmation and the people are listed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import FilePayload, expect

from hotline.auth.models import Role
from tests.browser import chromium
from tests.factories import PASSWORD, make_line, make_user
from tests.stack import running_stack

HEADER = "username,display_name,role,phone,lines,languages"
GOOD = "chen,陈静,counselor,139 0000 1234,Line +8657796525,zh_CN;en"


def _file(rows: list[str]) -> FilePayload:
    return {"name": "volunteers.csv", "mimeType": "text/csv", "buffer": "\n".join(rows).encode()}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_admin_imports_volunteers_after_a_dry_run(database_url: str, tmp_path: Path) -> None:
    with running_stack(database_url, with_simulator=False, run_engine=False) as stack:
        make_line(stack.db, number="+8657796525")
        make_user(stack.db, "root", role=Role.admin)
        with chromium() as browser:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(stack.url + "/login?lang=en")
            page.get_by_label(re.compile("user", re.I)).fill("root")
            page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
            page.get_by_role("button", name=re.compile("sign in", re.I)).click()
            page.wait_for_url(re.compile(r"/(console|admin)"))

            page.get_by_test_id("nav-people").click()
            page.get_by_test_id("import-users").click()
            page.wait_for_url(re.compile(r"/admin/users/import"))
            expect(page.get_by_test_id("sample-csv")).to_contain_text("username,display_name")

            bad = [HEADER, GOOD, "li,李明,crisis,12,,"]
            page.get_by_label("CSV or XLSX file").set_input_files(_file(bad))
            page.get_by_test_id("btn-dry-run").click()
            expect(page.get_by_test_id("dry-run-problems")).to_be_visible()
            problem = page.locator('[data-testid="dry-run-row"][data-row="3"]')
            expect(problem.get_by_test_id("row-problems")).to_contain_text("not a phone number")
            expect(page.get_by_test_id("btn-import")).to_have_count(0)

            fixed = [HEADER, GOOD, "li,李明,crisis,+8613900004321,,"]
            page.get_by_label("CSV or XLSX file").set_input_files(_file(fixed))
            page.get_by_test_id("btn-dry-run").click()
            expect(page.get_by_test_id("dry-run-clean")).to_be_visible()
            page.get_by_test_id("btn-import").focus()
            page.keyboard.press("Enter")  # keyboard only
            expect(page.get_by_test_id("import-done")).to_be_visible()
            expect(page.get_by_test_id("created-row")).to_have_count(2)
            expect(page.get_by_test_id("created-password").first).not_to_be_empty()
            page.screenshot(path=str(tmp_path / "import.png"), full_page=True)

            page.get_by_role("link", name="Back to people").click()
            expect(page.locator('[data-testid="user-row"][data-username="chen"]')).to_be_visible()
            expect(page.locator('[data-testid="user-row"][data-username="li"]')).to_be_visible()
            assert errors == []
