"""In real Chromium: a person writes on the line's web chat page; a counselor accepts it in the
console and answers the screener at high risk in its note; the crisis worker on call
acknowledges the alert in their console, joins the conversation and writes; the person's page
shows the line's "a crisis worker has joined" and the crisis worker's message."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from hotline.auth.models import Role
from hotline.calls.models import Call
from hotline.conversations import words
from hotline.conversations.models import ConversationMessage, Sender
from hotline.escalation.models import Escalation, EscalationLog, EscalationStatus
from hotline.lines.models import Line
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import make_line, make_rota, make_user
from tests.stack import Stack


def test_a_web_chat_escalated_at_high_risk_is_joined_by_the_crisis_worker(stack: Stack) -> None:
    line = make_line(stack.db)
    make_user(stack.db, "alice")
    worker = make_user(stack.db, "zhao", role=Role.crisis, endpoint="+8613900003333")
    make_rota(stack.db, "crisis", [worker])
    with chromium() as browser:
        person = browser.new_context().new_page()
        counselor = browser.new_context().new_page()
        crisis = browser.new_context().new_page()
        errors: list[str] = []
        for page in (person, counselor, crisis):
            page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(counselor, stack.url, "alice")
        sign_in(crisis, stack.url, "zhao")
        counselor.get_by_test_id("btn-available").click()
        expect(counselor.get_by_test_id("agent-state")).to_have_attribute(
            "data-state", "available", timeout=10_000
        )

        person.goto(f"{stack.url}/chat/{line.id}")
        person.get_by_test_id("chat-input").fill("I have saved up pills and I want to end it")
        person.get_by_test_id("chat-send").click()
        expect(person.get_by_test_id("chat-log")).to_contain_text("saved up pills", timeout=10_000)

        stack.dispatcher.tick()
        expect(counselor.get_by_test_id("offer-panel")).to_be_visible(timeout=10_000)
        counselor.get_by_test_id("btn-accept").click()
        expect(counselor.get_by_test_id("transcript")).to_contain_text(
            "saved up pills", timeout=10_000
        )
        # The screener in the conversation's note: intent -> high, the crisis team is paged.
        counselor.get_by_test_id("sq-q1_wish_dead-yes").check()
        counselor.get_by_test_id("sq-q2_suicidal_thoughts-yes").check()
        counselor.get_by_test_id("sq-q4_intent-yes").check()
        expect(counselor.get_by_test_id("escalation-banner")).to_be_visible(timeout=10_000)

        stack.dispatcher.tick()  # the policy's first step: zhao's console (and phone)
        alert = crisis.get_by_test_id("alert-row")
        expect(alert).to_be_visible(timeout=10_000)
        expect(alert).to_have_attribute("data-channel", "webchat")
        expect(alert.get_by_test_id("alert-channel")).to_have_text("Web chat")
        crisis.get_by_test_id("btn-ack").click()
        expect(alert).to_have_attribute("data-status", "acknowledged", timeout=10_000)
        expect(crisis.get_by_test_id("btn-join")).to_have_text("Join the conversation")
        expect(crisis.get_by_test_id("btn-dial-back")).to_be_hidden()
        crisis.get_by_test_id("btn-join").click()
        expect(alert).to_have_attribute("data-status", "joined", timeout=10_000)

        # Their console shows the conversation: the person's words, and a reply box.
        card = crisis.get_by_test_id("conversation-card")
        expect(card).to_have_attribute("data-role", "responder", timeout=10_000)
        transcript = crisis.get_by_test_id("transcript")
        expect(transcript.locator('[data-sender="person"]')).to_contain_text(
            "saved up pills", timeout=10_000
        )
        expect(crisis.get_by_test_id("btn-end-conversation")).to_be_hidden()
        box = crisis.get_by_test_id("reply-text")
        box.fill("I am Zhao from the crisis team. Can you put the pills in another room?")
        box.press("Enter")
        expect(transcript.locator('[data-sender="responder"]')).to_contain_text(
            "another room", timeout=10_000
        )

        # The person's page: the line's notice, then the crisis worker's message.
        with stack.db.session() as session:
            stored = session.get(Line, line.id)
            assert stored is not None
            notice = words.responder_joined(stored, None)
        log = person.get_by_test_id("chat-log")
        expect(log).to_contain_text(notice, timeout=10_000)
        said = person.get_by_test_id("chat-message-responder")
        expect(said).to_contain_text("another room", timeout=10_000)
        expect(said).to_contain_text("Crisis worker")
        # The counselor sees it too, as the crisis worker's.
        expect(
            counselor.get_by_test_id("transcript").locator('[data-sender="responder"]')
        ).to_contain_text("another room", timeout=10_000)
        assert errors == []

    with stack.db.session() as session:
        escalation = session.exec(select(Escalation)).one()
        assert escalation.status == EscalationStatus.joined
        call = session.get(Call, escalation.call_id)
        assert call is not None and call.is_text
        logged = [
            (e.kind, e.channel)
            for e in session.exec(select(EscalationLog).order_by(EscalationLog.id))  # type: ignore[arg-type]
        ]
        assert logged[0] == ("triggered", "webchat")
        assert ("joined", "webchat") in logged
        reply = session.exec(
            select(ConversationMessage).where(ConversationMessage.sender == Sender.responder)
        ).one()
        assert reply.user_id == worker.id
    # No phone leg for a text: nothing was dialled into a conference named after it.
    assert all(
        call.call_sid not in (c.get("friendly_name"), c.get("name"))
        for c in stack.simulator.list_conferences()
    )
