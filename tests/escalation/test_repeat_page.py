"""A page sent again after its sender died (lease lapsed) may reach the person twice: pages are
at-least-once. The second SMS and the second paging call say that they repeat an earlier page."""

from __future__ import annotations

from sqlmodel import select

from hotline.escalation.models import Channel, Page, PageStatus
from hotline.escalation.paging import alert_text
from hotline.escalation.service import PAGE_LEASE
from tests.escalation.test_paging import CRISIS_PHONE, escalated_call
from tests.stack import Stack

REPEAT = "Repeat of page"


def sent_pages(stack: Stack) -> dict[Channel, Page]:
    with stack.db.session() as session:
        pages = session.exec(select(Page).where(Page.status == PageStatus.sent)).all()
    return {page.channel: page for page in pages}


def as_if_the_sender_died_after_sending(stack: Stack) -> None:
    """The provider took both pages, then the process died before it recorded them as sent."""
    with stack.db.session() as session:
        for page in session.exec(select(Page).where(Page.channel != Channel.console)):
            page.status = PageStatus.sending
            page.sent_at = None
    stack.clock.advance(PAGE_LEASE.total_seconds() + 1)


def test_a_page_resent_after_its_lease_lapsed_says_it_is_a_repeat(stack: Stack) -> None:
    stack.simulator.set_phone(CRISIS_PHONE, "manual")  # the paging calls ring unanswered
    escalated_call(stack)
    stack.dispatcher.tick()
    stack.simulator.wait_for(lambda: {Channel.sms, Channel.voice} <= set(sent_pages(stack)))
    first_sms = [m for m in stack.simulator.list_messages() if m["to"] == CRISIS_PHONE]
    assert len(first_sms) == 1 and REPEAT not in first_sms[0]["body"]
    voice = sent_pages(stack)[Channel.voice]
    first_call = stack.webhook(
        f"/twilio/page/voice?page_id={voice.id}", {"CallSid": "CA" + "1" * 32}
    )
    assert "Crisis alert" in first_call.text and REPEAT not in first_call.text

    as_if_the_sender_died_after_sending(stack)
    stack.dispatcher.tick()
    stack.simulator.wait_for(lambda: {Channel.sms, Channel.voice} <= set(sent_pages(stack)))
    sms = [m["body"] for m in stack.simulator.list_messages() if m["to"] == CRISIS_PHONE]
    assert len(sms) == 2  # at-least-once: sent again
    page_ids = {page.channel: page.id for page in sent_pages(stack).values()}
    assert sms[1].startswith(f"{REPEAT} {page_ids[Channel.sms]},")
    assert "Crisis alert" in sms[1]
    assert len(stack.simulator.list_calls(to=CRISIS_PHONE)) == 2
    second_call = stack.webhook(
        f"/twilio/page/voice?page_id={voice.id}", {"CallSid": "CA" + "2" * 32}
    )
    assert f"{REPEAT} {page_ids[Channel.voice]}," in second_call.text


def test_the_repeat_wording_is_translated() -> None:
    text = alert_text(level="high", line_name="热线", locale="zh_CN", voice=False, repeat_of=7)
    assert text.startswith("重复发送第7号呼叫")
