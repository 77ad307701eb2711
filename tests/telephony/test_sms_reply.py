"""A person who texts a closed line is answered at once with the emergency numbers and the
partner line; a blocked sender gets nothing; nothing of the message is kept (an open line
starts a conversation: tests/conversations/test_sms.py). Through the simulator: the SMS arrives
at the line's number, the app's TwiML reply is sent back."""

from __future__ import annotations

from typing import Any

from hotline.auth.models import Role
from hotline.blocklist import service as blocklist
from hotline.lines import service as lines
from hotline.privacy import caller_hash
from tests.calls import CALLER, LINE
from tests.factories import make_line, make_user
from tests.fuzz.test_fuzz import row_counts
from tests.stack import Stack

CLOSED_ALL_WEEK = {day: [["03:00", "03:01"]] for day in lines.WEEKDAYS}


def replies_to(stack: Stack, number: str) -> list[dict[str, Any]]:
    return [
        m
        for m in stack.simulator.list_messages()
        if m["to"] == number and m["direction"] == "outbound-reply"
    ]


def text_the_line(stack: Stack, body: str, sender: str = CALLER) -> list[dict[str, Any]]:
    stack.dispatcher.sync_numbers()  # the number's SMS URL points at the app
    before = row_counts(stack)
    stack.simulator.send_sms(sender, LINE, body)
    after = row_counts(stack)
    # Only the webhook's receipt (for idempotency): not the message, not the sender.
    assert {t for t in before if before[t] != after[t]} <= {"webhook_receipts"}
    return replies_to(stack, sender)


def test_a_closed_line_gives_the_emergency_numbers_and_its_partner(stack: Stack) -> None:
    line = make_line(
        stack.db,
        languages=["en"],
        opening_hours=CLOSED_ALL_WEEK,
        partner_number="+8657712356",
    )
    assert not lines.is_open(line, stack.clock.now())
    [reply] = text_the_line(stack, "I want to die")
    assert "closed now" in reply["body"] and "110" in reply["body"]
    assert "+8657712356" in reply["body"]


def test_a_blocked_sender_gets_no_reply(stack: Stack) -> None:
    make_line(stack.db, opening_hours=CLOSED_ALL_WEEK)
    admin = make_user(stack.db, "root", role=Role.admin)
    with stack.db.session() as session:
        blocklist.block(
            session=session,
            caller_hash=caller_hash(stack.settings.secret_key, CALLER),
            secret=stack.settings.secret_key,
            duration="24h",
            reason="abuse",
            user=admin,
            now=stack.clock.now(),
        )
    assert text_the_line(stack, "hello") == []
    # Someone else is still answered (the line is closed: told so at once).
    assert len(text_the_line(stack, "hello", sender="+8613900001111")) == 1
