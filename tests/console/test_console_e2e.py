"""A counselor's whole call in a real browser, with a simulated caller on the simulator."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlmodel import select

from hotline.auth import service as auth
from hotline.auth.models import Role
from hotline.calls.models import Call, CallState
from tests.browser import chromium
from tests.factories import PASSWORD, make_line, make_user
from tests.stack import Stack

LINE = "+8657796525"


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(base_url + "/login?lang=en")
    page.get_by_label(re.compile("user", re.I)).fill(username)
    page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/(console|supervisor/board|admin)$"))  # the role's landing
    if not page.url.endswith("/console"):
        page.goto(base_url + "/console")


def test_counselor_takes_a_call_from_offer_to_wrap_up(stack: Stack) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    stack.dispatcher.sync_numbers()
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, stack.url, "alice")
        expect(page.get_by_test_id("conn-status")).to_have_attribute(
            "data-status", "connected", timeout=10_000
        )
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "offline")
        page.get_by_test_id("btn-available").click()
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")

        caller = stack.simulator.place_call("+8613812345678", LINE, digits="9")
        offer = page.get_by_test_id("offer-panel")
        expect(offer).to_be_visible(timeout=10_000)
        expect(offer).to_contain_text(LINE)
        page.get_by_test_id("btn-accept").click()

        call_panel = page.get_by_test_id("call-panel")
        expect(call_panel).to_have_attribute("data-call-state", "connected", timeout=10_000)
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "on_call")
        stack.clock.advance(65)  # the timer is drawn from the server's clock
        page.reload()
        expect(page.get_by_test_id("call-timer")).to_contain_text("01:0", timeout=10_000)

        stack.simulator.hangup(caller)
        expect(page.get_by_test_id("wrapup-panel")).to_be_visible(timeout=10_000)
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "wrap_up")
        # The call's note is not written: the console says so before taking calls again.
        asked: list[str] = []
        page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
        page.get_by_test_id("btn-finish-wrapup").click()
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")
        assert asked == ["Notes not yet submitted: 1. Go available and take calls anyway?"]
        page.screenshot(path=str(stack.extra.get("shots", "/tmp")) + "/console-available.png")
        # The reload's last note save (pagehide) and the new page's save of the same draft may
        # cross: the second gets 409 with the saved note and adopts it (the autosave's answer to
        # a conflict). The browser logs that response; it is no error of the page.
        assert [e for e in errors if "status of 409 (Conflict)" not in e] == []

    with stack.db.session() as session:
        call = session.exec(select(Call)).one()
        assert call.state == CallState.completed
        assert call.in_danger and call.connected_at is not None


def test_no_phone_cannot_go_available_and_is_told_why(stack: Stack) -> None:
    make_user(stack.db, "root", role=Role.admin)
    with stack.db.session() as session:
        root = auth.get_by_username(session=session, username="root")
        assert root is not None
        root.endpoint = ""  # as the demo's admin
        session.add(root)
    with chromium() as browser:
        page = browser.new_page()
        sign_in(page, stack.url, "root")
        expect(page.get_by_test_id("conn-status")).to_have_attribute(
            "data-status", "connected", timeout=10_000
        )
        page.get_by_test_id("btn-available").click()
        error = page.get_by_test_id("console-error")
        expect(error).to_be_visible(timeout=10_000)
        expect(error).to_contain_text("no phone number")
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "offline")
