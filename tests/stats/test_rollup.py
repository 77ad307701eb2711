"""The daily roll-up gives exactly what the raw metric functions give, on SQLite and PostgreSQL:
fully rolled up, partly (the unsettled days read raw), after a late change, and while a backlog
is still being worked through."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from hotline.calls import service as calls
from hotline.calls.models import Call, CallState
from hotline.db import Database
from hotline.lines.models import Line
from hotline.stats import metrics, rollup
from hotline.stats.metrics import Bucket, Dimension, Scope
from hotline.stats.models import StatsHour, StatsRollup, StatsStale
from tests.stats.conftest import DAY_START, Day

SETTLED = datetime(2026, 3, 20, 4, 0, tzinfo=UTC)  # every day of the fixture has settled
ZONE = "Asia/Shanghai"


def scope(first: date, days: int, line_id: int | None) -> Scope:
    return Scope(
        start=rollup.day_start(first, ZONE),
        end=rollup.day_start(first + timedelta(days=days), ZONE),
        line_id=line_id,
        timezone=ZONE,
    )


def scopes(day: Day) -> list[Scope]:
    return [
        scope(date(2026, 3, 10), 1, day.line_id),
        scope(date(2026, 3, 9), 3, day.line_id),
        scope(date(2026, 3, 9), 3, None),
        scope(date(2026, 3, 1), 31, None),
        scope(date(2026, 1, 1), 90, day.other_line_id),
    ]


def assert_same(session: Any, s: Scope) -> None:
    """Every reading of `s` through the roll-up equals the raw one."""
    for bucket in (None, *Bucket):
        rolled = [f.public() for f in rollup.call_figures(session=session, scope=s, bucket=bucket)]
        raw = [f.public() for f in metrics.call_figures(session=session, scope=s, bucket=bucket)]
        if bucket is None and raw == []:
            raw = [metrics.CallFigures().public()]
        assert rolled == [pytest.approx(r) for r in raw], bucket
    assert rollup.hour_weekday(session=session, scope=s) == sorted(
        metrics.hour_weekday(session=session, scope=s)
    )
    assert rollup.distributions(session=session, scope=s) == metrics.distributions(
        session=session, scope=s
    )
    assert rollup.note_breakdown(session=session, scope=s) == metrics.note_breakdown(
        session=session, scope=s
    )
    for dimension in Dimension:
        assert rollup.counts_by(session=session, scope=s, dimension=dimension) == (
            metrics.counts_by(session=session, scope=s, dimension=dimension)
        ), dimension


def test_rolled_up_figures_equal_the_raw_ones(db: Database, day: Day) -> None:
    done = rollup.refresh(db=db, now=SETTLED)
    assert done.days > 0 and done.pending == 0
    with db.session() as session:
        rows = session.execute(select(func.count()).select_from(StatsHour)).scalar()
        assert rows and rows > 0
        for s in scopes(day):
            part = rollup.split(session=session, scope=s)
            # Settled days come from the roll-up (so the comparison tests it, not the raw path);
            # only days from the 19th, not settled on the 20th, are read raw.
            assert part.rolled
            assert (
                part.raw is None
                if s.end <= rollup.day_start(date(2026, 3, 19), ZONE)
                else (part.cut == date(2026, 3, 19))
            )
            assert_same(session, s)
        whole = rollup.totals(session=session, scope=scopes(day)[0])
    assert (whole.offered, whole.answered, whole.abandoned_short) == (9, 5, 1)


def test_unsettled_days_are_read_raw(db: Database, day: Day) -> None:
    # Local 12 March: days up to the 10th have settled, the 11th and 12th have not.
    now = DAY_START + timedelta(days=2, hours=3)
    rollup.refresh(db=db, now=now)
    s = scope(date(2026, 3, 9), 4, day.line_id)
    with db.session() as session:
        part = rollup.split(session=session, scope=s)
        assert part.cut == date(2026, 3, 11)
        assert part.raw is not None and part.raw.start == rollup.day_start(date(2026, 3, 11), ZONE)
        assert_same(session, s)


def test_a_late_change_is_read_raw_until_the_next_refresh(db: Database, day: Day) -> None:
    rollup.refresh(db=db, now=SETTLED)
    s = scope(date(2026, 3, 9), 3, day.line_id)
    with db.session() as session:
        before = rollup.totals(session=session, scope=s).handled
        call = session.get(Call, day.calls["C"])  # left in wrap-up on the 10th
        assert call is not None
        moved = calls.transition(
            session=session,
            call=call,
            to=CallState.completed,
            expect=[CallState.wrap_up],
            now=SETTLED,
            completed_at=SETTLED,
        )
        assert moved
    with db.session() as session:
        marks = session.execute(select(func.count()).select_from(StatsStale)).scalar()
        assert marks == 1
        part = rollup.split(session=session, scope=s)
        assert part.cut == date(2026, 3, 10)  # the changed day and after: raw
        assert rollup.totals(session=session, scope=s).handled == before + 1
        assert_same(session, s)
    rollup.refresh(db=db, now=SETTLED + timedelta(minutes=1))
    with db.session() as session:
        assert session.execute(select(func.count()).select_from(StatsStale)).scalar() == 0
        part = rollup.split(session=session, scope=s)
        assert part.raw is None
        assert rollup.totals(session=session, scope=s).handled == before + 1
        assert_same(session, s)


def test_a_backlog_is_rolled_up_a_batch_at_a_time(db: Database, day: Day) -> None:
    first = rollup.refresh(db=db, now=SETTLED, batch_days=1)
    assert first.days == 1 and first.pending > 0  # the other line has no calls: nothing to do
    with db.session() as session:
        for s in scopes(day):
            assert_same(session, s)
    runs = 1
    while rollup.refresh(db=db, now=SETTLED, batch_days=4).pending:
        runs += 1
    assert runs > 1
    with db.session() as session:
        until = session.execute(select(func.min(col(StatsRollup.rolled_until)))).scalar()
        assert until == date(2026, 3, 19)  # the 19th and 20th (today) have not settled
        for s in scopes(day):
            assert_same(session, s)


def test_lines_in_other_time_zones(db: Database, day: Day) -> None:
    rollup.refresh(db=db, now=SETTLED)
    with db.session() as session:
        other = session.get(Line, day.other_line_id)
        assert other is not None
        other.timezone = "Europe/London"
    with db.session() as session:
        # All lines in one zone's days: the London line's days don't fit, so all is read raw.
        every = scope(date(2026, 3, 9), 3, None)
        assert not rollup.split(session=session, scope=every).rolled
        assert_same(session, every)
        assert rollup.split(session=session, scope=scope(date(2026, 3, 9), 3, day.line_id)).rolled
    rollup.refresh(db=db, now=SETTLED)  # the London line starts over in its own zone
    with db.session() as session:
        state = session.get(StatsRollup, day.other_line_id)
        assert state is not None and state.timezone == "Europe/London"
        london = Scope(
            start=datetime(2026, 3, 1, tzinfo=UTC),
            end=datetime(2026, 3, 15, tzinfo=UTC),
            line_id=day.other_line_id,
            timezone="Europe/London",
        )
        assert rollup.split(session=session, scope=london).rolled
        assert_same(session, london)
