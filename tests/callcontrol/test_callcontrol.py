"""Control of the live call end to end: the console's call-control API, the app's `twilio`
client against the simulator's conference (who is muted, on hold, dialled in), the added
parties' status callbacks, and what the call's events, the escalation log and the audit log keep.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.callcontrol.models import CallParty, PartyStatus
from hotline.calls.models import Call, CallEvent
from hotline.escalation import service as escalations
from hotline.escalation.models import EscalationLog
from hotline.lines.models import Line
from hotline.notes.models import ReferralResource
from hotline.simulator.console_client import ConsoleClient, csrf_from
from tests.factories import PASSWORD, make_line, make_user
from tests.stack import Stack

LINE = "+8657796525"
PARTNER = "+8657712356"
CALLER = "+8613812345678"
RELATIVE = "13912340000"  # typed as a counselor would, without the country code
RELATIVE_E164 = "+8613912340000"
CONTROL_EVENTS = {"counselor_muted", "counselor_unmuted", "caller_held", "caller_resumed"}


class Counselor:
    """A counselor's console bot and their signed-in HTTP session with the CSRF header."""

    def __init__(self, stack: Stack, username: str) -> None:
        self.console = ConsoleClient(stack.url, username, PASSWORD)
        self.http: httpx.Client = self.console.http
        self.token = csrf_from(self.http.get("/console").text)

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(path, json=body, headers={"X-CSRF-Token": self.token})

    def delete(self, path: str) -> httpx.Response:
        return self.http.delete(path, headers={"X-CSRF-Token": self.token})

    def control(self, predicate: Any) -> dict[str, Any]:
        """The next snapshot whose call's control satisfies `predicate`."""
        shot = self.console.wait(
            lambda s: bool((s.get("call") or {}).get("control")) and predicate(s["call"]["control"])
        )
        return shot["call"]["control"]  # type: ignore[no-any-return]


def take_call(stack: Stack, counselor: Counselor) -> tuple[int, str]:
    console = counselor.console
    console.send("set_state", state="available", reason=None)
    console.state("available")
    caller = stack.simulator.place_call(CALLER, LINE, digits="1")
    offer = console.offer()
    console.send("accept", call_id=offer["call_id"])
    console.wait(lambda s: (s["call"] or {}).get("state") == "connected")
    return offer["call_id"], caller


def present(stack: Stack, conference: str) -> dict[str, dict[str, Any]]:
    view = stack.simulator.get_conference(conference)
    return {p["call_sid"]: p for p in view["participants"] if p["status"] == "connected"}


def events(stack: Stack, call_id: int) -> list[tuple[str, str | None]]:
    with stack.db.session() as session:
        rows = session.exec(
            select(CallEvent).where(CallEvent.call_id == call_id).order_by(CallEvent.id)
        ).all()
        return [(e.state, e.detail) for e in rows]


def parties_over(stack: Stack) -> bool:
    with stack.db.session() as session:
        statuses = session.exec(select(CallParty.status)).all()
    return all(s in (PartyStatus.left, PartyStatus.failed) for s in statuses)


def setup(stack: Stack) -> Counselor:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    make_user(stack.db, "bob")
    stack.dispatcher.sync_numbers()
    return Counselor(stack, "alice")


def test_mute_hold_and_resume_reach_the_conference_and_the_record(stack: Stack) -> None:
    alice = setup(stack)
    call_id, caller = take_call(stack, alice)
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.counselor_call_sid is not None
        counselor = call.counselor_call_sid
    shown = alice.control(lambda c: True)
    assert shown == {"muted": False, "on_hold": False, "partner_line": False, "parties": []}

    answer = alice.post(f"/api/calls/{call_id}/mute", {"muted": True})
    assert answer.status_code == 200 and answer.json()["muted"] is True
    alice.control(lambda c: c["muted"])
    leg = stack.simulator.wait_for(
        lambda: (found := present(stack, caller).get(counselor)) and found["muted"] and found
    )
    assert leg["heard_by"] == []  # the caller no longer hears the counselor

    answer = alice.post(f"/api/calls/{call_id}/hold", {"hold": True})
    assert answer.status_code == 200 and answer.json()["on_hold"] is True
    held = stack.simulator.wait_for(
        lambda: (found := present(stack, caller).get(caller)) and found["hold"] and found
    )
    assert held["hold_url"].startswith(stack.url) and "/twilio/voice/hold?" in held["hold_url"]
    assert held["hold_url"].endswith("held=1")
    # The caller's call fetches the line's hold prompt (signed, accepted by the app).
    stack.simulator.wait_for(
        lambda: any(
            e.get("kind") == "webhook" and "held=1" in (e.get("text") or "")
            for e in stack.simulator.get_call(caller)["transcript"]
        )
    )
    # A second "hold" changes nothing and records nothing.
    assert alice.post(f"/api/calls/{call_id}/hold", {"hold": True}).status_code == 200

    alice.post(f"/api/calls/{call_id}/hold", {"hold": False})
    alice.post(f"/api/calls/{call_id}/mute", {"muted": False})
    alice.control(lambda c: not c["muted"] and not c["on_hold"])
    stack.simulator.wait_for(
        lambda: (
            (legs := present(stack, caller))
            and not legs[caller]["hold"]
            and not legs[counselor]["muted"]
            and legs[counselor]["heard_by"] == [caller]
        )
    )
    states = [state for state, _ in events(stack, call_id)]
    controls = [s for s in states if s in CONTROL_EVENTS]
    assert controls == ["counselor_muted", "caller_held", "caller_resumed", "counselor_unmuted"]
    with stack.db.session() as session:
        audit = session.exec(
            select(AuditEvent.detail).where(AuditEvent.object_type == "call")
        ).all()
    assert "muted: False -> True" in audit and "caller on hold: True -> False" in audit
    alice.console.close()


def test_adding_120_to_an_escalated_call_then_removing_it(stack: Stack) -> None:
    alice = setup(stack)
    call_id, caller = take_call(stack, alice)
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        escalation = escalations.trigger(
            session=session,
            call=call,
            level="imminent",
            reason=None,
            user_id=call.counselor_id,
            now=stack.clock.now(),
        )
        escalation_id = escalation.id

    answer = alice.post(f"/api/calls/{call_id}/parties", {"kind": "emergency", "number": "120"})
    assert answer.status_code == 201, answer.text
    party_id = answer.json()["party_id"]
    assert answer.json()["name"] == "120"
    shown = alice.control(lambda c: any(p["status"] == "connected" for p in c["parties"]))
    assert shown["parties"] == [
        {
            "party_id": party_id,
            "kind": "emergency",
            "name": "120",
            "status": "connected",
            "removing": False,
        }
    ]
    leg = next(p for p in present(stack, caller).values() if p["label"] == f"party:{party_id}")
    dialled = stack.simulator.get_call(leg["call_sid"])
    assert dialled["to"] == "120" and dialled["from"] == LINE
    assert caller in leg["hears"] and leg["call_sid"] in present(stack, caller)[caller]["hears"]

    gone = alice.delete(f"/api/calls/{call_id}/parties/{party_id}")
    assert gone.status_code == 200
    alice.control(lambda c: c["parties"][0]["status"] == "left")
    stack.simulator.wait_for_status(leg["call_sid"], "completed")
    assert leg["call_sid"] not in present(stack, caller)  # the call goes on without them
    assert caller in present(stack, caller)
    # Removing it again is refused: it has left.
    assert alice.delete(f"/api/calls/{call_id}/parties/{party_id}").status_code == 409

    party_events = [e for e in events(stack, call_id) if e[0].startswith("party_")]
    assert party_events == [
        ("party_added", "emergency: 120"),
        ("party_connected", "emergency: 120"),
        ("party_removed", "emergency: 120"),
        ("party_left", "emergency: 120"),
    ]
    with stack.db.session() as session:
        logged = session.exec(
            select(EscalationLog.kind).where(EscalationLog.escalation_id == escalation_id)
        ).all()
        party = session.get(CallParty, party_id)
        assert party is not None and party.status == PartyStatus.left
        assert party.connected_at is not None and party.removed_by is not None
    assert [k for k in logged if k.startswith("party_")] == [
        "party_added",
        "party_connected",
        "party_removed",
        "party_left",
    ]
    alice.console.close()


def test_typed_numbers_resources_partner_line_and_a_busy_party(stack: Stack) -> None:
    alice = setup(stack)
    with stack.db.session() as session:
        line = session.exec(select(Line).where(Line.number == LINE)).one()
        line.partner_number = PARTNER
        clinic = ReferralResource(kind="hospital", name="市精神卫生中心", phone="+8657787000000")
        empty = ReferralResource(kind="hospital", name="No phone", phone="")
        session.add(clinic)
        session.add(empty)
        session.flush()
        clinic_id, empty_id = clinic.id, empty.id
    call_id, caller = take_call(stack, alice)
    parties = f"/api/calls/{call_id}/parties"

    # Refusals, each next to its field, nothing dialled.
    bad = alice.post(parties, {"kind": "number", "number": "not a number"})
    assert bad.status_code == 422 and bad.json()["code"] == "bad_number"
    assert "number" in bad.json()["errors"]
    bad = alice.post(parties, {"kind": "emergency", "number": "999"})
    assert bad.status_code == 422
    bad = alice.post(parties, {"kind": "resource", "resource_id": empty_id})
    assert bad.status_code == 422 and "resource_id" in bad.json()["errors"]
    assert alice.post(parties, {"kind": "somebody"}).status_code == 422

    # A typed number is validated and dialled in E.164; only its last digits are shown and
    # the stored number is encrypted.
    stack.simulator.set_phone(RELATIVE_E164, "busy")
    typed = alice.post(parties, {"kind": "number", "number": RELATIVE})
    assert typed.status_code == 201 and typed.json()["name"] == "…0000"
    shown = alice.control(lambda c: any(p["status"] == "failed" for p in c["parties"]))
    assert [p["status"] for p in shown["parties"]] == ["failed"]
    with stack.db.session() as session:
        raw = session.execute(text("SELECT number FROM call_parties")).scalar_one()
    assert RELATIVE_E164 not in raw and "0000" not in raw

    partner = alice.post(parties, {"kind": "partner"})
    assert partner.status_code == 201
    resource = alice.post(parties, {"kind": "resource", "resource_id": clinic_id})
    assert resource.status_code == 201 and resource.json()["name"] == "市精神卫生中心"
    shown = alice.control(lambda c: sum(p["status"] == "connected" for p in c["parties"]) == 2)
    assert shown["partner_line"] is True
    dialled = {
        stack.simulator.get_call(p["call_sid"])["to"]
        for p in present(stack, caller).values()
        if (p["label"] or "").startswith("party:")
    }
    assert dialled == {PARTNER, "+8657787000000"}
    # The same number twice is refused while it is in the call.
    assert alice.post(parties, {"kind": "partner"}).status_code == 409

    # The caller hangs up: every party's leg ends with the conference.
    stack.simulator.hangup(caller)
    alice.console.wait(lambda s: (s.get("call") or {}).get("state") == "wrap_up")
    stack.simulator.wait_for(lambda: parties_over(stack))
    alice.console.close()


def test_only_the_counselor_on_a_connected_call(stack: Stack) -> None:
    alice = setup(stack)
    bob = Counselor(stack, "bob")
    call_id, caller = take_call(stack, alice)
    refused = bob.post(f"/api/calls/{call_id}/mute", {"muted": True})
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_call"
    refused = bob.post(f"/api/calls/{call_id}/parties", {"kind": "emergency", "number": "110"})
    assert refused.status_code == 403
    assert bob.post(f"/api/calls/{call_id + 99}/hold", {"hold": True}).status_code == 404
    # No CSRF header: refused before anything happens.
    assert alice.http.post(f"/api/calls/{call_id}/mute", json={"muted": True}).status_code == 403
    alice.console.send("hangup", call_id=call_id)
    alice.console.wait(lambda s: (s.get("call") or {}).get("state") == "wrap_up")
    late = alice.post(f"/api/calls/{call_id}/hold", {"hold": True})
    assert late.status_code == 409 and late.json()["code"] == "no_live_call"
    assert not [e for e in events(stack, call_id) if e[0] in CONTROL_EVENTS]
    alice.console.close()
    bob.console.close()
