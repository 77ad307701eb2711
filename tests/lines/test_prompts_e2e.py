"""In Chromium, by keyboard: an admin changes the English hold prompt and the danger key of a
line; a digit that chooses a language is refused next to its field, the fixed form is saved,
and the preview and the caller's hold loop say the new prompt."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hotline.auth.models import Role
from tests.browser import chromium
from tests.calls import inbound
from tests.factories import PASSWORD, make_line, make_user
from tests.stack import running_stack

HOLD = "Thank you for holding on the Westlake line."


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_admin_edits_a_hold_prompt_by_keyboard(database_url: str, tmp_path: Path) -> None:
    with running_stack(database_url, with_simulator=False, run_engine=False) as stack:
        line = make_line(stack.db)
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
            page.goto(stack.url + f"/admin/lines/{line.id}/prompts")

            hold = page.get_by_test_id("field-hold-en")
            hold.focus()
            page.keyboard.type(HOLD)
            key = page.get_by_test_id("field-danger_key")
            key.focus()
            page.keyboard.press("Control+A")
            page.keyboard.type("2")
            page.keyboard.press("Enter")  # submits the form
            expect(page.get_by_test_id("error-danger_key")).to_contain_text("chooses a language")
            expect(page.get_by_test_id("field-danger_key")).to_have_attribute(
                "aria-invalid", "true"
            )
            expect(page.get_by_test_id("field-hold-en")).to_have_value(HOLD)  # kept as typed

            key = page.get_by_test_id("field-danger_key")
            key.focus()
            page.keyboard.press("Control+A")
            page.keyboard.type("0")
            page.get_by_test_id("btn-save").focus()
            page.keyboard.press("Enter")
            expect(page.get_by_test_id("notice")).to_contain_text("saved")
            expect(page.get_by_test_id("preview-hold-en")).to_contain_text(HOLD)
            expect(page.get_by_test_id("preview-welcome")).to_contain_text("有危险，请按0")
            page.screenshot(path=str(tmp_path / "prompts.png"), full_page=True)
            assert errors == []

        params = inbound()
        stack.webhook("/twilio/voice/incoming", params)
        stack.webhook("/twilio/voice/gather", {**params, "Digits": "2"})
        assert HOLD in stack.webhook("/twilio/voice/hold?lang=en", params).text
