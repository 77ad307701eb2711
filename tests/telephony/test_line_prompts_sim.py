"""Through the Twilio simulator: what two waiting callers hear on a recorded line with
announcements (consent, their place in the queue, the line's hold prompt), and the callback
overflow, where a key press files a callback request for the caller's number."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from hotline.voicemail import service as voicemails
from hotline.voicemail.models import Voicemail
from tests.factories import make_line
from tests.stack import Stack

LINE = "+8657796525"
FIRST, SECOND = "+8613812345678", "+8613900000002"


def said(stack: Stack, sid: str) -> list[str]:
    transcript: list[dict[str, Any]] = stack.simulator.get_call(sid)["transcript"]
    return [entry["text"] for entry in transcript if entry["kind"] == "say"]


def hears(stack: Stack, sid: str, text: str) -> None:
    stack.simulator.wait_for(lambda: any(text in line for line in said(stack, sid)))


def test_waiting_callers_hear_consent_their_place_and_the_hold_prompt(stack: Stack) -> None:
    make_line(
        stack.db,
        number=LINE,
        recording=True,
        announce_position=True,
        announce_every_s=30,
        hold_prompts={"en": "Thank you for holding on the Westlake line."},
        consent_prompts={"en": "This call is recorded for quality."},
    )
    stack.dispatcher.sync_numbers()
    first = stack.simulator.place_call(FIRST, LINE, digits="2")
    hears(stack, first, "You are number 1 in the queue.")
    second = stack.simulator.place_call(SECOND, LINE, digits="2")
    hears(stack, second, "You are number 2 in the queue.")
    for sid in (first, second):
        hears(stack, sid, "Thank you for holding on the Westlake line.")
        lines = said(stack, sid)
        consent = lines.index("This call is recorded for quality.")
        place = next(i for i, line in enumerate(lines) if "in the queue" in line)
        assert consent < place  # consent is said before the caller is put through
    stack.simulator.hangup(first)
    stack.simulator.hangup(second)


def test_a_caller_past_the_maximum_wait_asks_for_a_call_back_by_key(stack: Stack) -> None:
    make_line(stack.db, number=LINE, max_queue_wait_s=30, overflow_action="callback")
    stack.dispatcher.sync_numbers()
    sid = stack.simulator.place_call(FIRST, LINE, digits="9")  # in danger now
    stack.simulator.wait_for(lambda: stack.simulator.get_call(sid).get("in_conference"))
    stack.clock.advance(31)
    # The caller presses 1 as the offer starts (a key press waits for the next Gather).
    stack.simulator.press(sid, "1")
    stack.dispatcher.tick()
    hears(stack, sid, "回电到本号码，请按1")  # in the line's first language, Chinese
    hears(stack, sid, "咨询员会尽快回电")

    def requests() -> list[Voicemail]:
        with stack.db.session() as session:
            rows = list(session.exec(select(Voicemail)))
            for row in rows:
                session.expunge(row)
            return rows

    (request,) = stack.simulator.wait_for(requests)
    assert request.callback_number == FIRST
    with stack.db.session() as session:
        (row,), _ = voicemails.search(session=session, flt=voicemails.VoicemailFilter())
    assert row["callback_request"] and row["in_danger"]  # the caller's priority, kept
