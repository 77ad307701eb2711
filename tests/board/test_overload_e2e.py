"""In real Chromium: a supervisor opening the live board of an overloaded instance reads that new
callers are being forwarded to the partner line, and how many."""

from __future__ import annotations

from playwright.sync_api import expect

from hotline.auth.models import Role
from tests.browser import chromium
from tests.calls import LINE, inbound
from tests.console.test_console_e2e import sign_in
from tests.factories import make_line, make_user
from tests.stack import running_stack


def test_the_board_says_when_the_instance_sheds_load(database_url: str) -> None:
    # No slot at all: every incoming call is answered with the fallback.
    with running_stack(
        database_url, with_simulator=False, run_engine=False, webhook_concurrency=0
    ) as stack:
        make_line(stack.db, number=LINE)
        make_user(stack.db, "sam", role=Role.supervisor)
        with chromium() as browser:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            sign_in(page, stack.url, "sam")
            page.goto(stack.url + "/supervisor/board")
            expect(page.get_by_test_id("board-conn")).to_have_attribute(
                "data-status", "connected", timeout=10_000
            )
            expect(page.get_by_test_id("board-shedding")).to_be_hidden()
            for n in range(2):  # the emergency numbers: this process has read no line yet
                answer = stack.webhook("/twilio/voice/incoming", inbound(f"CA{n:032x}"))
                assert "12356" in answer.text
            page.reload()
            banner = page.get_by_test_id("board-shedding")
            expect(banner).to_be_visible(timeout=10_000)
            expect(banner).to_contain_text("overloaded: 2 new callers were forwarded")
            assert errors == []
