"""In real Chromium: a counselor opens a follow-up, presses "call back as the line" (by
keyboard), sees it dialling and connected once the caller (the simulator) answers, is put
through to their own phone, and the page never holds the number."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import select

from hotline.dialback.models import DialBack
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.dialback.drive import LINE, NUMBER_FORMS, follow_up_for
from tests.followups.drive import CALLBACK
from tests.stack import Stack


def test_a_counselor_calls_a_follow_up_back_as_the_line(ringing_stack: Stack) -> None:
    stack = ringing_stack
    follow_up, _line = follow_up_for(stack)
    stack.dispatcher.sync_numbers()
    # The caller's phone rings until the test answers it.
    stack.simulator.set_phone(CALLBACK, "manual")
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, stack.url, "alice")
        page.goto(f"{stack.url}/console/followups/{follow_up.id}")
        button = page.get_by_test_id("btn-dialback")
        expect(button).to_have_text("Call back as the line")
        button.focus()
        page.keyboard.press("Enter")
        state = page.get_by_test_id("dialback-state")
        expect(state).to_have_attribute("data-state", re.compile("dialling|ringing"))

        def ringing() -> tuple[int, str] | None:
            with stack.db.session() as session:
                row = session.exec(select(DialBack)).first()
                if row is None or row.status != "ringing" or row.call_sid is None:
                    return None
                return row.id or 0, row.call_sid

        dial_back_id, sid = stack.simulator.wait_for(ringing, timeout=10, interval=0.1)
        expect(state).to_have_attribute("data-state", "ringing", timeout=10_000)
        stack.simulator.answer(sid)
        expect(state).to_have_attribute("data-state", "connected", timeout=15_000)
        expect(state).to_have_text("Connected")
        expect(page.get_by_test_id("dialback-console")).to_be_visible()
        conference = stack.simulator.get_conference(sid)
        joined = [p for p in conference["participants"] if p["status"] == "connected"]
        assert len(joined) == 2  # the caller and the counselor's own phone
        content = page.content()
        state_answer = page.request.get(f"{stack.url}/api/dialbacks/{dial_back_id}").text()
        assert '"state":"connected"' in state_answer
        for form in NUMBER_FORMS:
            assert form not in content and form not in state_answer
        placed = stack.simulator.get_call(sid)
        assert placed["from"] == LINE and placed["to"] == CALLBACK

        stack.simulator.hangup(sid)
        expect(state).to_have_attribute("data-state", "ended", timeout=15_000)
        assert errors == []
