"""The supervision pages and the debrief API over real HTTP on both databases: a supervisor
records a session (pre-filled from a call), a refused form says why next to each field (422,
nothing saved), hours on the list and on the counselor's own page, the audit log's before and
after without the themes; the debrief offered after a high-risk note, asked for, scheduled and
held; and a QA sampling rule set on /supervisor/qa."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlmodel import col, select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role, User
from hotline.lines.models import Line
from hotline.simulator.console_client import csrf_from
from hotline.supervision.models import DebriefRequest, DebriefStatus, SupervisionSession
from tests.factories import PASSWORD, make_line, make_user
from tests.stack import Stack, running_stack
from tests.supervision.drive import call_at_level

THEMES = "Caller spoke of the river bridge"


@dataclass
class World:
    stack: Stack
    line: Line
    alice: User
    bob: User
    carol: User
    boss: User


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with running_stack(database_url, with_simulator=False, run_engine=False) as stack:
        line = make_line(stack.db)
        yield World(
            stack,
            line,
            make_user(stack.db, "alice"),
            make_user(stack.db, "bob"),
            make_user(stack.db, "carol"),
            make_user(stack.db, "boss", role=Role.supervisor),
        )


def signed_in(stack: Stack, username: str) -> tuple[httpx.Client, str]:
    http = httpx.Client(base_url=stack.url, timeout=10)
    token = csrf_from(http.get("/login").text)
    answer = http.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 303
    return http, csrf_from(http.get("/console").text)


def session_form(token: str, world: World, call_id: int, **changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "csrf_token": token,
        "kind": "group",
        "supervisor": str(world.boss.id),
        "day": "2026-11-23",
        "at": "09:00",
        "duration": "90",
        "counselors": [str(world.alice.id), str(world.bob.id)],
        "calls": f"#{call_id}",
        "themes": THEMES,
        "action_text_0": "Practise asking about means",
        "action_owner_0": str(world.alice.id),
        "action_due_0": "2026-11-30",
    }
    form.update(changes)
    return form


def test_a_session_from_a_call_with_hours_audit_and_each_counselor_their_own(
    world: World,
) -> None:
    stack = world.stack
    now = stack.clock.now()
    call_id = call_at_level(stack.db, world.line, world.alice, now - timedelta(hours=3), "high")
    boss, token = signed_in(stack, "boss")

    new = boss.get(f"/supervisor/supervision/new?call={call_id}")
    assert new.status_code == 200
    assert f'value="#{call_id}"' in new.text
    assert f'value="{world.alice.id}" checked' in new.text  # the call's counselor

    refused = boss.post(
        "/supervisor/supervision",
        data=session_form(token, world, call_id, duration="ninety", counselors=[], calls="#x"),
    )
    assert refused.status_code == 422
    for field in ("duration", "counselors", "calls"):
        assert f'data-testid="error-{field}"' in refused.text
    assert 'value="ninety"' in refused.text  # what was typed is shown again
    with stack.db.session() as session:
        assert session.exec(select(SupervisionSession)).all() == []

    saved = boss.post("/supervisor/supervision", data=session_form(token, world, call_id))
    assert saved.status_code == 303
    session_id = int(saved.headers["location"].split("/")[-1].split("?")[0])
    listing = boss.get("/supervisor/supervision")
    assert f'data-testid="session-row" data-id="{session_id}"' in listing.text
    assert f'href="/supervisor/calls/{call_id}"' in listing.text
    # 90 minutes today: 1.50 h this month and this year, for both present.
    assert listing.text.count('data-testid="hours-month">1.50<') == 2

    changed = boss.post(
        f"/supervisor/supervision/{session_id}",
        data=session_form(token, world, call_id, counselors=[str(world.alice.id)], duration="60"),
    )
    assert changed.status_code == 303
    with stack.db.session() as session:
        entries = session.exec(
            select(AuditEvent)
            .where(AuditEvent.object_type == "supervision_session", AuditEvent.action == "edit")
            .order_by(col(AuditEvent.id))
        ).all()
    assert [e.detail.split(":")[0] for e in entries if e.detail] == ["created", "before"]
    assert "minutes=90" in (entries[1].detail or "") and "minutes=60" in (entries[1].detail or "")
    assert all("bridge" not in (e.detail or "") for e in entries)

    alice, _ = signed_in(stack, "alice")
    mine = alice.get("/console/supervision")
    assert mine.status_code == 200
    assert f'data-id="{session_id}"' in mine.text and 'data-testid="hours-month">1.00<' in mine.text
    assert "Practise asking about means" in mine.text  # her action
    assert THEMES not in mine.text
    assert alice.get("/supervisor/supervision").status_code == 403
    bob, _ = signed_in(stack, "bob")
    theirs = bob.get("/console/supervision")
    assert f'data-id="{session_id}"' not in theirs.text  # removed from the session
    assert 'data-testid="hours-month">0.00<' in theirs.text


def test_the_debrief_offered_asked_scheduled_and_held(world: World) -> None:
    stack = world.stack
    now = stack.clock.now()
    high = call_at_level(stack.db, world.line, world.alice, now - timedelta(hours=3), "high")
    moderate = call_at_level(
        stack.db, world.line, world.alice, now - timedelta(hours=2), "moderate"
    )
    alice, alice_token = signed_in(stack, "alice")
    bob, bob_token = signed_in(stack, "bob")
    assert alice.get(f"/api/calls/{high}/debrief").json() == {
        "offered": True,
        "request_id": None,
        "status": None,
    }
    assert alice.get(f"/api/calls/{moderate}/debrief").json()["offered"] is False
    assert bob.get(f"/api/calls/{high}/debrief").json()["offered"] is False
    assert (
        bob.post(f"/api/calls/{high}/debrief", headers={"X-CSRF-Token": bob_token}).status_code
        == 403
    )
    asked = alice.post(f"/api/calls/{high}/debrief", headers={"X-CSRF-Token": alice_token})
    assert asked.status_code == 200 and asked.json()["status"] == "requested"
    debrief_id = asked.json()["request_id"]
    assert alice.get(f"/api/calls/{high}/debrief").json()["offered"] is False

    boss, token = signed_in(stack, "boss")
    board = boss.get("/supervisor/supervision")
    assert f'data-testid="debrief-row" data-id="{debrief_id}" data-status="requested"' in board.text
    bad = boss.post(
        f"/supervisor/debriefs/{debrief_id}/schedule",
        data={"csrf_token": token, "day": "tomorrow", "at": "10:00"},
    )
    assert bad.status_code == 422 and 'data-testid="error-schedule"' in bad.text
    good = boss.post(
        f"/supervisor/debriefs/{debrief_id}/schedule",
        data={"csrf_token": token, "day": "2026-11-24", "at": "10:00"},
    )
    assert good.status_code == 303
    prefilled = boss.get(f"/supervisor/supervision/new?debrief={debrief_id}")
    assert f'name="debrief" value="{debrief_id}"' in prefilled.text
    held = boss.post(
        "/supervisor/supervision",
        data=session_form(
            token,
            world,
            high,
            kind="individual",
            counselors=[str(world.alice.id)],
            debrief=str(debrief_id),
        ),
    )
    assert held.status_code == 303
    with stack.db.session() as session:
        debrief = session.get(DebriefRequest, debrief_id)
        assert debrief is not None and debrief.status == DebriefStatus.done
        assert debrief.session_id is not None
    # A counselor also asks on their own page, about nothing in particular.
    general = bob.post("/console/supervision/debriefs", data={"csrf_token": bob_token, "call": ""})
    assert general.status_code == 303
    not_theirs = bob.post(
        "/console/supervision/debriefs", data={"csrf_token": bob_token, "call": f"#{moderate}"}
    )
    assert not_theirs.status_code == 422 and 'data-testid="form-error"' in not_theirs.text


def test_qa_rule_set_on_the_page_marks_the_calls(world: World) -> None:
    stack = world.stack
    now = stack.clock.now()
    high = call_at_level(stack.db, world.line, world.alice, now - timedelta(days=9), "high")
    low = call_at_level(stack.db, world.line, world.alice, now - timedelta(days=8), "none")
    boss, token = signed_in(stack, "boss")
    rule_url = f"/supervisor/qa/rules/{world.line.id}"
    refused = boss.post(rule_url, data={"csrf_token": token, "percent": "120", "days": "7"})
    assert refused.status_code == 422 and 'data-testid="error-percent"' in refused.text
    assert (
        boss.post(
            rule_url,
            data={"csrf_token": token, "percent": "0", "days": "7", "every_high_risk": "1"},
        ).status_code
        == 303
    )
    page = boss.get("/supervisor/qa")
    assert f'data-call="{high}" data-overdue="true"' in page.text
    assert f'data-call="{low}"' not in page.text
    assert 'data-testid="overdue-count">1<' in page.text
