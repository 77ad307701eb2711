"""The caller's case over real HTTP: opened on its own at high risk, its tier following the
note's level with a history, closing only with a reason, reopened at high risk, the safety plan
encrypted at rest and versioned, shown at the next offer; who sees a case, every view audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role
from hotline.cases.models import Case
from hotline.routing import service as routing
from hotline.routing.models import AgentState
from tests.calls import connected_call, get_user, inbound
from tests.factories import make_user
from tests.notes.test_api import NoteClient, start
from tests.stack import Stack

CALLER = "+8613700000042"
PLAN = {
    "warning_signs": "不想起床，不回消息",
    "coping_strategies": "Walk the dog",
    "distractions": "",
    "people_to_ask": "Sister",
    "professionals": "Line 96525",
    "safe_environment": "Pills kept by the sister",
    "reasons_for_living": "My daughter",
}


def _case_of(stack: Stack) -> Case | None:
    with stack.db.session() as session:
        return session.exec(select(Case)).first()


def _views(stack: Stack, case_id: int) -> list[tuple[str | None, str | None]]:
    with stack.db.session() as session:
        rows = session.exec(
            select(AuditEvent).where(
                AuditEvent.object_type == "case",
                AuditEvent.object_id == str(case_id),
                AuditEvent.action == "view",
            )
        ).all()
        return [(row.username, row.detail) for row in rows]


def _end(client: NoteClient, call_id: int) -> None:
    client.console.send("hangup", call_id=call_id)
    client.console.state("wrap_up")
    client.console.send("finish_wrap_up", call_id=call_id)
    client.console.state("available")
    client.console.send("set_state", state="offline", reason=None)
    client.console.state("offline")


def test_a_high_risk_note_opens_the_case_and_its_tier_follows(app_only: Stack) -> None:
    call_id, alice = start(app_only, "CA" + "1" * 32, "alice", CALLER)
    assert alice.put(call_id, 1, crisis_level="moderate").status_code == 200
    assert _case_of(app_only) is None  # moderate opens no case on its own
    assert alice.put(call_id, 2, crisis_level="high").status_code == 200
    case = _case_of(app_only)
    assert case is not None and case.id is not None
    assert case.tier == "red" and case.status == "open" and case.opened_by_id is None
    alice.put(call_id, 3, crisis_level="moderate")
    seen = alice.get(f"/api/cases/{case.id}")
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["tier"] == "yellow"
    assert [(t["from_tier"], t["to_tier"], t["level"]) for t in body["tiers"]] == [
        (None, "red", "high"),
        ("red", "yellow", "moderate"),
    ]
    assert [c["call_id"] for c in body["contacts"]] == [call_id]
    assert body["contacts"][0]["crisis_level"] == "moderate"
    # Another counselor, not on a call with this caller, is refused; a supervisor sees it.
    make_user(app_only.db, "bob")
    assert NoteClient(app_only, "bob").get(f"/api/cases/{case.id}").status_code == 403
    make_user(app_only.db, "sup", role=Role.supervisor)
    sup = NoteClient(app_only, "sup")
    assert sup.get(f"/api/cases/{case.id}").status_code == 200
    listed = sup.get("/api/cases?tier=yellow&status=open").json()
    assert [row["id"] for row in listed["data"]] == [case.id]
    assert sup.get("/api/cases?tier=red").json()["count"] == 0
    assert sup.get("/api/cases?tier=blue").status_code == 422
    # Every view is in the audit log (the refused one is not a view).
    views = _views(app_only, case.id)
    assert ("alice", None) in views and ("sup", None) in views
    assert all(user != "bob" for user, _detail in views)


def test_a_line_maps_levels_to_its_own_tiers(app_only: Stack) -> None:
    from hotline.cases import service as cases

    call_id, alice = start(app_only, "CA" + "2" * 32, "alice", CALLER)
    with app_only.db.session() as session:
        cases.set_tier_map(session=session, line_id=1, mapping={"high": "yellow"})
    alice.put(call_id, 1, crisis_level="high")
    case = _case_of(app_only)
    assert case is not None and case.tier == "yellow"


def test_closing_needs_a_reason_and_high_risk_reopens(app_only: Stack) -> None:
    call_id, alice = start(app_only, "CA" + "3" * 32, "alice", CALLER)
    opened = alice.post(f"/api/calls/{call_id}/case", {"reason": "frequent caller"})
    assert opened.status_code == 200, opened.text
    case_id = opened.json()["id"]
    assert opened.json()["tier"] == "green" and opened.json()["opened_by"]
    # A counselor does not close a case; the crisis team and supervisors do, with a reason.
    assert alice.post(f"/api/cases/{case_id}/close", {"reason": "done"}).status_code == 403
    make_user(app_only.db, "sup", role=Role.supervisor)
    sup = NoteClient(app_only, "sup")
    blank = sup.post(f"/api/cases/{case_id}/close", {"reason": "  "})
    assert blank.status_code == 422 and "reason" in blank.json()["errors"]
    closed = sup.post(f"/api/cases/{case_id}/close", {"reason": "Stable for three months"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert closed.json()["close_reason"] == "Stable for three months"
    with app_only.db.session() as session:
        raw = session.execute(text("SELECT close_reason FROM cases")).scalar_one()
    assert "Stable" not in raw
    # The caller rings again at high risk: the case opens again, red.
    _end(alice, call_id)
    second, _bob = connected_call(app_only, "CA" + "4" * 32, "bob", caller=CALLER)
    bob = NoteClient(app_only, "bob")
    bob.put(second, 1, crisis_level="imminent")
    again = bob.get(f"/api/cases/{case_id}").json()
    assert again["status"] == "open" and again["tier"] == "red"
    assert [c["call_id"] for c in again["contacts"]] == [call_id, second]
    assert again["tiers"][-1]["to_tier"] == "red"


def test_the_safety_plan_is_encrypted_versioned_and_shown_at_the_next_offer(
    app_only: Stack,
) -> None:
    call_id, alice = start(app_only, "CA" + "5" * 32, "alice", CALLER)
    alice.put(call_id, 1, crisis_level="high")
    case = _case_of(app_only)
    assert case is not None
    url = f"/api/cases/{case.id}/safety-plan"
    empty = alice.http.put(
        url,
        json={"based_on": 0, "sections": {}},
        headers={"X-CSRF-Token": alice.token},
    )
    assert empty.status_code == 422

    def save(based_on: int, sections: dict[str, Any]) -> Any:
        return alice.http.put(
            url,
            json={"based_on": based_on, "call_id": call_id, "sections": sections},
            headers={"X-CSRF-Token": alice.token},
        )

    first = save(0, PLAN)
    assert first.status_code == 200, first.text
    assert first.json()["safety_plan"]["version"] == 1
    assert save(0, PLAN).status_code == 409  # written over v1 unseen: refused
    second = save(1, PLAN | {"distractions": "The park"})
    assert second.json()["safety_plan"]["version"] == 2
    assert second.json()["safety_plan_versions"] == 2
    with app_only.db.session() as session:
        raw = session.execute(text("SELECT content FROM safety_plans")).scalars().all()
    assert len(raw) == 2
    assert all(value.startswith("v1:") and "daughter" not in value for value in raw)
    _end(alice, call_id)
    # The caller rings again: bob is offered the call and sees the tier and the plan.
    bob_user = make_user(app_only.db, "bob")
    bob = NoteClient(app_only, "bob")
    app_only.webhook("/twilio/voice/incoming", inbound("CA" + "6" * 32, caller=CALLER))
    app_only.webhook(
        "/twilio/voice/gather", {**inbound("CA" + "6" * 32, caller=CALLER), "Digits": "1"}
    )
    with app_only.db.session() as session:
        routing.set_presence(
            session=session,
            user=bob_user,
            state=AgentState.available,
            reason=None,
            now=app_only.clock.now(),
        )
    app_only.dispatcher.tick()
    snapshot = bob.console.wait(lambda s: s["offer"] is not None and s.get("case") is not None)
    card = snapshot["case"]
    assert card["tier"] == "red" and card["case_id"] == case.id
    assert card["safety_plan"]["version"] == 2
    assert card["safety_plan"]["sections"]["reasons_for_living"] == "My daughter"
    assert card["safety_plan"]["sections"]["distractions"] == "The park"
    # Seen once in the audit log for this call, however often the snapshot is sent.
    bob.console.send("set_state", state="available", reason=None)
    assert _views(app_only, case.id or 0).count(("bob", f"console, call {card['call_id']}")) == 1
    # Alice, no longer on a call with this caller, is refused the case.
    assert alice.get(f"/api/cases/{case.id}").status_code == 403
    assert get_user(app_only.db, "bob") is not None


def test_a_withheld_number_has_no_case(app_only: Stack) -> None:
    call_id, alice = start(app_only, "CA" + "7" * 32, "alice", "anonymous")
    alice.put(call_id, 1, crisis_level="imminent")
    assert _case_of(app_only) is None
    refused = alice.post(f"/api/calls/{call_id}/case", {})
    assert refused.status_code == 422
