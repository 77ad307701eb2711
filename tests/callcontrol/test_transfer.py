"""Transferring a live call end to end: the console's transfer API, the app's `twilio` client
against the simulator's conference (who is on hold, who is dialled in, who leaves), the
colleague's leg callbacks, and what the call's events, the note and the audit log keep.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.callcontrol.models import CallTransfer, TransferStatus
from hotline.calls.models import Call, CallState
from hotline.escalation import service as escalations
from hotline.escalation.models import Escalation
from hotline.notes.models import CallNote
from hotline.routing.models import AgentStatus
from hotline.stats import metrics
from tests.callcontrol.test_callcontrol import (
    LINE,
    PARTNER,
    Counselor,
    events,
    present,
    take_call,
)
from tests.factories import make_line, make_user
from tests.stack import Stack


def setup(stack: Stack, *, partner: bool = False) -> tuple[Counselor, Counselor, int]:
    make_line(stack.db, number=LINE, **({"partner_number": PARTNER} if partner else {}))
    make_user(stack.db, "alice")
    bob = make_user(stack.db, "bob")
    stack.dispatcher.sync_numbers()
    alice_c = Counselor(stack, "alice")
    bob_c = Counselor(stack, "bob")
    assert bob.id is not None
    return alice_c, bob_c, bob.id


def ready(who: Counselor) -> None:
    who.console.send("set_state", state="available", reason=None)
    # With a caller waiting the offer may come at once: "available" is then never shown.
    who.console.wait(lambda s: s["agent"]["state"] in ("available", "offered"))


def write_note(who: Counselor, call_id: int, version: int, **fields: Any) -> int:
    answer = who.http.put(
        f"/api/calls/{call_id}/note",
        json={"version": version, "fields": fields},
        headers={"X-CSRF-Token": who.token},
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["version"])


def transfer_of(stack: Stack, transfer_id: int) -> CallTransfer:
    with stack.db.session() as session:
        found = session.get(CallTransfer, transfer_id)
        assert found is not None
        session.expunge(found)
        return found


def call_of(stack: Stack, call_id: int) -> Call:
    with stack.db.session() as session:
        found = session.get(Call, call_id)
        assert found is not None
        session.expunge(found)
        return found


def agent(stack: Stack, user_id: int) -> str:
    with stack.db.session() as session:
        status = session.get(AgentStatus, user_id)
        assert status is not None
        return status.state.value


def leg_of(stack: Stack, caller: str, transfer_id: int) -> dict[str, Any]:
    label = f"transfer:{transfer_id}"
    return stack.simulator.wait_for(
        lambda: next((p for p in present(stack, caller).values() if p["label"] == label), None)
    )  # type: ignore[no-any-return]


def test_warm_transfer_consulted_then_completed_the_note_continues(stack: Stack) -> None:
    alice, bob, bob_id = setup(stack)
    ready(bob)
    call_id, caller = take_call(stack, alice)
    first_leg = call_of(stack, call_id).counselor_call_sid
    version = write_note(alice, call_id, 1, summary="Alice's part: worried about exams")
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        escalations.trigger(
            session=session,
            call=call,
            level="high",
            reason=None,
            user_id=call.counselor_id,
            now=stack.clock.now(),
        )

    listed = alice.http.get(f"/api/calls/{call_id}/colleagues").json()
    assert listed["data"] == [{"user_id": bob_id, "name": "Bob", "role": "counselor"}]
    started = alice.post(
        f"/api/calls/{call_id}/transfers",
        {"kind": "warm", "target": "colleague", "user_id": bob_id, "message": "exam stress"},
    )
    assert started.status_code == 201, started.text
    transfer_id = started.json()["transfer_id"]
    assert started.json()["direction"] == "outgoing" and started.json()["message"] == ""
    # The colleague's console shows who asks, about which line, and the counselor's words.
    asked = bob.console.wait(lambda s: (s.get("transfer") or {}).get("status") == "consulting")
    assert asked["transfer"]["from_name"] == "Alice"
    assert asked["transfer"]["message"] == "exam stress"
    assert asked["call"] is None  # not their call yet
    assert "+86138" not in str(asked)  # never the caller's number
    # The caller is on hold (hearing the hold music), not hearing the consultation.
    leg = leg_of(stack, caller, transfer_id)
    legs = present(stack, caller)
    assert legs[caller]["hold"] is True
    assert leg["call_sid"] not in legs[caller]["hears"]
    assert stack.simulator.get_call(leg["call_sid"])["from"] == LINE

    done = alice.post(f"/api/transfers/{transfer_id}/complete", {})
    assert done.status_code == 204, done.text
    bob.console.wait(lambda s: (s.get("call") or {}).get("state") == "connected")
    alice.console.wait(lambda s: (s.get("call") or {}).get("state") == "wrap_up")
    stack.simulator.wait_for(
        lambda: (
            (legs := present(stack, caller))
            and first_leg not in legs
            and not legs[caller]["hold"]
            and leg["call_sid"] in legs[caller]["hears"]
        )
    )
    call = call_of(stack, call_id)
    assert call.state == CallState.connected and call.counselor_id == bob_id
    assert call.counselor_call_sid == leg["call_sid"]
    assert transfer_of(stack, transfer_id).note_version == version
    # The note goes on with Bob; Alice, who began it, stays its author.
    note = bob.http.get(f"/api/calls/{call_id}/note").json()
    assert "Alice's part" in note["summary"]
    write_note(bob, call_id, version, summary="Alice's part: worried about exams. Bob: plan made")
    with stack.db.session() as session:
        stored = session.exec(select(CallNote).where(CallNote.call_id == call_id)).one()
        assert stored.author_id != bob_id
        assert stored.version == version + 1
        escalation = session.exec(select(Escalation).where(Escalation.call_id == call_id)).one()
        assert escalation.level == "high"  # the risk stays with the call
    kept = events(stack, call_id)
    names = [state for state, _ in kept]
    assert names.index("transfer_started") < names.index("transfer_consulting")
    assert names.index("transfer_consulting") < names.index("transferred")
    assert ("transferred", "warm to Bob") in kept and ("transfer_completed", "warm to Bob") in kept
    assert names.count("connected") == 1  # one answered call
    now = stack.clock.now()
    with stack.db.session() as session:
        figures = metrics.totals(
            session=session,
            scope=metrics.Scope(start=now - timedelta(hours=1), end=now + timedelta(hours=1)),
        )
    assert (figures.offered, figures.answered) == (1, 1)  # a transfer is no second answer
    # Alice's phone leaving is not taken for the counselor's phone dropping.
    assert call_of(stack, call_id).state == CallState.connected
    with stack.db.session() as session:
        audit = session.exec(
            select(AuditEvent.detail).where(AuditEvent.object_type == "call_transfer")
        ).all()
    assert f"call {call_id}: warm transfer started" in audit
    assert f"call {call_id}: warm transfer completed" in audit
    alice.console.close()
    bob.console.close()


def test_warm_transfer_returned_and_colleague_not_answering(stack: Stack) -> None:
    alice, bob, bob_id = setup(stack)
    ready(bob)
    call_id, caller = take_call(stack, alice)
    started = alice.post(
        f"/api/calls/{call_id}/transfers",
        {"kind": "warm", "target": "colleague", "user_id": bob_id},
    )
    transfer_id = started.json()["transfer_id"]
    leg = leg_of(stack, caller, transfer_id)
    stack.simulator.wait_for(
        lambda: transfer_of(stack, transfer_id).status == TransferStatus.consulting
    )
    assert agent(stack, bob_id) == "on_call"
    # Only the call's counselor completes or returns it.
    assert bob.post(f"/api/transfers/{transfer_id}/complete", {}).status_code == 403
    assert alice.post(f"/api/transfers/{transfer_id}/return", {}).status_code == 204
    stack.simulator.wait_for_status(leg["call_sid"], "completed")
    stack.simulator.wait_for(lambda: not present(stack, caller)[caller]["hold"])
    assert transfer_of(stack, transfer_id).status == TransferStatus.returned
    bob.console.state("available")
    assert call_of(stack, call_id).counselor_id != bob_id
    assert alice.post(f"/api/transfers/{transfer_id}/complete", {}).status_code == 409

    # Bob's phone does not answer: the consultation ends and Alice is told.
    with stack.db.session() as session:
        from hotline.auth.models import User

        endpoint = session.get(User, bob_id).endpoint  # type: ignore[union-attr]
    stack.simulator.set_phone(endpoint, "no-answer")
    again = alice.post(
        f"/api/calls/{call_id}/transfers",
        {"kind": "warm", "target": "colleague", "user_id": bob_id},
    )
    assert again.status_code == 201, again.text
    second = again.json()["transfer_id"]
    stack.simulator.wait_for(lambda: transfer_of(stack, second).status == TransferStatus.no_answer)
    bob.console.state("available")
    stack.simulator.wait_for(lambda: not present(stack, caller)[caller]["hold"])
    names = [state for state, _ in events(stack, call_id)]
    assert "transfer_returned" in names and "transfer_no_answer" in names
    assert call_of(stack, call_id).state == CallState.connected
    alice.console.close()
    bob.console.close()


def test_cold_transfer_declined_then_accepted(stack: Stack) -> None:
    alice, bob, bob_id = setup(stack)
    ready(bob)
    call_id, caller = take_call(stack, alice)
    first_leg = call_of(stack, call_id).counselor_call_sid
    offered = alice.post(
        f"/api/calls/{call_id}/transfers",
        {"kind": "cold", "target": "colleague", "user_id": bob_id, "message": "wants a man"},
    )
    assert offered.status_code == 201, offered.text
    transfer_id = offered.json()["transfer_id"]
    shown = bob.console.wait(lambda s: (s.get("transfer") or {}).get("status") == "offered")
    assert shown["transfer"]["kind"] == "cold" and shown["transfer"]["message"] == "wants a man"
    # Only the colleague answers it.
    assert alice.post(f"/api/transfers/{transfer_id}/accept", {}).status_code == 403
    assert bob.post(f"/api/transfers/{transfer_id}/decline", {}).status_code == 204
    assert transfer_of(stack, transfer_id).status == TransferStatus.declined
    bob.console.state("available")
    assert call_of(stack, call_id).counselor_id != bob_id  # still Alice's

    # Offered again, not answered in time: back to Alice.
    second = alice.post(
        f"/api/calls/{call_id}/transfers",
        {"kind": "cold", "target": "colleague", "user_id": bob_id},
    ).json()["transfer_id"]
    stack.clock.advance(stack.dispatcher.settings.offer_timeout_s + 1)
    stack.dispatcher.tick()
    assert transfer_of(stack, second).status == TransferStatus.expired
    bob.console.state("available")

    third = alice.post(
        f"/api/calls/{call_id}/transfers",
        {"kind": "cold", "target": "colleague", "user_id": bob_id},
    ).json()["transfer_id"]
    assert bob.post(f"/api/transfers/{third}/accept", {}).status_code == 204
    leg = leg_of(stack, caller, third)
    stack.simulator.wait_for(
        lambda: (
            (legs := present(stack, caller))
            and first_leg not in legs
            and not legs[caller]["hold"]
            and leg["call_sid"] in legs[caller]["hears"]
        )
    )
    stack.simulator.wait_for(lambda: transfer_of(stack, third).status == TransferStatus.completed)
    call = call_of(stack, call_id)
    assert call.counselor_id == bob_id and call.counselor_call_sid == leg["call_sid"]
    bob.console.wait(lambda s: (s.get("call") or {}).get("state") == "connected")
    kept = events(stack, call_id)
    assert ("transfer_declined", "cold to Bob") in kept
    assert ("transfer_expired", "cold to Bob") in kept
    assert ("transferred", "cold to Bob") in kept
    alice.console.close()
    bob.console.close()


def test_cold_transfer_to_the_partner_line_is_recorded_as_transferred_out(stack: Stack) -> None:
    alice, bob, _bob_id = setup(stack, partner=True)
    call_id, caller = take_call(stack, alice)
    first_leg = call_of(stack, call_id).counselor_call_sid
    # A warm consult of the partner line is not a thing.
    assert (
        alice.post(
            f"/api/calls/{call_id}/transfers", {"kind": "warm", "target": "partner"}
        ).status_code
        == 422
    )
    answer = alice.post(f"/api/calls/{call_id}/transfers", {"kind": "cold", "target": "partner"})
    assert answer.status_code == 201, answer.text
    transfer_id = answer.json()["transfer_id"]
    stack.simulator.wait_for(
        lambda: transfer_of(stack, transfer_id).status == TransferStatus.completed
    )
    alice.console.wait(lambda s: (s.get("call") or {}).get("state") == "wrap_up")
    stack.simulator.wait_for(lambda: first_leg not in present(stack, caller))
    legs = present(stack, caller)
    partner = next(p for p in legs.values() if p["label"] and p["label"].startswith("party:"))
    assert stack.simulator.get_call(partner["call_sid"])["to"] == PARTNER
    assert stack.simulator.get_call(partner["call_sid"])["from"] == LINE
    assert caller in legs  # the caller talks to the partner line
    call = call_of(stack, call_id)
    assert call.state == CallState.wrap_up and call.end_reason == "transferred_out"
    assert ("wrap_up", "transferred_out") in events(stack, call_id)
    alice.console.close()
    bob.console.close()


def test_refusals(stack: Stack) -> None:
    alice, bob, bob_id = setup(stack)
    make_user(stack.db, "carol")
    call_id, _caller = take_call(stack, alice)
    # Bob is not available: not reachable.
    refused = alice.post(
        f"/api/calls/{call_id}/transfers",
        {"kind": "warm", "target": "colleague", "user_id": bob_id},
    )
    assert refused.status_code == 409 and refused.json()["code"] == "not_reachable"
    ready(bob)
    # Not your call.
    carol = Counselor(stack, "carol")
    theirs = carol.post(
        f"/api/calls/{call_id}/transfers",
        {"kind": "warm", "target": "colleague", "user_id": bob_id},
    )
    assert theirs.status_code == 403 and theirs.json()["code"] == "not_your_call"
    assert carol.http.get(f"/api/calls/{call_id}/colleagues").status_code == 403
    # No partner line on this line.
    assert (
        alice.post(f"/api/calls/{call_id}/transfers", {"kind": "cold", "target": "partner"}).json()[
            "code"
        ]
        == "no_partner"
    )
    # Transferring to oneself, or without a colleague.
    with stack.db.session() as session:
        alice_id = session.get(Call, call_id).counselor_id  # type: ignore[union-attr]
    assert (
        alice.post(
            f"/api/calls/{call_id}/transfers",
            {"kind": "cold", "target": "colleague", "user_id": alice_id},
        ).status_code
        == 409
    )
    assert (
        alice.post(
            f"/api/calls/{call_id}/transfers", {"kind": "cold", "target": "colleague"}
        ).status_code
        == 422
    )
    # A second transfer while one is open.
    first = alice.post(
        f"/api/calls/{call_id}/transfers",
        {"kind": "cold", "target": "colleague", "user_id": bob_id},
    )
    assert first.status_code == 201
    again = alice.post(
        f"/api/calls/{call_id}/transfers",
        {"kind": "cold", "target": "colleague", "user_id": bob_id},
    )
    assert again.status_code == 409 and again.json()["code"] == "transfer_open"
    assert carol.post(f"/api/transfers/{first.json()['transfer_id']}/accept", {}).status_code == 403
    assert alice.post("/api/transfers/999999/return", {}).status_code == 404
    # Call not connected any more: the caller hangs up; the offer can no longer be accepted.
    alice.console.send("hangup", call_id=call_id)
    alice.console.wait(lambda s: (s.get("call") or {}).get("state") == "wrap_up")
    late = alice.post(
        f"/api/calls/{call_id}/transfers",
        {"kind": "cold", "target": "colleague", "user_id": bob_id},
    )
    assert late.status_code == 409 and late.json()["code"] == "no_live_call"
    assert bob.post(f"/api/transfers/{first.json()['transfer_id']}/accept", {}).status_code == 204
    assert transfer_of(stack, first.json()["transfer_id"]).status == TransferStatus.cancelled
    # Without the CSRF header.
    assert alice.http.post(f"/api/calls/{call_id}/transfers", json={}).status_code == 403
    for who in (alice, bob, carol):
        who.console.close()


def test_cold_transfer_whose_colleague_never_joins_goes_back_to_the_queue(stack: Stack) -> None:
    alice, bob, bob_id = setup(stack)
    ready(bob)
    with stack.db.session() as session:
        from hotline.auth.models import User

        endpoint = session.get(User, bob_id).endpoint  # type: ignore[union-attr]
    stack.simulator.set_phone(endpoint, "busy")
    call_id, caller = take_call(stack, alice)
    before = call_of(stack, call_id)
    transfer_id = alice.post(
        f"/api/calls/{call_id}/transfers",
        {"kind": "cold", "target": "colleague", "user_id": bob_id},
    ).json()["transfer_id"]
    assert bob.post(f"/api/transfers/{transfer_id}/accept", {}).status_code == 204
    stack.simulator.wait_for(
        lambda: transfer_of(stack, transfer_id).status == TransferStatus.requeued
    )
    call = call_of(stack, call_id)
    assert call.state == CallState.queued and call.counselor_id is None
    # Its priority and its arrival are kept (the head of its priority), and it never overflows.
    assert call.priority == before.priority and call.queued_at == before.queued_at
    assert call.queue_deadline_at is None
    assert caller in present(stack, caller)  # still in the conference, on hold
    assert agent(stack, bob_id) == "away"
    # The next counselor free is offered it.
    make_user(stack.db, "carol")
    carol = Counselor(stack, "carol")
    ready(carol)
    assert carol.console.offer()["call_id"] == call_id
    kept = [state for state, _ in events(stack, call_id)]
    assert "transfer_accepted" in kept and "transfer_requeued" in kept
    # Carol takes it: the caller comes off hold and her controls start off hold.
    carol.console.send("accept", call_id=call_id)
    carol.console.wait(lambda s: (s["call"] or {}).get("state") == "connected")
    stack.simulator.wait_for(lambda: not present(stack, caller)[caller]["hold"])
    assert not carol.control(lambda c: True)["on_hold"]
    for who in (alice, bob, carol):
        who.console.close()


def test_partner_line_not_answering_leaves_the_call_with_the_counselor(stack: Stack) -> None:
    alice, bob, _bob_id = setup(stack, partner=True)
    stack.simulator.set_phone(PARTNER, "busy")
    call_id, _caller = take_call(stack, alice)
    transfer_id = alice.post(
        f"/api/calls/{call_id}/transfers", {"kind": "cold", "target": "partner"}
    ).json()["transfer_id"]
    stack.simulator.wait_for(
        lambda: transfer_of(stack, transfer_id).status == TransferStatus.no_answer
    )
    call = call_of(stack, call_id)
    assert call.state == CallState.connected and call.end_reason is None
    assert ("transfer_no_answer", "cold to the partner line") in events(stack, call_id)
    alice.console.close()
    bob.console.close()
