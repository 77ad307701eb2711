"""Drills ("Test this policy") over the wire: the policy's real people are paged step by step
through the simulator (SMS by the real twilio library) with a message that says it is a drill,
and acknowledged by an SMS reply or on the console; times and pages are logged; no call,
escalation or counselor is touched; a real alert is never taken for a drill nor a drill for one."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from hotline.auth.models import Role, User
from hotline.calls.models import Call
from hotline.db import Database
from hotline.escalation import service as escalations
from hotline.escalation.models import (
    DrillLog,
    DrillStatus,
    Escalation,
    EscalationStatus,
    Page,
    PolicyDrill,
)
from tests.calls import LINE
from tests.escalation.test_paging import CRISIS_PHONE, escalated_call
from tests.factories import make_line, make_user
from tests.policies.helpers import admin, audit, form, policies, signed_in
from tests.stack import Stack, running_stack

LI_PHONE = "+8613900007777"
ZHAO_PHONE = "+8613900008888"


def _drill(stack: Stack) -> PolicyDrill:
    with stack.db.session() as session:
        drill = session.exec(select(PolicyDrill)).one()
        session.expunge(drill)
        return drill


def _log(stack: Stack) -> list[tuple[str, str | None, str | None]]:
    with stack.db.session() as session:
        names = {u.id: u.username for u in session.exec(select(User))}
        return [
            (e.kind, names.get(e.user_id) if e.user_id else None, e.channel)
            for e in session.exec(select(DrillLog).order_by(col(DrillLog.id)))
        ]


def _sms_to(stack: Stack, number: str) -> list[str]:
    return [m["body"] for m in stack.simulator.list_messages() if m["to"] == number]


def _start(stack: Stack, http: object, token: str, policy_id: int | None) -> str:
    asked = http.post(f"/admin/policies/{policy_id}/drill?lang=en", data={"csrf_token": token})  # type: ignore[attr-defined]
    assert asked.status_code == 200 and 'data-action="drill"' in asked.text  # confirm first
    assert _drills(stack) == 0
    started = http.post(  # type: ignore[attr-defined]
        f"/admin/policies/{policy_id}/drill", data={"csrf_token": token, "confirm": "1"}
    )
    assert started.status_code == 303, started.text[:500]
    location: str = started.headers["location"]
    return location


def _drills(stack: Stack) -> int:
    with stack.db.session() as session:
        return len(session.exec(select(PolicyDrill)).all())


def test_a_drill_pages_step_by_step_and_an_sms_reply_acknowledges(stack: Stack) -> None:
    make_line(stack.db)
    stack.dispatcher.sync_numbers()
    li = make_user(stack.db, "li", role=Role.crisis, endpoint=LI_PHONE)
    zhao = make_user(stack.db, "zhao", role=Role.crisis, endpoint=ZHAO_PHONE)
    with stack.db.session() as session:
        row = session.get(User, li.id)
        assert row is not None
        row.locale = "zh_CN"  # each is paged in their own language
    http, token = admin(stack)
    steps = [([f"user:{li.id}"], ["sms"], "3"), ([f"user:{zhao.id}"], ["sms", "console"], "3")]
    assert http.post("/admin/policies", data=form(token, "Night", steps)).status_code == 303
    (policy,) = policies(stack)
    wang, wang_token = signed_in(stack, "wang", Role.supervisor)  # supervisors run drills too
    location = _start(stack, wang, wang_token, policy.id)

    stack.dispatcher.tick()
    li_sms = stack.simulator.wait_for(lambda: _sms_to(stack, LI_PHONE))
    assert "演练" in li_sms[0] and "Night" in li_sms[0]
    assert _sms_to(stack, ZHAO_PHONE) == []  # step 2 waits its 3 minutes
    stack.clock.advance(3 * 60)
    stack.dispatcher.tick()
    zhao_sms = stack.simulator.wait_for(lambda: _sms_to(stack, ZHAO_PHONE))
    assert zhao_sms[0].startswith("DRILL") and "No caller is waiting" in zhao_sms[0]
    assert "Reply 1 to acknowledge the drill" in zhao_sms[0]

    stack.clock.advance(20)
    stack.simulator.send_sms(ZHAO_PHONE, LINE, "1")
    drill = _drill(stack)
    assert drill.status == DrillStatus.acknowledged and drill.acknowledged_by == zhao.id
    assert drill.acknowledged_channel == "sms" and drill.started_by != zhao.id
    assert drill.acknowledged_at is not None
    assert (drill.acknowledged_at - drill.started_at).total_seconds() == 200
    reply = _sms_to(stack, ZHAO_PHONE)[-1]
    assert "Drill acknowledged" in reply
    kinds = _log(stack)
    assert kinds[0] == ("started", "wang", None)
    assert ("page_sent", "li", "sms") in kinds and ("page_sent", "zhao", "sms") in kinds
    assert ("acknowledged", "zhao", "sms") in kinds
    stack.clock.advance(60 * 60)
    stack.dispatcher.tick()
    assert ("unacknowledged", None, None) not in _log(stack)  # it ended with the answer

    with stack.db.session() as session:  # a drill touches no caller and no escalation
        assert session.exec(select(Call)).all() == []
        assert session.exec(select(Escalation)).all() == []
        pages = session.exec(select(Page)).all()
        assert pages and all(p.escalation_id is None and p.drill_id == drill.id for p in pages)
    wang, _token = signed_in(stack, "wang")  # an hour later: signed in again
    shown = wang.get(location + "?lang=en").text  # the drill log supervisors can show
    assert "Acknowledged" in shown and "Zhao (SMS)" in shown and "200 s" in shown
    assert shown.count('data-testid="drill-page"') == 3
    listed = wang.get("/admin/policies/drills?lang=en").text
    assert listed.count('data-testid="drill-row"') == 1
    audited = [e.detail for e in audit(stack, "policy_drill")]
    assert audited == [
        "drill started (admin page): policy Night",
        "drill acknowledged (sms): policy Night",
    ]


def test_a_real_alert_is_never_taken_for_a_drill_nor_a_drill_for_one(stack: Stack) -> None:
    escalation_id = escalated_call(stack)  # crisis1 is paged for a real caller
    stack.simulator.set_phone(CRISIS_PHONE, "manual")
    with stack.db.session() as session:
        crisis1 = session.exec(select(User).where(User.username == "crisis1")).one()
    http, token = admin(stack)
    steps = [([f"user:{crisis1.id}"], ["sms", "console"], "3")]
    assert http.post("/admin/policies", data=form(token, "Team", steps)).status_code == 303
    _start(stack, http, token, policies(stack)[0].id)
    stack.dispatcher.tick()
    stack.simulator.wait_for(lambda: [b for b in _sms_to(stack, CRISIS_PHONE) if "DRILL" in b])
    alerts = [b for b in _sms_to(stack, CRISIS_PHONE) if "Crisis alert" in b]
    assert alerts and all("DRILL" not in b for b in alerts)

    # The newest page is the drill's, yet "1" answers the real caller's alert.
    stack.simulator.send_sms(CRISIS_PHONE, LINE, "1")
    with stack.db.session() as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None and escalation.status == EscalationStatus.acknowledged
        console_alerts = escalations.alerts_for(session=session, user_id=crisis1.id or 0)
    assert [a["escalation_id"] for a in console_alerts] == [escalation_id]
    assert _drill(stack).status == DrillStatus.paging

    # The drill is answered on its own page; the escalation is not touched by it.
    worker, worker_token = signed_in(stack, "crisis1")
    mine = worker.get("/console/drills?lang=en").text
    assert mine.count('data-testid="my-drill"') == 1
    drill_id = _drill(stack).id
    acked = worker.post(f"/console/drills/{drill_id}/ack", data={"csrf_token": worker_token})
    assert acked.status_code == 303
    drill = _drill(stack)
    assert drill.status == DrillStatus.acknowledged and drill.acknowledged_channel == "console"
    with stack.db.session() as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None and escalation.status == EscalationStatus.acknowledged
        assert escalation.acknowledged_at is not None
        real_pages = session.exec(select(Page).where(Page.escalation_id == escalation_id)).all()
        assert all(p.drill_id is None for p in real_pages)
    other, other_token = signed_in(stack, "li", Role.crisis)  # not paged in this drill
    refused = other.post(f"/console/drills/{drill_id}/ack", data={"csrf_token": other_token})
    assert refused.status_code == 403


def test_a_drill_that_would_page_nobody_is_refused(app_only: Stack) -> None:
    make_line(app_only.db)
    zhao = make_user(app_only.db, "zhao", role=Role.crisis)
    http, token = admin(app_only)
    assert (
        http.post("/admin/policies", data=form(token, "Z", [([f"user:{zhao.id}"], ["sms"], "3")]))
    ).status_code == 303
    with app_only.db.session() as session:
        row = session.get(User, zhao.id)
        assert row is not None
        row.active = False
    policy_id = policies(app_only)[0].id
    refused = http.post(
        f"/admin/policies/{policy_id}/drill?lang=en", data={"csrf_token": token, "confirm": "1"}
    )
    assert refused.status_code == 409 and "nobody to drill" in refused.text
    assert "Zhao: the account is disabled." in refused.text
    assert _drills(app_only) == 0


def test_a_page_belongs_to_an_escalation_or_a_drill_never_both_nor_neither(db: Database) -> None:
    make_line(db)
    user = make_user(db, "zhao", role=Role.crisis)
    for fields in ({}, {"escalation_id": 1, "drill_id": 1}):
        with pytest.raises(IntegrityError), db.session() as session:
            session.add(Page(user_id=user.id or 0, channel="sms", created_at=_now(), **fields))
            session.flush()


def test_the_engine_never_pages_a_disabled_account(db: Database) -> None:
    zhao = make_user(db, "zhao", role=Role.crisis)
    li = make_user(db, "li", role=Role.crisis)
    targets = [{"kind": "user", "id": zhao.id}, {"kind": "user", "id": li.id}]
    with db.session() as session:
        assert escalations.resolve_targets(session=session, targets=targets, now=_now()) == [
            zhao.id,
            li.id,
        ]
        row = session.get(User, li.id)
        assert row is not None
        row.active = False
        assert escalations.resolve_targets(session=session, targets=targets, now=_now()) == [
            zhao.id
        ]


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_keypress_on_the_drill_call_acknowledges(database_url: str) -> None:
    # Real-time rings and gathers here: the paging call must wait for the test to answer it.
    with running_stack(database_url, gather_time_scale=1.0) as stack:
        make_line(stack.db)
        stack.dispatcher.sync_numbers()
        zhao = make_user(stack.db, "zhao", role=Role.crisis, endpoint=ZHAO_PHONE)
        stack.simulator.set_phone(ZHAO_PHONE, "manual")
        http, token = admin(stack)
        steps = [([f"user:{zhao.id}"], ["voice"], "3")]
        assert http.post("/admin/policies", data=form(token, "Voice", steps)).status_code == 303
        _start(stack, http, token, policies(stack)[0].id)
        stack.dispatcher.tick()
        stack.simulator.wait_for(lambda: stack.simulator.list_calls(to=ZHAO_PHONE))
        paging_call = stack.simulator.list_calls(to=ZHAO_PHONE)[0]["sid"]
        stack.simulator.press(paging_call, "1")  # pressed as the drill's message starts
        stack.simulator.answer(paging_call)
        stack.simulator.wait_for(lambda: _drill(stack).status == DrillStatus.acknowledged)
        assert _drill(stack).acknowledged_channel == "voice"
        assert ("acknowledged", "zhao", "voice") in _log(stack)
        with stack.db.session() as session:
            assert session.exec(select(Escalation)).all() == []
