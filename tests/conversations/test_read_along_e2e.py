"""A supervisor reads along and takes over, in Chromium: a counselor holds a web chat
conversation; the supervisor opens "Read along" from the live board, sees the transcript grow
when the person writes, sends a private note the counselor sees and the person never receives,
takes the conversation over (after confirming; dismissing changes nothing), the counselor's
console no longer holds it, and the supervisor answers the person from their own console."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from hotline.auth.models import Role
from hotline.calls.models import Call, CallState
from hotline.conversations.models import ConversationMessage, Delivery, Sender
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.conversations.test_webchat import Page as ChatPage
from tests.factories import make_line, make_user
from tests.stack import Stack

NOTE = "Ask her about sleep"


def test_a_supervisor_reads_along_and_takes_over(stack: Stack) -> None:
    line = make_line(stack.db)
    assert line.id is not None
    alice = make_user(stack.db, "alice")
    make_user(stack.db, "wang", role=Role.supervisor)
    errors: list[str] = []
    with chromium() as browser:
        counselor = browser.new_context().new_page()
        supervisor = browser.new_context().new_page()
        for page in (counselor, supervisor):
            page.on("pageerror", lambda e: errors.append(str(e)))

        # The counselor holds a web chat conversation.
        sign_in(counselor, stack.url, "alice")
        expect(counselor.get_by_test_id("conn-status")).to_have_attribute(
            "data-status", "connected", timeout=10_000
        )
        counselor.get_by_test_id("btn-available").click()
        expect(counselor.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")
        person = ChatPage(stack, line.id)
        person.say("I feel alone tonight")
        person.status("waiting")
        stack.dispatcher.tick()
        expect(counselor.get_by_test_id("offer-panel")).to_be_visible(timeout=10_000)
        counselor.get_by_test_id("btn-accept").click()
        cards = counselor.get_by_test_id("conversation-card")
        expect(cards).to_have_count(1, timeout=10_000)
        with stack.db.session() as session:
            call = session.exec(select(Call)).one()
            call_id = call.id

        # The supervisor opens "Read along" from the live board.
        sign_in(supervisor, stack.url, "wang")
        supervisor.goto(stack.url + "/supervisor/board")
        row = supervisor.locator(f'[data-testid="call-row"][data-call-id="{call_id}"]')
        expect(row).to_have_attribute("data-channel", "webchat", timeout=10_000)
        expect(row.get_by_test_id("btn-listen")).to_have_count(0)
        row.get_by_test_id("btn-read-along").click()
        supervisor.wait_for_url(f"**/supervisor/conversations/{call_id}")
        read = supervisor.get_by_test_id("read-transcript")
        expect(read).to_contain_text("I feel alone tonight", timeout=10_000)
        expect(supervisor.get_by_test_id("read-holder")).to_have_text("Counselor: Alice")

        # The person writes: the read-along view grows by itself.
        person.say("Is anyone there?")
        expect(read.locator('[data-sender="person"]')).to_have_count(2, timeout=10_000)
        expect(read).to_contain_text("Is anyone there?")

        # A private note: the counselor sees it, marked as hers alone.
        supervisor.get_by_test_id("note-text").fill(NOTE)
        supervisor.get_by_test_id("btn-note").click()
        expect(supervisor.get_by_test_id("note-result")).to_have_text(
            "Your note was sent to the counselor only.", timeout=10_000
        )
        expect(read.locator('[data-sender="supervisor"]')).to_contain_text(NOTE, timeout=10_000)
        mine = counselor.get_by_test_id("transcript").locator('[data-sender="supervisor"]')
        expect(mine).to_contain_text(NOTE, timeout=10_000)
        expect(mine.get_by_test_id("message-who")).to_have_text(
            "Supervisor (only you see this): Wang"
        )

        # Taking over needs a confirmation: dismissed, nothing happens.
        supervisor.once("dialog", lambda d: d.dismiss())
        supervisor.get_by_test_id("btn-take-over").click()
        expect(supervisor.get_by_test_id("read-along")).to_have_attribute("data-mine", "false")
        with stack.db.session() as session:
            still = session.get(Call, call_id)
            assert still is not None and still.counselor_id == alice.id
        asked: list[str] = []
        supervisor.once("dialog", lambda d: (asked.append(d.message), d.accept()))
        supervisor.get_by_test_id("btn-take-over").click()
        supervisor.wait_for_url("**/console", timeout=10_000)
        assert asked and asked[0].startswith("Take over this conversation?")

        # The counselor's console no longer holds it, and she is told.
        expect(cards).to_have_count(0, timeout=10_000)
        expect(counselor.get_by_test_id("agent-state")).to_have_attribute(
            "data-state", "available", timeout=10_000
        )

        # The supervisor answers from his console; the person gets it.
        theirs = supervisor.get_by_test_id("conversation-card")
        expect(theirs).to_have_count(1, timeout=10_000)
        expect(supervisor.get_by_test_id("agent-state")).to_have_attribute("data-state", "chatting")
        box = supervisor.get_by_test_id("reply-text")
        box.fill("I'm Wang, I'm here with you now.")
        box.press("Enter")
        expect(
            supervisor.get_by_test_id("transcript").locator('[data-sender="counselor"]')
        ).to_contain_text("I'm Wang", timeout=10_000)
        person.until(
            lambda f: f["type"] == "message" and f["body"] == "I'm Wang, I'm here with you now."
        )
        assert errors == []

    # The person was told another counselor goes on, and never got the note.
    bodies = [m["body"] for m in person.messages]
    told = [m["body"] for m in person.messages if m["sender"] == "line" and "Wang" in m["body"]]
    assert told == ["现在由另一位咨询员 Wang 继续与您交谈。"]  # the line's language, zh_CN
    assert NOTE not in bodies and all(m["sender"] != "supervisor" for m in person.messages)
    person.close()
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.state == CallState.connected
        note = session.exec(
            select(ConversationMessage).where(ConversationMessage.sender == Sender.supervisor)
        ).one()
        assert note.delivery == Delivery.private
