"""Pages go only to people who can answer them: a disabled account or a role that may not
acknowledge is skipped, and the escalation log says who and why. A step left with nobody never
passes for a page: the next step runs at once, and when none is left the supervisors are alarmed."""

from __future__ import annotations

from sqlmodel import select

from hotline.auth.models import Role, User
from hotline.clock import FakeClock
from hotline.db import Database
from hotline.escalation.models import EscalationLog, EscalationStatus
from tests.escalation.test_engine import START, pages, run, setup_call, status, trigger
from tests.factories import make_user


def change(
    db: Database, user: User, *, active: bool | None = None, role: Role | None = None
) -> None:
    """What an admin does after the rota or policy was set up: disable, or change the role."""
    with db.session() as session:
        stored = session.get(User, user.id)
        assert stored is not None
        if active is not None:
            stored.active = active
        if role is not None:
            stored.role = role


def log(db: Database, escalation_id: int) -> list[tuple[str, int | None, str | None]]:
    with db.session() as session:
        return [
            (e.kind, e.user_id, e.detail)
            for e in session.exec(
                select(EscalationLog)
                .where(EscalationLog.escalation_id == escalation_id)
                .order_by(EscalationLog.id)
            )
        ]


def test_disabled_users_and_non_responders_are_skipped_and_logged(db: Database) -> None:
    clock = FakeClock(START)
    gone = make_user(db, "gone", role=Role.crisis)
    demoted = make_user(db, "demoted", role=Role.crisis)
    ready = make_user(db, "ready", role=Role.crisis)
    step = {
        "targets": [{"kind": "user", "id": u.id} for u in (gone, demoted, ready)],
        "channels": ["console", "sms"],
        "wait_minutes": 5,
    }
    call, _crisis, _supervisor = setup_call(db, steps=[step], repeat=1)
    change(db, gone, active=False)
    change(db, demoted, role=Role.counselor)
    escalation_id = trigger(db, call, clock.now())
    run(db, clock)
    assert pages(db) == [(ready.id, "console", False), (ready.id, "sms", False)]
    entries = log(db, escalation_id)
    assert ("page_skipped", gone.id, "account_disabled") in entries
    assert ("page_skipped", demoted.id, "role_cannot_acknowledge") in entries
    assert not [e for e in entries if e[0] == "page" and e[1] in (gone.id, demoted.id)]


def test_a_step_reaching_only_the_unreachable_goes_on_to_the_next_at_once(db: Database) -> None:
    clock = FakeClock(START)
    steps = [
        {"targets": [{"kind": "crisis_on_call"}], "channels": ["console"], "wait_minutes": 5},
        {"targets": [{"kind": "supervisor_on_duty"}], "channels": ["console"], "wait_minutes": 5},
    ]
    call, crisis, supervisor = setup_call(db, steps=steps, repeat=1)
    change(db, crisis, active=False)  # the only one on the crisis rota
    escalation_id = trigger(db, call, clock.now())
    run(db, clock)
    # No waiting on a step that paged nobody: the supervisor is paged in the same tick.
    assert pages(db) == [(supervisor.id, "console", False)]
    kinds = [kind for kind, _user, _detail in log(db, escalation_id)]
    assert kinds.index("page_skipped") < kinds.index("nobody_on_call") < kinds.index("page")
    assert status(db, escalation_id) == EscalationStatus.paging


def test_when_no_step_reaches_anyone_the_supervisors_are_alarmed_at_once(db: Database) -> None:
    clock = FakeClock(START)
    steps = [{"targets": [{"kind": "crisis_on_call"}], "channels": ["console"], "wait_minutes": 5}]
    call, crisis, supervisor = setup_call(db, steps=steps, repeat=3)
    change(db, crisis, role=Role.counselor)
    escalation_id = trigger(db, call, clock.now())
    run(db, clock)
    assert status(db, escalation_id) == EscalationStatus.unacknowledged
    assert (supervisor.id, "console", True) in pages(db)
    assert all(user == supervisor.id for user, _channel, _alarm in pages(db))


def test_the_alarm_skips_a_disabled_supervisor_on_duty(db: Database) -> None:
    clock = FakeClock(START)
    steps = [{"targets": [{"kind": "crisis_on_call"}], "channels": ["console"], "wait_minutes": 5}]
    call, crisis, supervisor = setup_call(db, steps=steps, repeat=1)
    spare = make_user(db, "spare", role=Role.supervisor)  # not rostered
    change(db, crisis, active=False)
    change(db, supervisor, active=False)
    escalation_id = trigger(db, call, clock.now())
    run(db, clock)
    assert status(db, escalation_id) == EscalationStatus.unacknowledged
    # The rostered supervisor cannot sign in: every active supervisor is alarmed instead.
    assert {user for user, _channel, _alarm in pages(db)} == {spare.id}
    assert ("page_skipped", supervisor.id, "account_disabled") in log(db, escalation_id)
