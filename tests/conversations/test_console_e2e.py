"""A counselor answers web chat conversations in a real browser: offered one while available,
they accept it, read the person, reply (stored and sent), take a second while holding the first,
move between the two, end one (after confirming), and its note comes up."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from hotline.calls.models import Call, CallState, Channel
from hotline.conversations import service as conversations
from hotline.conversations.models import ConversationMessage, Delivery, Sender
from hotline.lines.models import Line
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import make_line, make_user
from tests.stack import Stack


def begin(stack: Stack, line: Line, sender: str, body: str) -> int:
    with stack.db.session() as session:
        call = conversations.begin(
            session=session,
            line=line,
            channel=Channel.webchat,
            sender_hash=sender,
            body=body,
            now=stack.clock.now(),
            max_wait_s=600,
        )
        assert call.id is not None
        return call.id


def test_a_counselor_holds_two_web_chats_and_ends_one(stack: Stack) -> None:
    line = make_line(stack.db)
    make_user(stack.db, "alice")
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, stack.url, "alice")
        expect(page.get_by_test_id("conn-status")).to_have_attribute(
            "data-status", "connected", timeout=10_000
        )
        page.get_by_test_id("btn-available").click()
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")

        first = begin(stack, line, "person-1", "I can't sleep and I feel alone")
        stack.dispatcher.tick()
        offer = page.get_by_test_id("offer-panel")
        expect(offer).to_be_visible(timeout=10_000)
        expect(page.get_by_test_id("offer-channel")).to_have_text("Web chat")
        expect(offer).to_have_attribute("data-channel", "webchat")
        page.get_by_test_id("btn-accept").click()

        expect(page.get_by_test_id("agent-state")).to_have_attribute(
            "data-state", "chatting", timeout=10_000
        )
        expect(page.get_by_test_id("agent-state")).to_have_text("In conversations")
        transcript = page.get_by_test_id("transcript")
        person = transcript.locator('[data-sender="person"]')
        expect(person).to_contain_text("I feel alone", timeout=10_000)
        expect(page.get_by_test_id("conversation-card")).to_have_count(1)

        box = page.get_by_test_id("reply-text")
        box.fill("I am here with you.")
        box.press("Shift+Enter")  # a new line, not sent
        box.press_sequentially("Tell me more.")
        box.press("Enter")
        mine = transcript.locator('[data-sender="counselor"]')
        expect(mine).to_contain_text("I am here with you.", timeout=10_000)
        expect(mine.get_by_test_id("delivery")).to_have_text("Sent")
        expect(box).to_have_value("")
        with stack.db.session() as session:
            reply = session.exec(
                select(ConversationMessage).where(ConversationMessage.sender == Sender.counselor)
            ).one()
            assert reply.call_id == first
            assert reply.body == "I am here with you.\nTell me more."
            assert reply.delivery == Delivery.sent  # web chat: handed to the page's socket

        # A second conversation while holding the first: two at once.
        second = begin(stack, line, "person-2", "Is anyone there?")
        stack.dispatcher.tick()
        expect(offer).to_be_visible(timeout=10_000)
        page.get_by_test_id("btn-accept").click()
        cards = page.get_by_test_id("conversation-card")
        expect(cards).to_have_count(2, timeout=10_000)
        expect(offer).to_be_hidden()

        # Moving between them: each shows its own transcript.
        page.locator(f'[data-testid="conversation-card"][data-call-id="{second}"]').click()
        expect(page.get_by_test_id("conversation")).to_have_attribute("data-call-id", str(second))
        expect(person).to_contain_text("Is anyone there?", timeout=10_000)
        expect(transcript).not_to_contain_text("I feel alone")
        page.locator(f'[data-testid="conversation-card"][data-call-id="{first}"]').click()
        expect(person).to_contain_text("I feel alone", timeout=10_000)
        expect(mine).to_contain_text("Tell me more.")

        # Ending the second, after confirming: its note comes up.
        page.locator(f'[data-testid="conversation-card"][data-call-id="{second}"]').click()
        expect(person).to_contain_text("Is anyone there?", timeout=10_000)
        asked: list[str] = []
        page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
        page.get_by_test_id("btn-end-conversation").click()
        ended = page.locator(f'[data-testid="conversation-card"][data-call-id="{second}"]')
        expect(ended).to_have_attribute("data-state", "wrap_up", timeout=10_000)
        assert asked and asked[0].startswith("End this conversation?")
        note = page.get_by_test_id("note-section")
        expect(note).to_be_visible(timeout=10_000)
        expect(note).to_have_attribute("data-call-id", str(second))
        expect(page.get_by_test_id("reply-form")).to_be_hidden()
        # The first is still live, and its note follows when it is chosen.
        page.locator(f'[data-testid="conversation-card"][data-call-id="{first}"]').click()
        expect(note).to_have_attribute("data-call-id", str(first), timeout=10_000)
        expect(page.get_by_test_id("reply-form")).to_be_visible()
        assert errors == []

    with stack.db.session() as session:
        calls = {c.id: c for c in session.exec(select(Call))}
        assert calls[first].state == CallState.connected
        assert calls[second].state == CallState.wrap_up


def test_a_counselor_chatting_takes_a_call_only_once_they_tick_the_choice(stack: Stack) -> None:
    line = make_line(stack.db, number="+8657796525")
    make_user(stack.db, "alice")
    stack.dispatcher.sync_numbers()
    with chromium() as browser:
        page = browser.new_page()
        sign_in(page, stack.url, "alice")
        expect(page.get_by_test_id("conn-status")).to_have_attribute(
            "data-status", "connected", timeout=10_000
        )
        page.get_by_test_id("btn-available").click()
        expect(page.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")
        begin(stack, line, "person-1", "hello")
        stack.dispatcher.tick()
        page.get_by_test_id("btn-accept").click()
        expect(page.get_by_test_id("agent-state")).to_have_attribute(
            "data-state", "chatting", timeout=10_000
        )

        stack.simulator.place_call("+8613812345678", line.number, digits="1")
        stack.simulator.wait_for(
            lambda: any(c.state == CallState.queued for c in calls_of(stack, Channel.voice))
        )
        stack.dispatcher.tick()
        expect(page.get_by_test_id("offer-panel")).to_be_hidden()

        choice = page.get_by_test_id("calls-while-chatting")
        expect(choice).not_to_be_checked()
        choice.check()
        offer = page.get_by_test_id("offer-panel")
        expect(offer).to_be_visible(timeout=10_000)
        expect(offer).to_have_attribute("data-channel", "voice")
        expect(choice).to_be_checked()


def calls_of(stack: Stack, channel: Channel) -> list[Call]:
    with stack.db.session() as session:
        return list(session.exec(select(Call).where(Call.channel == channel)))
