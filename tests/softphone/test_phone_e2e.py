"""A counselor with no phone number takes a call in the browser: chooses the browser phone,
goes available, accepts a simulated caller, answers in the phone panel, talks, hangs up."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from hotline.calls.models import Call, CallState
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import make_line
from tests.softphone.test_routing import without_phone
from tests.stack import Stack, running_stack

LINE = "+8657796525"


@pytest.fixture
def people_stack(database_url: str) -> Iterator[Stack]:
    """A browser phone rings until it is answered (a person's wait, in real seconds)."""
    with running_stack(database_url, gather_time_scale=1.0) as stack:
        yield stack


def test_no_phone_number_takes_a_call_in_the_browser(people_stack: Stack) -> None:
    stack = people_stack
    make_line(stack.db, number=LINE)
    nobody = without_phone(stack.db, "nophone")
    stack.dispatcher.sync_numbers()
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, stack.url, "nophone")
        expect(page.get_by_test_id("conn-status")).to_have_attribute(
            "data-status", "connected", timeout=10_000
        )
        panel = page.get_by_test_id("phone-panel")
        expect(panel).to_have_attribute("data-mode", "phone")
        expect(page.get_by_test_id("phone-mode-phone")).to_be_checked()

        # A click, not check(): a snapshot sent before the server took the choice may redraw the
        # radio as it was for a moment; the panel then follows the server.
        page.get_by_test_id("phone-mode-browser").click()
        expect(panel).to_have_attribute("data-mode", "browser", timeout=10_000)
        state = page.get_by_test_id("phone-state")
        expect(state).to_have_attribute("data-state", "ready", timeout=10_000)
        page.get_by_test_id("btn-available").click()
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")

        caller = stack.simulator.place_call("+8613812345678", LINE, digits="1")
        expect(page.get_by_test_id("offer-panel")).to_be_visible(timeout=10_000)
        page.get_by_test_id("btn-accept").click()
        expect(state).to_have_attribute("data-state", "ringing", timeout=10_000)
        shots = str(stack.extra.get("shots", "/tmp"))
        page.screenshot(path=shots + "/browser-phone-ringing.png")
        legs = stack.simulator.list_calls(to=f"client:user-{nobody.id}")
        assert [leg["status"] for leg in legs] == ["ringing"]

        page.get_by_test_id("btn-phone-answer").click()
        expect(state).to_have_attribute("data-state", "connected", timeout=10_000)
        call_panel = page.get_by_test_id("call-panel")
        expect(call_panel).to_have_attribute("data-call-state", "connected", timeout=10_000)
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "on_call")
        assert stack.simulator.get_call(caller)["status"] == "in-progress"

        page.get_by_test_id("btn-phone-mute").click()  # no audio here: the panel's own state
        expect(state).to_have_attribute("data-state", "muted")
        page.get_by_test_id("btn-phone-mute").click()
        expect(state).to_have_attribute("data-state", "connected")

        page.get_by_test_id("btn-phone-hangup").click()
        expect(page.get_by_test_id("wrapup-panel")).to_be_visible(timeout=10_000)
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "wrap_up")
        expect(state).to_have_attribute("data-state", "ready", timeout=10_000)
        stack.simulator.wait_for(lambda: stack.simulator.get_call(caller)["status"] == "completed")
        assert [leg["status"] for leg in stack.simulator.list_calls(to=legs[0]["to"])] == [
            "completed"
        ]
        assert not [e for e in errors if not re.search(r"favicon", e)], errors

    with stack.db.session() as session:
        call = session.exec(select(Call)).one()
        assert call.state == CallState.wrap_up and call.end_reason == "counselor_hangup"
