"""A migrated database (SQLite and PostgreSQL) holding a hand-made day of calls on one line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from hotline.auth.models import Role
from hotline.calls.models import Call, CallState
from hotline.db import Database
from hotline.escalation.models import Escalation, EscalationStatus
from hotline.notes.models import CallNote, IssueCategory, NoteStatus
from hotline.routing.models import PresenceEvent
from tests.factories import make_line, make_user

# The line counts in Asia/Shanghai (UTC+8): local 2026-03-10 is [03-09 16:00, 03-10 16:00) UTC.
T0 = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)  # 08:00 local on Tuesday 10 March
DAY_START = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
S = timedelta(seconds=1)


@dataclass
class Day:
    line_id: int
    other_line_id: int
    categories: list[int]
    calls: dict[str, int]


def _call(session: Any, line_id: int, name: str, created: datetime, **fields: Any) -> int:
    call = Call(
        call_sid=f"CA{name}", line_id=line_id, caller_hash=f"h-{name}", created_at=created, **fields
    )
    session.add(call)
    session.flush()
    assert call.id is not None
    return call.id


def answered(queued: datetime, wait: float, talk: float, wrap: float | None) -> dict[str, Any]:
    connected = queued + wait * S
    ended = connected + talk * S
    return {
        "state": CallState.completed if wrap is not None else CallState.wrap_up,
        "queued_at": queued,
        "connected_at": connected,
        "ended_at": ended,
        "completed_at": None if wrap is None else ended + wrap * S,
    }


@pytest.fixture
def day(db: Database) -> Day:
    return build_day(db)


def build_day(db: Database) -> Day:
    """The calls of local 2026-03-10 (and one just after), each worked out by hand in the tests.

    A answered after exactly 20 s, talk 300 + wrap 60      (local, high risk, difficult)
    B answered after 20.5 s, talk 600 + wrap 120           (out of area, repeat, imminent)
    C answered after exactly 60 s, still in wrap-up        (draft note: not counted)
    D abandoned exactly 5 s after entering the queue
    E abandoned 30 s after entering the queue              (repeat)
    F overflow after the maximum wait of 180 s
    G hung up in the greeting, never queued
    H queued 23:59:50 local, answered after midnight (20 s), talk 600 + wrap 60
    J reached the line 23:59:58 the day before, queued 00:00:03, answered after 10 s,
      talk 100 + wrap 20
    I queued 00:00:05 on 11 March: outside the day
    """
    line = make_line(db, number="+8610123456", local_prefixes=["+8610"])
    other = make_line(db, number="+8621123456")
    assert line.id is not None and other.id is not None
    u1 = make_user(db, "u1", line_ids=[line.id])
    u2 = make_user(db, "u2", line_ids=[line.id])
    u3 = make_user(db, "u3", line_ids=[line.id])
    u4 = make_user(db, "u4", role=Role.crisis, line_ids=[other.id])
    ids: dict[str, int] = {}
    with db.session() as session:
        cats = list(session.exec(select(IssueCategory.id).order_by(col(IssueCategory.id)).limit(2)))
        assert len(cats) == 2 and None not in cats
        lid = line.id
        q = T0 + 10 * S
        ids["A"] = _call(session, lid, "A", T0, caller_area="local", **answered(q, 20, 300, 60))
        ids["B"] = _call(
            session,
            lid,
            "B",
            T0 + 60 * S,
            caller_area="out_of_area",
            repeat_caller=True,
            **answered(T0 + 70 * S, 20.5, 600, 120),
        )
        ids["C"] = _call(session, lid, "C", T0 + 120 * S, **answered(T0 + 130 * S, 60, 90, None))
        for name, offset, wait in (("D", 200, 5), ("E", 300, 30)):
            queued = T0 + offset * S
            ids[name] = _call(
                session,
                lid,
                name,
                queued - 8 * S,
                state=CallState.abandoned,
                queued_at=queued,
                ended_at=queued + wait * S,
                completed_at=queued + wait * S,
                end_reason="caller",
                repeat_caller=name == "E",
            )
        f_queued = T0 + 400 * S
        ids["F"] = _call(
            session,
            lid,
            "F",
            f_queued - 8 * S,
            state=CallState.overflow,
            queued_at=f_queued,
            ended_at=f_queued + 180 * S,
            completed_at=f_queued + 180 * S,
            end_reason="max_wait",
        )
        g = T0 + 500 * S
        ids["G"] = _call(
            session,
            lid,
            "G",
            g,
            state=CallState.abandoned,
            ended_at=g + 4 * S,
            completed_at=g + 4 * S,
            end_reason="caller",
        )
        h_queued = DAY_START + timedelta(days=1) - 10 * S  # 23:59:50 local
        ids["H"] = _call(session, lid, "H", h_queued - 8 * S, **answered(h_queued, 20, 600, 60))
        j_created = DAY_START - 2 * S  # 23:59:58 local the day before
        ids["J"] = _call(session, lid, "J", j_created, **answered(DAY_START + 3 * S, 10, 100, 20))
        i_queued = DAY_START + timedelta(days=1) + 5 * S
        ids["I"] = _call(session, lid, "I", i_queued - 8 * S, **answered(i_queued, 30, 60, 30))

        def note(name: str, status: NoteStatus, **fields: Any) -> None:
            session.add(
                CallNote(
                    call_id=ids[name],
                    author_id=u1.id,
                    status=status,
                    created_at=T0,
                    updated_at=T0,
                    **fields,
                )
            )

        sub = NoteStatus.submitted
        note(
            "A",
            sub,
            call_type="self",
            crisis_level="high",
            categories=cats,
            profile={"population_groups": ["student"]},
            difficult=True,
            follow_up_wanted=True,
        )
        note(
            "B",
            sub,
            call_type="self",
            crisis_level="imminent",
            categories=[cats[0]],
            profile={"population_groups": ["elderly", "student"]},
        )
        note("C", NoteStatus.draft, call_type="self", crisis_level="high", categories=cats)
        note("H", sub, call_type="silent")
        note("J", sub, call_type="third_party", crisis_level="low", profile={})
        note("I", sub, call_type="self", crisis_level="high", difficult=True)

        def escalation(name: str, at: datetime, **fields: Any) -> None:
            session.add(
                Escalation(call_id=ids[name], line_id=lid, level="high", created_at=at, **fields)
            )

        escalation(
            "A",
            T0 + 400 * S,
            status=EscalationStatus.joined,
            acknowledged_at=T0 + 445 * S,
            joined_at=T0 + 520 * S,
        )
        escalation(
            "B",
            T0 + 700 * S,
            status=EscalationStatus.acknowledged,
            acknowledged_at=T0 + 775 * S,
        )
        escalation(
            "H",
            h_queued + 60 * S,  # 00:00:50 local on 11 March: outside the day
            status=EscalationStatus.unacknowledged,
            alarm_at=h_queued + 960 * S,
        )
        escalation(
            "C",
            T0 + 200 * S,
            status=EscalationStatus.unacknowledged,
            alarm_at=T0 + 1100 * S,
        )

        def presence(user_id: int | None, state: str, at: datetime) -> None:
            session.add(PresenceEvent(user_id=user_id, state=state, at=at))

        presence(u1.id, "available", DAY_START - timedelta(hours=4))  # still on at the start
        presence(u2.id, "offline", DAY_START - timedelta(hours=4))
        presence(u2.id, "available", T0)  # came on during the day
        presence(u3.id, "available", DAY_START - timedelta(hours=6))
        presence(u3.id, "offline", DAY_START - timedelta(hours=2))  # left before the day
        presence(u3.id, "offline", T0)  # an offline event inside the day is not duty
        presence(u4.id, "on_call", T0 + 60 * S)  # on duty, but for the other line
    return Day(line_id=lid, other_line_id=other.id, categories=cats, calls=ids)  # type: ignore[arg-type]
