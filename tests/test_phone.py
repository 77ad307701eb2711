"""One number, one form: every edge where a phone number enters stores and compares E.164
(hotline/phone.py), and an E.164 number (what Twilio sends) is kept exactly as it came."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlmodel import col, select

import hotline.models  # noqa: F401 - every table
from hotline import phone
from hotline.auth.models import Role, UserCreate
from hotline.calls.models import Call
from hotline.escalation.models import Escalation, EscalationStatus
from hotline.lines.models import LineCreate
from hotline.privacy import caller_hash
from tests.calls import LINE, inbound
from tests.factories import PASSWORD, make_line, make_user
from tests.stack import Stack
from tests.staff import Staff

SECRET = "test-secret-key-that-is-long-enough-000"
CALLER = "+8613812345678"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (CALLER, CALLER),  # E.164: unchanged
        ("+8657796525", "+8657796525"),  # the README's line, kept although it is no real number
        ("+266696687", "+266696687"),  # Twilio's ANONYMOUS placeholder, kept
        ("13812345678", CALLER),
        ("138 1234 5678", CALLER),
        ("138-1234-5678", CALLER),
        ("008613812345678", CALLER),
        ("+86 138 1234 5678", CALLER),
        ("010-12345678", "+861012345678"),
        ("(0571) 8765 4321", "+8657187654321"),
    ],
)
def test_numbers_become_e164(typed: str, stored: str) -> None:
    assert phone.to_e164(typed, "CN") == stored


@pytest.mark.parametrize("typed", ["", "anonymous", "client:alice", "abc", "110", "12"])
def test_what_is_no_number_is_refused(typed: str) -> None:
    assert phone.to_e164(typed, "CN") is None
    with pytest.raises(ValueError):
        phone.e164_or_error(typed)


def test_the_default_region_is_a_setting() -> None:
    assert phone.to_e164("(415) 555-2671", "US") == "+14155552671"
    with pytest.raises(ValueError):
        phone.configure("XX")


def test_user_and_line_numbers_are_stored_in_e164() -> None:
    user = UserCreate(
        username="zhao", display_name="Zhao", password=PASSWORD, endpoint="139 0000 9999"
    )
    assert user.endpoint == "+8613900009999"
    browser = UserCreate(username="li", display_name="Li", password=PASSWORD, endpoint="client:li")
    assert browser.endpoint == "client:li"
    with pytest.raises(ValidationError):
        UserCreate(username="wu", display_name="Wu", password=PASSWORD, endpoint="call me")
    line = LineCreate(number="0577 9652 5", name="Line", partner_number="12356")
    assert (line.number, line.partner_number) == ("+8657796525", "+8612356")
    with pytest.raises(ValidationError):
        LineCreate(number="+8657796525", name="Line", partner_number="somewhere")


def caller_hashes(stack: Stack) -> list[str]:
    with stack.db.session() as session:
        return [c.caller_hash for c in session.exec(select(Call).order_by(col(Call.id)))]


def test_webhook_numbers_in_any_form_are_one_caller_and_one_line(app_only: Stack) -> None:
    make_line(app_only.db, number=LINE)
    for n, (caller, dialled) in enumerate(
        [(CALLER, LINE), ("13812345678", "0577 9652 5"), ("008613812345678", "057796525")]
    ):
        answer = app_only.webhook(
            "/twilio/voice/incoming", {**inbound(f"CA{n:032d}", to=dialled), "From": caller}
        )
        assert answer.status_code == 200 and "<Gather" in answer.text, answer.text
    # The hash of what Twilio sends (E.164) is the hash the stored calls already have.
    assert caller_hashes(app_only) == [caller_hash(SECRET, CALLER)] * 3


def test_subject_access_finds_a_number_however_it_is_typed(app_only: Stack) -> None:
    make_line(app_only.db, number=LINE)
    make_user(app_only.db, "root", role=Role.admin)
    assert app_only.webhook("/twilio/voice/incoming", inbound(caller=CALLER)).status_code == 200
    admin = Staff(app_only, "root")
    for typed in (CALLER, "13812345678", "138 1234 5678", "0086 138 1234 5678"):
        found = admin.post("/api/admin/subject-access", {"number": typed})
        assert found.status_code == 200, found.text
        assert found.json()["count"]["calls"] == 1, typed
    assert admin.post("/api/admin/subject-access", {"number": "110"}).status_code == 422


def test_an_sms_reply_from_a_number_in_national_form_acknowledges(stack: Stack) -> None:
    from tests.escalation.test_paging import CRISIS_PHONE, escalated_call

    stack.simulator.set_phone(CRISIS_PHONE, "manual")
    escalation_id = escalated_call(stack)
    stack.dispatcher.tick()
    stack.simulator.wait_for(
        lambda: any(m["to"] == CRISIS_PHONE for m in stack.simulator.list_messages())
    )
    national = CRISIS_PHONE.removeprefix("+86")
    reply = {"MessageSid": "SM" + "7" * 32, "From": national, "To": LINE, "Body": "1"}
    assert stack.webhook("/twilio/sms/incoming", reply).status_code == 200
    with stack.db.session() as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None and escalation.status == EscalationStatus.acknowledged


def test_a_callback_number_in_a_note_is_kept_in_e164(app_only: Stack) -> None:
    from tests.notes.test_api import start

    call_id, alice = start(app_only)
    follow_up = {"wanted": True, "consent": True, "callback_number": "139 1234 5678"}
    assert alice.put(call_id, 1, follow_up=follow_up).status_code == 200
    note = alice.get(f"/api/calls/{call_id}/note").json()
    assert note["follow_up"]["callback_number"] == "+8613912345678"
