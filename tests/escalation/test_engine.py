"""The escalation engine against a real database with an injected clock: steps, repeats, the
supervisor alarm, acknowledgement, a restart mid-escalation, two dispatchers at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from hotline.auth.models import Role, User
from hotline.calls import service as calls
from hotline.calls.models import Call
from hotline.clock import FakeClock
from hotline.db import Database, make_engine
from hotline.escalation import service as escalations
from hotline.escalation.models import (
    Escalation,
    EscalationLog,
    EscalationPolicy,
    EscalationStatus,
    Page,
)
from hotline.lines.models import Line
from tests.conftest import migrated_postgres_database
from tests.factories import make_line, make_rota, make_user

START = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def setup_call(
    db: Database, *, steps: list[dict[str, object]] | None = None, repeat: int = 2
) -> tuple[Call, User, User]:
    crisis = make_user(db, "crisis1", role=Role.crisis)
    supervisor = make_user(db, "super1", role=Role.supervisor)
    make_rota(db, "crisis", [crisis])
    make_rota(db, "supervisor", [supervisor])
    line = make_line(db)
    with db.session() as session:
        if steps is not None:
            policy = EscalationPolicy(name="test", repeat=repeat, steps=steps)
            session.add(policy)
            session.flush()
            stored = session.get(Line, line.id)
            assert stored is not None
            stored.escalation_policy_id = policy.id
        call = calls.start_inbound(
            session=session, line=line, call_sid="CA1", caller_hash="h", now=START
        )
    return call, crisis, supervisor


def trigger(db: Database, call: Call, now: datetime, level: str = "high") -> int:
    with db.session() as session:
        escalation = escalations.trigger(
            session=session, call=call, level=level, reason="plan and intent", user_id=None, now=now
        )
        assert escalation.id is not None
        return escalation.id


def run(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        escalations.run_due(session=session, now=clock.now())


def pages(db: Database) -> list[tuple[int, str, bool]]:
    with db.session() as session:
        return [
            (p.user_id, p.channel.value, p.alarm)
            for p in session.exec(select(Page).order_by(Page.id))
        ]


def status(db: Database, escalation_id: int) -> EscalationStatus:
    with db.session() as session:
        found = session.get(Escalation, escalation_id)
        assert found is not None
        return found.status


TWO_STEPS = [
    {"targets": [{"kind": "crisis_on_call"}], "channels": ["console", "sms"], "wait_minutes": 5},
    {"targets": [{"kind": "supervisor_on_duty"}], "channels": ["console"], "wait_minutes": 5},
]


def test_steps_wait_repeat_and_then_alarm_the_supervisor(db: Database) -> None:
    clock = FakeClock(START)
    call, crisis, supervisor = setup_call(db, steps=TWO_STEPS, repeat=2)
    escalation_id = trigger(db, call, clock.now())
    run(db, clock)
    assert pages(db) == [(crisis.id, "console", False), (crisis.id, "sms", False)]
    clock.advance(4 * 60 + 59)
    run(db, clock)
    assert len(pages(db)) == 2  # not yet
    clock.advance(1)
    run(db, clock)
    assert pages(db)[2:] == [(supervisor.id, "console", False)]
    for _ in range(2):  # the second round
        clock.advance(5 * 60)
        run(db, clock)
    assert len(pages(db)) == 6 and status(db, escalation_id) == EscalationStatus.paging
    clock.advance(5 * 60)
    run(db, clock)
    assert status(db, escalation_id) == EscalationStatus.unacknowledged
    assert pages(db)[6:] == [
        (supervisor.id, "console", True),
        (supervisor.id, "sms", True),
        (supervisor.id, "voice", True),
    ]
    clock.advance(60 * 60)
    run(db, clock)
    assert len(pages(db)) == 9  # alarmed once; it stays open for a human to resolve
    with db.session() as session:
        kinds = [e.kind for e in session.exec(select(EscalationLog).order_by(EscalationLog.id))]
        assert kinds[0] == "triggered" and "alarm" in kinds
        sup = session.get(User, supervisor.id)
        assert sup is not None
        escalations.resolve(
            session=session,
            escalation_id=escalation_id,
            user=sup,
            outcome="caller_disconnected",
            now=clock.now(),
        )
    assert status(db, escalation_id) == EscalationStatus.resolved


def test_acknowledging_stops_the_pages(db: Database) -> None:
    clock = FakeClock(START)
    call, crisis, _supervisor = setup_call(db, steps=TWO_STEPS)
    escalation_id = trigger(db, call, clock.now())
    run(db, clock)
    with db.session() as session:
        worker = session.get(User, crisis.id)
        assert worker is not None
        escalations.acknowledge(
            session=session,
            escalation_id=escalation_id,
            user=worker,
            now=clock.now(),
            channel="console",
        )
    clock.advance(60 * 60)
    run(db, clock)
    assert len(pages(db)) == 2
    assert status(db, escalation_id) == EscalationStatus.acknowledged


def test_a_higher_level_pages_the_next_step_at_once(db: Database) -> None:
    clock = FakeClock(START)
    call, _crisis, supervisor = setup_call(db, steps=TWO_STEPS)
    trigger(db, call, clock.now(), "high")
    run(db, clock)
    clock.advance(30)
    trigger(db, call, clock.now(), "imminent")
    # Imminent: the supervisor on duty is alerted at once, then the next step runs now.
    assert pages(db)[2:] == [(supervisor.id, "console", False), (supervisor.id, "sms", False)]
    run(db, clock)
    assert pages(db)[4:] == [(supervisor.id, "console", False)]


def test_nobody_on_call_is_logged_and_the_next_step_runs_at_once(db: Database) -> None:
    clock = FakeClock(START)
    empty_schedule = [
        {
            "targets": [{"kind": "schedule", "id": 987654}],
            "channels": ["console"],
            "wait_minutes": 1,
        }
    ]
    supervisors = [
        {"targets": [{"kind": "supervisor_on_duty"}], "channels": ["console"], "wait_minutes": 1}
    ]
    call, _crisis, supervisor = setup_call(db, steps=empty_schedule + supervisors, repeat=1)
    escalation_id = trigger(db, call, clock.now())
    run(db, clock)  # the empty step does not wait its minute: the supervisors are paged now
    assert pages(db) == [(supervisor.id, "console", False)]
    with db.session() as session:
        kinds = [
            e.kind
            for e in session.exec(
                select(EscalationLog)
                .where(EscalationLog.escalation_id == escalation_id)
                .order_by(EscalationLog.id)
            )
        ]
    assert "nobody_on_call" in kinds


def test_a_restart_mid_escalation_loses_no_step(database_url: str) -> None:
    clock = FakeClock(START)
    first = Database(make_engine(database_url))
    call, crisis, supervisor = setup_call(first, steps=TWO_STEPS)
    trigger(first, call, clock.now())
    run(first, clock)
    first.engine.dispose()  # the process dies; the next step comes due while it is down
    clock.advance(20 * 60)
    second = Database(make_engine(database_url))
    run(second, clock)
    assert pages(second)[2:] == [(supervisor.id, "console", False)]
    second.engine.dispose()


def test_two_dispatchers_at_once_send_each_step_once(request: pytest.FixtureRequest) -> None:
    """PostgreSQL only: SQLite serves one process, so the row locks are what is tested here."""
    with migrated_postgres_database(request) as database_url:
        four_dispatchers(database_url)


def four_dispatchers(database_url: str) -> None:
    clock = FakeClock(START)
    setup_db = Database(make_engine(database_url))
    call, _crisis, _supervisor = setup_call(setup_db, steps=TWO_STEPS)
    trigger(setup_db, call, clock.now())
    instances = [Database(make_engine(database_url)) for _ in range(4)]
    barrier = threading.Barrier(len(instances))
    claimed: list[int] = []

    def instance(database: Database) -> None:
        barrier.wait()
        for _ in range(5):
            with database.session() as session:
                escalations.run_due(session=session, now=clock.now())
            with database.session() as session:
                claimed.extend(escalations.claim_pages(session=session, now=clock.now()))

    threads = [threading.Thread(target=instance, args=(d,)) for d in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(pages(setup_db)) == 2  # step one, once: console + sms
    assert len(claimed) == 1 and len(set(claimed)) == 1  # the SMS, claimed by one sender
    for database in [setup_db, *instances]:
        database.engine.dispose()
