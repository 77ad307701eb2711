"""The abusive-caller blocklist over real HTTP: set from a call by a supervisor, checked by the
signed incoming-call webhook (the emergency numbers, never silence, never queued), expiring with
the injected clock; and a whole blocked call through the Twilio simulator."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sqlmodel import select

from hotline.audit.models import AuditAction, AuditEvent
from hotline.auth.models import Role
from hotline.blocklist.models import BlockedCaller
from hotline.calls.models import Call, CallEvent, CallState
from hotline.telephony.prompts import AMBULANCE, NATIONAL_CRISIS_LINE, POLICE
from tests.calls import CALLER, LINE, inbound
from tests.factories import make_line, make_user
from tests.stack import Stack
from tests.staff import Staff

OTHER_CALLER = "+8613987654321"


def sid(n: int) -> str:
    return f"CA{n:032d}"


def call_of(stack: Stack, call_sid: str) -> Call:
    with stack.db.session() as session:
        return session.exec(select(Call).where(Call.call_sid == call_sid)).one()


def says(twiml: str) -> list[tuple[str, str]]:
    root = ET.fromstring(twiml)
    return [(say.get("language", ""), say.text or "") for say in root.iter("Say")]


def assert_blocked_answer(twiml: str) -> None:
    root = ET.fromstring(twiml)
    spoken = says(twiml)
    assert [lang for lang, _text in spoken] == ["cmn-CN", "en-US"]  # both of the line's languages
    for _lang, text in spoken:
        assert POLICE in text and AMBULANCE in text and NATIONAL_CRISIS_LINE in text
    assert "12356" in spoken[1][1] and "police" in spoken[1][1]
    assert "报警" in spoken[0][1] or "110" in spoken[0][1]
    assert root.find("Gather") is None and root.find("Dial") is None
    assert [child.tag for child in root][-1] == "Hangup"


def test_a_caller_blocked_from_a_call_hears_the_emergency_numbers_and_is_never_queued(
    app_only: Stack,
) -> None:
    make_line(app_only.db)
    make_user(app_only.db, "sup", role=Role.supervisor)
    make_user(app_only.db, "counselor")
    first = app_only.webhook("/twilio/voice/incoming", inbound(sid(1)))
    assert "<Gather" in first.text
    call_id = call_of(app_only, sid(1)).id

    supervisor = Staff(app_only, "sup")
    # Neither a counselor nor a request without the CSRF header may set a block.
    counselor = Staff(app_only, "counselor")
    body = {"call_id": call_id, "duration": "24h", "reason": "threats to staff, third call"}
    assert counselor.post("/api/blocklist", body).status_code == 403
    assert counselor.get("/api/blocklist").status_code == 403
    assert supervisor.post("/api/blocklist", body, csrf=False).status_code == 403
    created = supervisor.post("/api/blocklist", body)
    assert created.status_code == 201, created.text
    entry = created.json()
    assert entry["call_id"] == call_id and entry["permanent"] is False
    assert supervisor.post("/api/blocklist", body).status_code == 409  # already blocked

    listed = supervisor.get("/api/blocklist").json()
    assert listed["count"] == 1 and listed["data"][0]["call_id"] == call_id
    assert listed["data"][0]["set_by"] == "Sup"
    assert CALLER.lstrip("+") not in str(listed) and "hash" not in str(listed)

    blocked = app_only.webhook("/twilio/voice/incoming", inbound(sid(2)))
    assert blocked.status_code == 200
    assert_blocked_answer(blocked.text)
    call = call_of(app_only, sid(2))
    assert call.state == CallState.completed and call.end_reason == "blocked"
    assert call.queued_at is None
    # A menu webhook arriving anyway does not queue the call either.
    late = app_only.webhook("/twilio/voice/gather", {**inbound(sid(2)), "Digits": "1"})
    assert "<Conference" not in late.text
    assert app_only.dispatcher.tick() == 0
    with app_only.db.session() as session:
        states = [
            e.state for e in session.exec(select(CallEvent).where(CallEvent.call_id == call.id))
        ]
        assert "queued" not in states and states[-1] == "completed"
        stored = session.exec(select(BlockedCaller)).one()
        assert CALLER not in stored.model_dump_json()  # the hash only; the reason is encrypted
        raw = session.connection().exec_driver_sql("SELECT reason FROM blocked_callers").scalar()
        assert raw is not None and "threats" not in raw
        audited = session.exec(
            select(AuditEvent).where(AuditEvent.object_type == "blocklist")
        ).all()
        assert [a.action for a in audited] == [AuditAction.edit, AuditAction.view]

    # Somebody else calls normally and is queued.
    other = {**inbound(sid(3)), "From": OTHER_CALLER}
    assert "<Gather" in app_only.webhook("/twilio/voice/incoming", other).text
    queued = app_only.webhook("/twilio/voice/gather", {**other, "Digits": "1"})
    assert "<Conference" in queued.text
    assert call_of(app_only, sid(3)).state == CallState.queued

    # One second before the 24 hours end the block holds; one second after it is gone.
    app_only.clock.advance(24 * 3600 - 1)
    assert_blocked_answer(app_only.webhook("/twilio/voice/incoming", inbound(sid(4))).text)
    app_only.clock.advance(2)
    assert "<Gather" in app_only.webhook("/twilio/voice/incoming", inbound(sid(5))).text
    queued = app_only.webhook("/twilio/voice/gather", {**inbound(sid(5)), "Digits": "1"})
    assert "<Conference" in queued.text
    assert call_of(app_only, sid(5)).state == CallState.queued
    supervisor.close()
    supervisor = Staff(app_only, "sup")  # a day on, the old session has expired
    assert supervisor.get("/api/blocklist").json()["count"] == 0
    supervisor.close()
    counselor.close()


def test_a_permanent_block_by_number_lasts_until_removed(app_only: Stack) -> None:
    make_line(app_only.db)
    make_user(app_only.db, "admin", role=Role.admin)
    admin = Staff(app_only, "admin")
    assert (
        admin.post(
            "/api/blocklist", {"number": CALLER, "call_id": 1, "duration": "24h", "reason": "x"}
        ).status_code
        == 422
    )
    entry = admin.post(
        "/api/blocklist", {"number": CALLER, "duration": "permanent", "reason": "abuse"}
    ).json()
    assert entry["permanent"] is True and entry["until"] is None and entry["call_id"] is None
    app_only.clock.advance(400 * 86400)
    assert_blocked_answer(app_only.webhook("/twilio/voice/incoming", inbound(sid(1))).text)
    admin.close()
    admin = Staff(app_only, "admin")  # a new session: the old one has long expired
    removed = admin.delete(f"/api/blocklist/{entry['id']}")
    assert removed.status_code == 200 and removed.json()["removed_at"] is not None
    assert admin.delete(f"/api/blocklist/{entry['id']}").status_code == 404
    assert "<Gather" in app_only.webhook("/twilio/voice/incoming", inbound(sid(2))).text
    admin.close()


def test_a_blocked_call_through_the_simulator_hears_the_numbers_and_ends(stack: Stack) -> None:
    make_line(stack.db, number=LINE)
    admin = make_user(stack.db, "admin", role=Role.admin)
    alice = make_user(stack.db, "alice")
    stack.dispatcher.sync_numbers()
    staff = Staff(stack, "admin")
    assert staff.post(
        "/api/blocklist", {"number": CALLER, "duration": "24h", "reason": "abuse"}
    ).is_success
    del admin, alice

    call_sid = stack.simulator.place_call(CALLER, LINE, digits="1")
    finished = stack.simulator.wait_for_status(call_sid, "completed")
    transcript = stack.simulator.get_call(call_sid)["transcript"]
    spoken = " ".join(str(e.get("text", "")) for e in transcript if e["kind"] == "say")
    assert POLICE in spoken and AMBULANCE in spoken and NATIONAL_CRISIS_LINE in spoken
    assert not any(e["kind"] in ("gather", "dial", "conference") for e in transcript)
    assert finished["status"] == "completed"
    assert stack.simulator.list_conferences() == []
    call = call_of(stack, call_sid)
    assert call.state == CallState.completed and call.end_reason == "blocked"

    # The block expires: the same caller now reaches the queue.
    stack.clock.advance(24 * 3600 + 1)
    again = stack.simulator.place_call(CALLER, LINE, digits="1")
    stack.simulator.wait_for(lambda: stack.simulator.get_call(again).get("in_conference"))
    assert call_of(stack, again).state == CallState.queued
    stack.simulator.hangup(again)
    staff.close()


def test_a_withheld_number_can_never_be_blocked(app_only: Stack) -> None:
    """Every caller who hides their number shares one hash: blocking one would block them all."""
    make_line(app_only.db)
    make_user(app_only.db, "sup", role=Role.supervisor)
    hidden = {**inbound(sid(1)), "From": "anonymous"}
    app_only.webhook("/twilio/voice/incoming", hidden)
    call_id = call_of(app_only, sid(1)).id
    supervisor = Staff(app_only, "sup")
    refused = supervisor.post(
        "/api/blocklist", {"call_id": call_id, "duration": "permanent", "reason": "abuse"}
    )
    assert refused.status_code == 422 and refused.json()["code"] == "withheld"
    for placeholder in ("+266696687", "+8656696", "anonymous", "client:counselor7"):
        by_number = supervisor.post(
            "/api/blocklist", {"number": placeholder, "duration": "24h", "reason": "abuse"}
        )
        assert by_number.status_code == 422, placeholder
    with app_only.db.session() as session:
        assert session.exec(select(BlockedCaller)).all() == []
    # Another caller who hides their number still gets through to the menu and the queue.
    other = {**inbound(sid(2)), "From": "+266696687"}
    assert "<Gather" in app_only.webhook("/twilio/voice/incoming", other).text
    supervisor.close()
