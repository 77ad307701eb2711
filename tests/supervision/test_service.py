"""Supervision sessions, hours and debriefs against a real database (SQLite and PostgreSQL),
times set by hand: a session with its calls and actions, each counselor's hours this month and
this year (hand-computed, local calendar), and the debrief offered only after high or imminent
contacts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from hotline.auth.models import Role
from hotline.db import Database
from hotline.supervision import service as supervision
from hotline.supervision.models import DebriefReason, DebriefStatus, SessionKind
from hotline.supervision.service import NewAction, SessionData, SupervisionError
from tests.factories import make_line, make_user
from tests.supervision.drive import call_at_level, held

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TZ = ZoneInfo("Asia/Shanghai")
THEMES = "Caller Wang mentioned the bridge on Jiefang Road"


def test_a_group_session_with_calls_and_actions(db: Database) -> None:
    line = make_line(db)
    alice, bob = make_user(db, "alice"), make_user(db, "bob")
    boss = make_user(db, "boss", role=Role.supervisor)
    first = call_at_level(db, line, alice, NOW - timedelta(days=2), "high")
    second = call_at_level(db, line, bob, NOW - timedelta(days=1), "moderate")
    data = SessionData(
        kind=SessionKind.group,
        supervisor_id=boss.id or 0,
        held_at=NOW,
        duration_min=90,
        counselor_ids=[alice.id or 0, bob.id or 0],
        call_ids=[first, second],
        themes=THEMES,
        actions=[
            NewAction("Role-play a safety plan", alice.id or 0, date(2026, 11, 30)),
            NewAction("Read the C-SSRS guide", bob.id or 0, date(2026, 12, 7)),
        ],
    )
    with db.session() as session:
        record = supervision.create_session(session=session, data=data, actor=boss, now=NOW)
        session_id = record.id or 0
    with db.session() as session:
        detail = supervision.session_detail(
            session=session, record=supervision.get_session(session=session, session_id=session_id)
        )
        assert [p.username for p in detail.counselors] == ["alice", "bob"]
        assert detail.call_ids == sorted([first, second])
        assert detail.record.themes == THEMES
        assert [(a.text, o.username if o else None) for a, o in detail.actions] == [
            ("Role-play a safety plan", "alice"),
            ("Read the C-SSRS guide", "bob"),
        ]
        described = supervision.describe(session=session, record=detail.record)
        assert "bridge" not in described and "Role-play" not in described
        # At rest, themes and actions are ciphertext.
        raw = session.connection().execute(text("SELECT themes FROM supervision_sessions")).one()
        assert "bridge" not in raw[0]
        raw_action = (
            session.connection().execute(text("SELECT text FROM supervision_actions")).all()
        )
        assert all("safety plan" not in row[0] for row in raw_action)
        action_id = detail.actions[0][0].id or 0
    with db.session() as session:
        done = supervision.mark_action_done(
            session=session, session_id=session_id, action_id=action_id, actor=boss, now=NOW
        )
        assert done.done_at == NOW and done.done_by_id == boss.id
        assert [
            a.text for a in supervision.open_actions_of(session=session, user_id=bob.id or 0)
        ] == ["Read the C-SSRS guide"]
        assert supervision.open_actions_of(session=session, user_id=alice.id or 0) == []
    # Editing replaces who was present and which calls were discussed.
    data.counselor_ids = [bob.id or 0]
    data.call_ids = [second]
    data.actions = []
    with db.session() as session:
        before, _ = supervision.update_session(
            session=session, session_id=session_id, data=data, now=NOW
        )
        assert f"counselors=[{alice.id}, {bob.id}]" in before
    with db.session() as session:
        rows = supervision.sessions(session=session, counselor_id=bob.id)
        assert [r.call_ids for r in rows] == [[second]]
        assert supervision.sessions(session=session, counselor_id=alice.id) == []


def test_refuses_unknown_calls_and_an_individual_session_with_two(db: Database) -> None:
    alice, bob = make_user(db, "alice"), make_user(db, "bob")
    boss = make_user(db, "boss", role=Role.supervisor)
    data = SessionData(
        kind=SessionKind.individual,
        supervisor_id=boss.id or 0,
        held_at=NOW,
        duration_min=60,
        counselor_ids=[alice.id or 0, bob.id or 0],
        call_ids=[],
        themes=None,
    )
    with db.session() as session, pytest.raises(SupervisionError) as refused:
        supervision.create_session(session=session, data=data, actor=boss, now=NOW)
    assert refused.value.errors == {"counselors": "individual_one"}
    data.counselor_ids = [alice.id or 0]
    data.call_ids = [424242]
    data.supervisor_id = alice.id or 0  # a counselor cannot be the supervisor
    with db.session() as session, pytest.raises(SupervisionError) as refused:
        supervision.create_session(session=session, data=data, actor=boss, now=NOW)
    assert refused.value.errors == {"calls": "no_call", "supervisor": "bad_supervisor"}
    with db.session() as session:
        assert supervision.sessions(session=session) == []


def test_hours_this_month_and_this_year_in_local_time(db: Database) -> None:
    alice, bob = make_user(db, "alice"), make_user(db, "bob")
    boss = make_user(db, "boss", role=Role.supervisor)
    local = lambda *a: datetime(*a, tzinfo=TZ).astimezone(UTC)  # noqa: E731
    held(db, boss, [alice, bob], local(2026, 11, 2, 19, 0), 60)
    held(db, boss, [alice], local(2026, 11, 1, 0, 30), 50)  # 31 Oct in UTC, November here
    held(db, boss, [alice], local(2026, 10, 15, 14, 0), 90)
    held(db, boss, [alice], local(2026, 1, 5, 9, 0), 45)
    held(db, boss, [alice], local(2025, 12, 31, 20, 0), 30)  # last year
    held(db, boss, [bob], local(2026, 11, 30, 9, 0), 120)  # not held yet
    with db.session() as session:
        rows = {h.user_id: h for h in supervision.hours(session=session, now=NOW, tz=TZ)}
        mine = supervision.hours(session=session, now=NOW, tz=TZ, counselor_id=bob.id)
    assert (rows[alice.id or 0].month_min, rows[alice.id or 0].year_min) == (110, 245)
    assert (rows[alice.id or 0].month_hours, rows[alice.id or 0].year_hours) == (1.83, 4.08)
    assert (rows[bob.id or 0].month_min, rows[bob.id or 0].year_min) == (60, 60)
    assert [(h.user_id, h.month_min) for h in mine] == [(bob.id, 60)]


def test_debrief_offered_only_after_high_or_imminent(db: Database) -> None:
    line = make_line(db)
    alice, bob = make_user(db, "alice"), make_user(db, "bob")
    calls = {
        level: call_at_level(db, line, alice, NOW - timedelta(hours=10 - 2 * i), level)
        for i, level in enumerate(["none", "low", "moderate", "high", "imminent"])
    }
    with db.session() as session:
        offered = {
            level: supervision.debrief_offered(session=session, call_id=call_id, user=alice)
            for level, call_id in calls.items()
        }
        assert offered == {
            "none": False,
            "low": False,
            "moderate": False,
            "high": True,
            "imminent": True,
        }
        # Never to someone else.
        assert not supervision.debrief_offered(session=session, call_id=calls["high"], user=bob)
    with db.session() as session:
        asked = supervision.request_debrief(
            session=session, counselor=alice, call_id=calls["high"], now=NOW
        )
        assert (asked.reason, asked.status) == (DebriefReason.high_risk, DebriefStatus.requested)
    with db.session() as session:
        assert not supervision.debrief_offered(session=session, call_id=calls["high"], user=alice)
        with pytest.raises(SupervisionError) as twice:
            supervision.request_debrief(
                session=session, counselor=alice, call_id=calls["high"], now=NOW
            )
        assert twice.value.code == "debrief_exists"
        with pytest.raises(SupervisionError) as theirs:
            supervision.request_debrief(
                session=session, counselor=bob, call_id=calls["high"], now=NOW
            )
        assert theirs.value.code == "not_your_call"
    with db.session() as session:
        general = supervision.request_debrief(session=session, counselor=bob, call_id=None, now=NOW)
        assert general.reason == DebriefReason.asked


def test_a_debrief_is_scheduled_then_held_by_a_session(db: Database) -> None:
    alice = make_user(db, "alice")
    boss = make_user(db, "boss", role=Role.supervisor)
    with db.session() as session:
        debrief_id = (
            supervision.request_debrief(session=session, counselor=alice, call_id=None, now=NOW).id
            or 0
        )
    with db.session() as session:
        scheduled = supervision.schedule_debrief(
            session=session, debrief_id=debrief_id, at=NOW + timedelta(days=1), now=NOW
        )
        assert scheduled.status == DebriefStatus.scheduled
        assert [d.id for d, _ in supervision.debriefs(session=session, open_only=True)] == [
            debrief_id
        ]
    data = SessionData(
        kind=SessionKind.individual,
        supervisor_id=boss.id or 0,
        held_at=NOW + timedelta(days=1),
        duration_min=30,
        counselor_ids=[alice.id or 0],
        call_ids=[],
        themes=None,
        debrief_id=debrief_id,
    )
    with db.session() as session:
        record = supervision.create_session(session=session, data=data, actor=boss, now=NOW)
        session_id = record.id
    with db.session() as session:
        debrief = supervision.get_debrief(session=session, debrief_id=debrief_id)
        assert (debrief.status, debrief.session_id) == (DebriefStatus.done, session_id)
        assert supervision.debriefs(session=session, open_only=True) == []
        with pytest.raises(SupervisionError) as closed:
            supervision.schedule_debrief(session=session, debrief_id=debrief_id, at=NOW, now=NOW)
        assert closed.value.code == "debrief_closed"
