"""In Chromium, by keyboard only and in Chinese: an admin goes from the admin home to the records
page, places a legal hold on a call by its number, then lifts it through the confirmation that
says what follows."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from hotline.auth.models import Role
from hotline.retention.models import LegalHold
from tests.browser import chromium
from tests.factories import PASSWORD, make_line, make_user
from tests.retention.records import make_record
from tests.stack import running_stack


def tab_to(page: Page, testid: str, limit: int = 80) -> None:
    """Press Tab until the element with this test id has the focus (it must be reachable)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement?.dataset?.testid ?? null")
        if focused == testid:
            return
    raise AssertionError(f"{testid} cannot be reached with Tab")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_admin_places_and_lifts_a_legal_hold_by_keyboard(
    database_url: str, tmp_path: Path
) -> None:
    with running_stack(database_url, with_simulator=False, run_engine=False) as stack:
        line = make_line(stack.db)
        counselor = make_user(stack.db, "counselor")
        make_user(stack.db, "root", role=Role.admin)
        now = stack.clock.now()
        call = make_record(
            stack.db,
            line=line,
            counselor=counselor,
            caller="+8613811112222",
            created_at=now,
            ended_at=now,
        )
        with chromium() as browser:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(stack.url + "/login?lang=zh_CN")
            page.locator("input[name=username]").focus()
            page.keyboard.type("root")
            page.keyboard.press("Tab")
            page.keyboard.type(PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(lambda url: "/login" not in url)
            page.goto(stack.url + "/admin")

            tab_to(page, "link-records")
            page.keyboard.press("Enter")
            page.wait_for_url(lambda url: url.endswith("/admin/records"))
            expect(page.get_by_test_id("no-holds")).to_be_visible()

            # A missing reason is refused next to the field, the call number kept.
            tab_to(page, "field-call")
            page.keyboard.type(f"#{call.call_id}")
            tab_to(page, "btn-hold")
            page.keyboard.press("Enter")
            expect(page.get_by_test_id("error-reason")).to_be_visible()
            expect(page.get_by_test_id("field-call")).to_have_value(f"#{call.call_id}")

            tab_to(page, "field-reason")
            page.keyboard.type("法院调取 2026-17")
            page.keyboard.press("Tab")
            expect(page.get_by_test_id("btn-hold")).to_be_focused()
            page.keyboard.press("Enter")
            expect(page.get_by_test_id("notice")).to_have_text("该通话已处于法律保全中。")
            expect(page.get_by_test_id("hold-row")).to_have_count(1)
            expect(page.get_by_test_id("hold-row")).to_contain_text("法院调取 2026-17")

            tab_to(page, "btn-release")
            page.keyboard.press("Enter")
            expect(page.get_by_test_id("confirm")).to_be_visible()
            expect(page.get_by_test_id("purge-date")).to_contain_text("之后将被清除")
            with stack.db.session() as session:  # asking changed nothing
                assert session.exec(select(LegalHold)).one().released_at is None
            tab_to(page, "btn-confirm")
            page.keyboard.press("Enter")
            expect(page.get_by_test_id("notice")).to_have_text("法律保全已解除。")
            expect(page.get_by_test_id("no-holds")).to_be_visible()
            page.screenshot(path=str(tmp_path / "records.png"), full_page=True)
            assert errors == []
        with stack.db.session() as session:
            assert session.exec(select(LegalHold)).one().released_at is not None
