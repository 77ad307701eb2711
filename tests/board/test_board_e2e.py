"""In real Chromium: the supervisor watches a simulated call appear on the live board and
whispers to the counselor; the simulator's conference says who hears the supervisor."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlmodel import select

from hotline.auth.models import Role
from hotline.board.models import CallMonitor, MonitorMode, MonitorStatus
from hotline.calls.models import Call
from hotline.simulator.console_client import ConsoleClient
from hotline.telephony.prompts import DANGER_KEY
from tests.board.test_monitor import LINE, SUPERVISOR_PHONE, legs, supervisor_leg, take_call
from tests.browser import chromium
from tests.calls import inbound
from tests.console.test_console_e2e import sign_in
from tests.factories import PASSWORD, make_line, make_user
from tests.stack import Stack


def test_supervisor_sees_the_call_and_whispers_to_the_counselor(stack: Stack) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    make_user(stack.db, "sam", role=Role.supervisor, endpoint=SUPERVISOR_PHONE)
    stack.dispatcher.sync_numbers()
    counselor = ConsoleClient(stack.url, "alice", PASSWORD)
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, stack.url, "sam")
        page.get_by_test_id("nav-board").click()
        page.wait_for_url(re.compile(r"/supervisor/board"))
        expect(page.get_by_test_id("board-conn")).to_have_attribute(
            "data-status", "connected", timeout=10_000
        )
        expect(page.get_by_test_id("calls-empty")).to_be_visible()

        call_id, caller = take_call(stack, counselor)
        row = page.locator(f'[data-testid="call-row"][data-call-id="{call_id}"]')
        expect(row).to_be_visible(timeout=10_000)
        expect(row).to_contain_text(LINE)
        expect(row.get_by_test_id("call-line")).to_have_text(f"Line {LINE}")
        expect(row.get_by_test_id("call-counselor")).to_have_text("Alice")
        expect(row.get_by_test_id("call-duration")).to_have_text(re.compile(r"^00:0\d$"))
        stack.clock.advance(65)  # the duration is drawn from the server's clock
        page.reload()
        row = page.locator(f'[data-testid="call-row"][data-call-id="{call_id}"]')
        expect(row.get_by_test_id("call-duration")).to_have_text(
            re.compile(r"^01:0\d$"), timeout=10_000
        )

        row.get_by_test_id("btn-whisper").click()
        status = row.get_by_test_id("monitor-status")
        expect(status).to_have_attribute("data-mode", "whisper", timeout=10_000)
        expect(status).to_have_attribute("data-status", "joined", timeout=10_000)
        expect(row.get_by_test_id("btn-whisper")).to_have_attribute("aria-pressed", "true")
        page.screenshot(path=str(stack.extra.get("shots", "/tmp")) + "/board-whisper.png")
        assert errors == []

    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.counselor_call_sid is not None
        counselor_leg = call.counselor_call_sid
        monitor = session.exec(select(CallMonitor)).one()
    assert monitor.mode == MonitorMode.whisper and monitor.status == MonitorStatus.joined
    # In the caller's conference: the supervisor's leg coaches the counselor, and only the
    # counselor hears it; the caller does not.
    leg = supervisor_leg(stack, caller)
    assert leg is not None and leg["call_sid"] == monitor.leg_sid
    assert leg["coaching"] is True and leg["call_sid_to_coach"] == counselor_leg
    assert leg["heard_by"] == [counselor_leg]
    everyone = legs(stack, caller)
    assert leg["call_sid"] in everyone[counselor_leg]["hears"]
    assert leg["call_sid"] not in everyone[caller]["hears"]
    counselor.close()


def test_request_help_reaches_the_supervisor_who_takes_it(stack: Stack) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    make_user(stack.db, "sam", role=Role.supervisor, endpoint=SUPERVISOR_PHONE)
    stack.dispatcher.sync_numbers()
    with chromium() as browser:
        counselor = browser.new_context().new_page()
        supervisor = browser.new_context().new_page()
        errors: list[str] = []
        for page in (counselor, supervisor):
            page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(counselor, stack.url, "alice")
        sign_in(supervisor, stack.url, "sam")
        supervisor.goto(stack.url + "/supervisor/board")
        expect(supervisor.get_by_test_id("board-conn")).to_have_attribute(
            "data-status", "connected", timeout=10_000
        )
        counselor.get_by_test_id("btn-available").click()
        expect(counselor.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")
        take_call_in_browser(counselor, stack)

        counselor.get_by_test_id("btn-help").click()
        expect(counselor.get_by_test_id("help-status")).to_have_attribute(
            "data-help", "open", timeout=10_000
        )
        expect(counselor.get_by_test_id("btn-help")).to_have_attribute("aria-disabled", "true")
        alert = supervisor.get_by_test_id("help-alert")
        expect(alert).to_be_visible(timeout=10_000)
        expect(alert).to_contain_text("Alice")
        expect(supervisor.get_by_test_id("help-row")).to_have_attribute("data-for-me", "true")
        alert.get_by_test_id("btn-ack-help").click()
        expect(supervisor.get_by_test_id("help-alerts")).to_be_hidden(timeout=10_000)
        expect(counselor.get_by_test_id("help-status")).to_have_attribute(
            "data-help", "acknowledged", timeout=10_000
        )
        expect(counselor.get_by_test_id("help-status")).to_contain_text("Sam")
        assert errors == []


def take_call_in_browser(page: Page, stack: Stack) -> str:
    sid: str = stack.simulator.place_call("+8613812345678", LINE, digits="1")
    expect(page.get_by_test_id("offer-panel")).to_be_visible(timeout=10_000)
    page.get_by_test_id("btn-accept").click()
    expect(page.get_by_test_id("call-panel")).to_have_attribute(
        "data-call-state", "connected", timeout=10_000
    )
    return sid


def test_a_caller_in_danger_waiting_shows_on_the_console_and_the_board(quiet_app: Stack) -> None:
    stack = quiet_app
    make_line(stack.db, number=LINE)
    make_user(stack.db, "sam", role=Role.supervisor)
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, stack.url, "sam")
        expect(page.get_by_test_id("conn-status")).to_have_attribute(
            "data-status", "connected", timeout=10_000
        )
        expect(page.get_by_test_id("danger-alert")).to_be_hidden()
        sid = "CA" + "9" * 32
        stack.webhook("/twilio/voice/incoming", inbound(sid, to=LINE))
        stack.webhook("/twilio/voice/gather", {**inbound(sid, to=LINE), "Digits": DANGER_KEY})
        alert = page.get_by_test_id("danger-alert")
        expect(alert).to_be_visible(timeout=10_000)
        expect(alert).to_contain_text("A caller in danger now is waiting on")
        alert.get_by_role("link").click()
        page.wait_for_url(re.compile(r"/supervisor/board"))
        expect(page.get_by_test_id("in-danger-waiting")).to_contain_text(
            "1 in danger now", timeout=10_000
        )
        assert errors == []
