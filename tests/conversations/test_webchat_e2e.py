"""In real Chromium, the person's web chat page and the counselor's console side by side: what
the person writes reaches the open conversation live (the console's message frame, no
snapshot) with "the person is writing" before it; an unread count marks the other conversation;
the counselor offers a call, the page asks for the number, refuses what is not one, and the line
calls the number given, from its own, with the counselor put through."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from hotline.dialback.models import DialBack
from tests.browser import chromium
from tests.calls import LINE
from tests.console.test_console_e2e import sign_in
from tests.conversations.test_console_e2e import begin
from tests.factories import make_line, make_user
from tests.stack import Stack

NUMBER = "+8613812345678"


def test_a_person_on_the_page_is_read_live_and_called_when_they_give_their_number(
    stack: Stack,
) -> None:
    line = make_line(stack.db, number=LINE, languages=["en"])
    make_user(stack.db, "alice")
    stack.dispatcher.sync_numbers()
    with chromium() as browser:
        person = browser.new_context().new_page()
        console = browser.new_context().new_page()
        errors: list[str] = []
        for page in (person, console):
            page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(console, stack.url, "alice")
        console.get_by_test_id("btn-available").click()
        expect(console.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")

        person.goto(f"{stack.url}/chat/{line.id}?lang=en")
        person.get_by_test_id("chat-input").fill("Is anyone there?")
        person.get_by_test_id("chat-send").click()
        expect(person.get_by_test_id("chat-log")).to_contain_text("Is anyone there?")
        stack.dispatcher.tick()
        expect(console.get_by_test_id("offer-panel")).to_be_visible()
        console.get_by_test_id("btn-accept").click()
        transcript = console.get_by_test_id("transcript")
        expect(transcript).to_contain_text("Is anyone there?")
        expect(person.get_by_test_id("chat-status")).to_have_attribute("data-state", "live")

        # The person writes: the console says so, then shows the message in the open transcript.
        person.get_by_test_id("chat-input").press_sequentially("I feel so alone")
        expect(console.get_by_test_id("conversation-typing")).to_be_visible()
        person.get_by_test_id("chat-send").click()
        theirs = transcript.locator('[data-sender="person"]')
        expect(theirs.last).to_contain_text("I feel so alone")

        # A second conversation, chosen: the first one's new message shows as unread on its card.
        other = begin(stack, line, "person-2", "hello?")
        stack.dispatcher.tick()
        expect(console.get_by_test_id("offer-panel")).to_be_visible()
        console.get_by_test_id("btn-accept").click()
        console.locator(f'[data-testid="conversation-card"][data-call-id="{other}"]').click()
        expect(transcript).to_contain_text("hello?")
        first_card = console.locator('[data-testid="conversation-card"]').first
        unread = first_card.get_by_test_id("conversation-unread")
        expect(unread).to_have_text("2 new")  # nothing answered yet
        person.get_by_test_id("chat-input").fill("Are you still there?")
        person.get_by_test_id("chat-send").click()
        expect(unread).to_have_text("3 new")
        console.once("dialog", lambda d: d.accept())
        console.get_by_test_id("btn-end-conversation").click()  # the second one: one at a time
        expect(
            console.locator(f'[data-testid="conversation-card"][data-call-id="{other}"]')
        ).to_have_attribute("data-state", "wrap_up")
        console.get_by_test_id("btn-conversation-done").click()
        first_card.click()
        expect(theirs.last).to_contain_text("Are you still there?")

        # A call offered: the page asks for the number; nonsense is refused there.
        asked: list[str] = []
        console.once("dialog", lambda d: (asked.append(d.message), d.accept()))
        console.get_by_test_id("btn-call-them").click()
        offer = person.get_by_test_id("chat-call-offer")
        expect(offer).to_be_visible()
        assert asked and asked[0].startswith("Offer the person a phone call?")
        person.get_by_test_id("chat-call-number").fill("not a number")
        person.get_by_test_id("chat-call-me").click()
        expect(person.get_by_test_id("chat-call-error")).to_be_visible()
        person.get_by_test_id("chat-call-number").fill("138 1234 5678")
        person.get_by_test_id("chat-call-me").click()
        expect(offer).to_be_hidden()
        expect(person.get_by_test_id("chat-log")).to_contain_text("will call you now")
        assert errors == []

    def placed() -> str | None:
        with stack.db.session() as session:
            dial = session.exec(select(DialBack)).first()
            return dial.call_sid if dial is not None else None

    call_sid = stack.simulator.wait_for(placed, timeout=10, interval=0.1)
    call = stack.simulator.get_call(call_sid)
    assert call["from"] == LINE and call["to"] == NUMBER
