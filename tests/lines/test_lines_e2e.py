"""In Chromium, keyboard only: an admin creates a line open 20:00-08:00 every night with a
holiday; the save points its number at the simulator. Then callers ring it through the simulator
with the fake clock set: at 23:00 and at 03:00 the next morning they hear the greeting, on the
holiday the line is closed and they hear the emergency numbers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hotline.auth.models import Role
from tests.browser import chromium
from tests.factories import PASSWORD, make_user
from tests.stack import Stack, running_stack

NUMBER = "+8657796525"
CALLER = "+8613812345678"


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element `selector` has the focus (as someone without a mouse)."""
    for _ in range(limit):
        if page.evaluate("s => !!document.activeElement?.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus")


def type_into(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def heard(stack: Stack, local: datetime) -> list[str]:
    """What a caller hears when ringing the line at `local` (Shanghai time)."""
    stack.clock.advance((local.astimezone(UTC) - stack.clock.now()).total_seconds())
    sid = stack.simulator.place_call(CALLER, NUMBER)

    def said() -> list[str] | None:
        call = stack.simulator.get_call(sid)
        texts = [e["text"] for e in call["transcript"] if e["kind"] == "say"]
        done = call["status"] == "completed" or len(texts) >= 2
        return texts if texts and done else None

    texts = stack.simulator.wait_for(said)
    if stack.simulator.get_call(sid)["status"] != "completed":
        stack.simulator.hangup(sid)
    return texts


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_overnight_line_with_a_holiday_from_the_browser(
    database_url: str, tmp_path: Path
) -> None:
    with running_stack(database_url, run_engine=False) as stack:
        make_user(stack.db, "root", role=Role.admin)
        with chromium() as browser:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(stack.url + "/login?lang=en")
            type_into(page, "input[name=username]", "root")
            type_into(page, "input[name=password]", PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r"/(console|admin)"))

            page.goto(stack.url + "/admin")
            tab_to(page, "[data-testid=nav-lines]")
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r"/admin/lines$"))
            tab_to(page, "[data-testid=new-line]")
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r"/admin/lines/new"))

            type_into(page, "#l-name", "Night line")
            type_into(page, "#l-numbers", "0577 9652 5")
            type_into(page, "#l-languages", "en")
            tab_to(page, "[data-testid=field-always_open]")
            page.keyboard.press("Space")  # no longer around the clock
            for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
                type_into(page, f"#l-hours_{day}", "20:00-08:00")
            type_into(page, "#l-special_days", "2026-11-25 closed")
            tab_to(page, "[data-testid=btn-save]")
            page.keyboard.press("Enter")

            expect(page.get_by_test_id("notice")).to_contain_text("The line was created")
            expect(page.get_by_test_id("sync-answer")).to_have_attribute("data-ok", "true")
            # 11:00 on Monday in Shanghai (the fake clock): closed now.
            expect(page.get_by_test_id("now-decision")).to_have_attribute("data-open", "false")
            page.screenshot(path=str(tmp_path / "line.png"), full_page=True)
            assert errors == []

        night = heard(stack, datetime.fromisoformat("2026-11-23T23:00+08:00"))
        assert night[0].startswith("Welcome to the Night line")
        morning = heard(stack, datetime.fromisoformat("2026-11-24T03:00+08:00"))
        assert morning[0].startswith("Welcome to the Night line")
        holiday = heard(stack, datetime.fromisoformat("2026-11-25T23:00+08:00"))
        assert holiday[0].startswith("This line is closed now")
        assert "110" in holiday[1] and "12356" in holiday[1]
