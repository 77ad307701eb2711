"""In a real browser the counselor opens the quick replies of their conversation's line, picks
one, and its text is put into the reply box at the cursor (nothing is sent); they change it and
send it themselves."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from hotline.conversations.models import ConversationMessage, Sender
from hotline.quickreplies.models import QuickReply
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.conversations.test_console_e2e import begin
from tests.factories import make_line, make_user
from tests.stack import Stack


def test_a_quick_reply_is_inserted_into_the_box_and_never_sent_by_itself(stack: Stack) -> None:
    line = make_line(stack.db)
    make_user(stack.db, "alice")
    now = stack.clock.now()
    with stack.db.session() as session:
        assert line.id is not None
        for title, text, sort, active in [
            ("Greeting", "I am here with you.", 1, True),
            ("Safety", "Are you safe right now?", 2, True),
            ("Old", "Retired text", 3, False),
        ]:
            session.add(
                QuickReply(
                    line_id=line.id,
                    title=title,
                    text=text,
                    language="en",
                    sort=sort,
                    active=active,
                    created_at=now,
                    updated_at=now,
                )
            )
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
        call_id = begin(stack, line, "person-1", "Hello?")
        stack.dispatcher.tick()
        expect(page.get_by_test_id("offer-panel")).to_be_visible(timeout=10_000)
        page.get_by_test_id("btn-accept").click()
        expect(page.get_by_test_id("reply-form")).to_be_visible(timeout=10_000)

        box = page.get_by_test_id("reply-text")
        box.fill("Hi. ")
        page.get_by_test_id("btn-quick-replies").click()
        replies = page.get_by_test_id("quick-reply")
        expect(replies).to_have_count(2, timeout=10_000)  # the retired one is not offered
        expect(replies.nth(0)).to_contain_text("Greeting")
        replies.nth(1).click()
        expect(box).to_have_value("Hi. Are you safe right now?")
        expect(box).to_be_focused()
        expect(page.get_by_test_id("quick-reply-list")).to_be_hidden()
        expect(page.get_by_test_id("quick-reply-status")).to_contain_text("Inserted")
        with stack.db.session() as session:
            sent = session.exec(
                select(ConversationMessage).where(ConversationMessage.sender == Sender.counselor)
            ).all()
            assert sent == []  # picking sends nothing

        box.press_sequentially(" Take your time.")
        box.press("Enter")
        mine = page.get_by_test_id("transcript").locator('[data-sender="counselor"]')
        expect(mine).to_contain_text("Are you safe right now? Take your time.", timeout=10_000)
        assert errors == []
    with stack.db.session() as session:
        reply = session.exec(
            select(ConversationMessage).where(ConversationMessage.sender == Sender.counselor)
        ).one()
        assert reply.call_id == call_id
        assert reply.body == "Hi. Are you safe right now? Take your time."
