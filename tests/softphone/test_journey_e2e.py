"""The browser phone's whole journey in Chromium (issue 16's "Done when"): a counselor with no
phone number chooses the browser, answers a simulated caller in the phone panel, mutes and
unmutes, holds and resumes, consults a colleague who is on the browser phone too, and completes
a warm transfer. At each step the simulator's conference says who hears whom, and the consoles
say the same."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from hotline.calls.models import Call, CallEvent
from tests.board.test_monitor import legs
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import make_line
from tests.softphone.test_routing import without_phone
from tests.stack import Stack, running_stack

LINE = "+8657796525"
CALLER = "+8613812345678"


@pytest.fixture
def people_stack(database_url: str) -> Iterator[Stack]:
    """A browser phone rings until it is answered (a person's wait, in real seconds)."""
    with running_stack(database_url, gather_time_scale=1.0) as stack:
        yield stack


def on_the_browser_phone(page: Page, stack: Stack, username: str) -> None:
    """Signed in, the browser chosen for this shift, the panel ready, available."""
    sign_in(page, stack.url, username)
    expect(page.get_by_test_id("conn-status")).to_have_attribute(
        "data-status", "connected", timeout=10_000
    )
    # A click, not check(): a snapshot may redraw the radio as it was for a moment.
    page.get_by_test_id("phone-mode-browser").click()
    expect(page.get_by_test_id("phone-panel")).to_have_attribute(
        "data-mode", "browser", timeout=10_000
    )
    expect(page.get_by_test_id("phone-state")).to_have_attribute(
        "data-state", "ready", timeout=10_000
    )
    page.get_by_test_id("btn-available").click()
    expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")


def conference_once(
    stack: Stack, caller: str, holds: Callable[[dict[str, dict[str, Any]]], bool]
) -> dict[str, dict[str, Any]]:
    """The caller's conference (connected participants by CallSid) once `holds` is true of it:
    the simulator applies the app's REST calls a moment after the console shows them."""
    found: dict[str, dict[str, Any]] = stack.simulator.wait_for(
        lambda: (now := legs(stack, caller)) and holds(now) and now
    )
    return found


def client_leg(stack: Stack, user_id: int | None) -> dict[str, Any]:
    """The one leg the simulator has placed to this user's browser phone."""
    [leg] = stack.simulator.list_calls(to=f"client:user-{user_id}")
    return leg


def test_no_number_answers_mutes_holds_consults_and_transfers_in_the_browser(
    people_stack: Stack,
) -> None:
    stack = people_stack
    make_line(stack.db, number=LINE)
    alice_user = without_phone(stack.db, "alice")
    bob_user = without_phone(stack.db, "bob")
    stack.dispatcher.sync_numbers()
    shots = str(stack.extra.get("shots", "/tmp"))
    with chromium() as browser:
        errors: list[str] = []
        alice = browser.new_context().new_page()
        bob = browser.new_context().new_page()
        for page in (alice, bob):
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
        on_the_browser_phone(alice, stack, "alice")
        alice_phone = alice.get_by_test_id("phone-state")

        # Answer in the browser: the panel rings, then the caller and Alice hear each other.
        caller = stack.simulator.place_call(CALLER, LINE, digits="1")
        expect(alice.get_by_test_id("offer-panel")).to_be_visible(timeout=10_000)
        alice.get_by_test_id("btn-accept").click()
        expect(alice_phone).to_have_attribute("data-state", "ringing", timeout=10_000)
        ringing = client_leg(stack, alice_user.id)
        assert ringing["status"] == "ringing" and not ringing["in_conference"]
        alice.get_by_test_id("btn-phone-answer").click()
        expect(alice_phone).to_have_attribute("data-state", "connected", timeout=10_000)
        expect(alice.get_by_test_id("call-panel")).to_have_attribute(
            "data-call-state", "connected", timeout=10_000
        )
        alice_leg = client_leg(stack, alice_user.id)["sid"]
        talking = conference_once(stack, caller, lambda c: alice_leg in c[caller]["hears"])
        assert set(talking) == {caller, alice_leg} and talking[alice_leg]["hears"] == [caller]
        assert talking[alice_leg]["label"] == f"counselor:{alice_user.id}"
        with stack.db.session() as session:
            assert session.exec(select(Call)).one().counselor_call_sid == alice_leg

        # Mute: the caller no longer hears Alice; she still hears them.
        control = alice.get_by_test_id("call-control")
        alice.get_by_test_id("btn-mute").click()
        expect(control).to_have_attribute("data-muted", "true", timeout=10_000)
        muted = conference_once(stack, caller, lambda c: c[alice_leg]["muted"])
        assert alice_leg not in muted[caller]["hears"] and muted[alice_leg]["hears"] == [caller]
        alice.get_by_test_id("btn-mute").click()
        expect(control).to_have_attribute("data-muted", "false", timeout=10_000)
        conference_once(stack, caller, lambda c: alice_leg in c[caller]["hears"])

        # Hold: the caller hears the hold music, nobody in the call; resume brings them back.
        alice.get_by_test_id("btn-hold").click()
        expect(control).to_have_attribute("data-on-hold", "true", timeout=10_000)
        held = conference_once(stack, caller, lambda c: c[caller]["hold"])
        assert held[caller]["hears"] == [] and held[caller]["heard_by"] == []
        alice.get_by_test_id("btn-hold").click()
        expect(control).to_have_attribute("data-on-hold", "false", timeout=10_000)
        resumed = conference_once(stack, caller, lambda c: not c[caller]["hold"])
        assert resumed[caller]["hears"] == [alice_leg]

        # Consult Bob, on the browser phone too: the caller is held, Bob's panel rings.
        on_the_browser_phone(bob, stack, "bob")
        bob_phone = bob.get_by_test_id("phone-state")
        alice.get_by_test_id("transfer-box").locator("summary").click()
        choice = alice.get_by_test_id("transfer-colleague")
        expect(choice.locator("option")).to_have_count(2, timeout=10_000)
        choice.select_option(str(bob_user.id))
        alice.get_by_test_id("transfer-message").fill("Exam stress, low risk")
        alice.get_by_test_id("btn-transfer-warm").click()
        out = alice.get_by_test_id("transfer-out")
        expect(out).to_have_attribute("data-status", "dialing", timeout=10_000)
        expect(control).to_have_attribute("data-on-hold", "true", timeout=10_000)
        incoming = bob.get_by_test_id("transfer-in")
        expect(incoming).to_have_attribute("data-status", "dialing", timeout=10_000)
        expect(bob_phone).to_have_attribute("data-state", "ringing", timeout=10_000)
        ringing = client_leg(stack, bob_user.id)
        assert ringing["status"] == "ringing" and not ringing["in_conference"]
        bob.get_by_test_id("btn-phone-answer").click()
        expect(bob_phone).to_have_attribute("data-state", "connected", timeout=10_000)
        expect(out).to_have_attribute("data-status", "consulting", timeout=10_000)
        expect(incoming).to_have_attribute("data-status", "consulting", timeout=10_000)
        bob_leg = client_leg(stack, bob_user.id)["sid"]
        consulting = conference_once(stack, caller, lambda c: bob_leg in c and c[caller]["hold"])
        assert set(consulting) == {caller, alice_leg, bob_leg}
        assert set(consulting[alice_leg]["hears"]) == {bob_leg}  # not the held caller
        assert set(consulting[bob_leg]["hears"]) == {alice_leg}
        assert consulting[caller]["hears"] == [] and consulting[caller]["heard_by"] == []
        assert CALLER not in bob.content() and CALLER[3:] not in bob.content()
        bob.screenshot(path=shots + "/browser-phone-consult.png")

        # Complete: Alice's leg leaves, Bob holds the call, the caller is off hold with him.
        alice.get_by_test_id("btn-transfer-complete").click()
        expect(bob.get_by_test_id("call-panel")).to_have_attribute(
            "data-call-state", "connected", timeout=10_000
        )
        expect(incoming).to_be_hidden()
        expect(bob.get_by_test_id("call-control")).to_have_attribute("data-on-hold", "false")
        expect(bob_phone).to_have_attribute("data-state", "connected")
        expect(alice.get_by_test_id("agent-state")).to_have_attribute(
            "data-state", "wrap_up", timeout=10_000
        )
        expect(alice_phone).to_have_attribute("data-state", "ready", timeout=10_000)
        handed = conference_once(
            stack, caller, lambda c: alice_leg not in c and not c[caller]["hold"]
        )
        assert set(handed) == {caller, bob_leg} and handed[caller]["hears"] == [bob_leg]
        stack.simulator.wait_for_status(alice_leg, "completed")
        assert stack.simulator.get_call(caller)["status"] == "in-progress"
        with stack.db.session() as session:
            call = session.exec(select(Call)).one()
            assert call.counselor_id == bob_user.id and call.counselor_call_sid == bob_leg

        # Bob ends the call from his phone panel: the conference ends, and the caller's call.
        bob.get_by_test_id("btn-phone-hangup").click()
        expect(bob.get_by_test_id("agent-state")).to_have_attribute(
            "data-state", "wrap_up", timeout=10_000
        )
        expect(bob_phone).to_have_attribute("data-state", "ready", timeout=10_000)
        stack.simulator.wait_for_status(caller, "completed")
        bob.screenshot(path=shots + "/browser-phone-journey-done.png")
        assert not [e for e in errors if not re.search(r"favicon", e)], errors

    with stack.db.session() as session:
        states = session.exec(
            select(CallEvent.state).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
        ).all()
    ours = ("counselor_muted", "counselor_unmuted", "caller_held", "caller_resumed", "transfer")
    assert [s for s in states if s.startswith(ours)] == [
        "counselor_muted",
        "counselor_unmuted",
        "caller_held",
        "caller_resumed",
        "caller_held",
        "transfer_started",
        "transfer_consulting",
        "transferred",
        "transfer_completed",
    ]
    assert states.count("connected") == 1  # one answered call, whoever holds it
    assert states[-1] == "wrap_up"  # Bob's part, from his phone panel
