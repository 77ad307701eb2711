"""Two counselors in Chromium: Alice holds her caller, consults Bob (who sees "consult from
Alice about a call" with what she shared, never the caller's number), and completes a warm
transfer; Bob's console then shows the live call and the note Alice began."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from hotline.calls.models import Call, CallEvent
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import make_line, make_user
from tests.notes.test_note_e2e import saved
from tests.stack import Stack

LINE = "+8657796525"
CALLER = "+8613812345678"
SUMMARY = "Exam stress; sleeps badly. Alice's part."


def test_a_counselor_consults_a_colleague_and_completes_a_warm_transfer(stack: Stack) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    bob_user = make_user(stack.db, "bob")
    stack.dispatcher.sync_numbers()
    with chromium() as browser:
        errors: list[str] = []
        alice = browser.new_context().new_page()
        bob = browser.new_context().new_page()
        for page in (alice, bob):
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(alice, stack.url, "alice")
        sign_in(bob, stack.url, "bob")
        for page in (alice, bob):
            expect(page.get_by_test_id("conn-status")).to_have_attribute(
                "data-status", "connected", timeout=10_000
            )
        alice.get_by_test_id("btn-available").click()
        expect(alice.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")
        caller = stack.simulator.place_call(CALLER, LINE, digits="1")
        expect(alice.get_by_test_id("offer-panel")).to_be_visible(timeout=10_000)
        alice.get_by_test_id("btn-accept").click()
        expect(alice.get_by_test_id("call-panel")).to_have_attribute(
            "data-call-state", "connected", timeout=10_000
        )
        alice.get_by_test_id("summary").fill(SUMMARY)
        saved(alice)
        bob.get_by_test_id("btn-available").click()
        expect(bob.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")

        # Alice holds the caller, then consults Bob (chosen from who can take a call now).
        alice.get_by_test_id("btn-hold").click()
        expect(alice.get_by_test_id("call-control")).to_have_attribute(
            "data-on-hold", "true", timeout=10_000
        )
        alice.get_by_test_id("transfer-box").locator("summary").click()
        choice = alice.get_by_test_id("transfer-colleague")
        expect(choice.locator("option")).to_have_count(2, timeout=10_000)
        choice.select_option(str(bob_user.id))
        alice.get_by_test_id("transfer-message").fill("Exam stress, low risk, wants a man")
        alice.get_by_test_id("btn-transfer-warm").focus()
        alice.keyboard.press("Enter")  # keyboard usable
        out = alice.get_by_test_id("transfer-out")
        expect(out).to_have_attribute("data-status", "consulting", timeout=10_000)
        expect(alice.get_by_test_id("transfer-out-status")).to_contain_text("Bob")

        incoming = bob.get_by_test_id("transfer-in")
        expect(incoming).to_have_attribute("data-status", "consulting", timeout=10_000)
        expect(bob.get_by_test_id("transfer-in-title")).to_have_text(
            "Consult from Alice about a call"
        )
        expect(bob.get_by_test_id("transfer-in-message")).to_have_text(
            "Exam stress, low risk, wants a man"
        )
        expect(bob.get_by_test_id("transfer-in-line")).to_have_text(f"Line {LINE}")
        assert CALLER not in bob.content() and CALLER[3:] not in bob.content()
        expect(bob.get_by_test_id("call-panel")).to_be_hidden()
        legs = stack.simulator.get_conference(caller)["participants"]
        assert any(p["call_sid"] == caller and p["hold"] for p in legs)

        alice.get_by_test_id("btn-transfer-complete").click()
        expect(bob.get_by_test_id("call-panel")).to_have_attribute(
            "data-call-state", "connected", timeout=10_000
        )
        expect(incoming).to_be_hidden()
        expect(alice.get_by_test_id("agent-state")).to_have_attribute(
            "data-state", "wrap_up", timeout=10_000
        )
        # Bob's console shows the call's note as Alice left it, and he goes on writing it.
        expect(bob.get_by_test_id("summary")).to_have_value(SUMMARY, timeout=10_000)
        bob.get_by_test_id("summary").fill(SUMMARY + " Bob: a plan for tonight.")
        saved(bob)
        expect(bob.get_by_test_id("call-control")).to_have_attribute("data-on-hold", "false")
        stack.simulator.wait_for(
            lambda: any(
                p["call_sid"] == caller and not p["hold"]
                for p in stack.simulator.get_conference(caller)["participants"]
            )
        )
        bob.screenshot(path=str(stack.extra.get("shots", "/tmp")) + "/console-transfer.png")
        assert errors == []

    with stack.db.session() as session:
        call = session.exec(select(Call)).one()
        assert call.counselor_id == bob_user.id and call.state == "connected"
        states = session.exec(
            select(CallEvent.state).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
        ).all()
    assert "transfer_started" in states and "transferred" in states
    assert states.count("connected") == 1
