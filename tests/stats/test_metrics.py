"""The metric functions against a day of calls worked out by hand (see conftest.Day), on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hotline.db import Database
from hotline.stats import metrics
from hotline.stats import service as stats
from hotline.stats.metrics import Bucket, Dimension, Scope
from tests.stats.conftest import DAY_START, Day


def scope(day: Day, *, days: int = 1, line: bool = True) -> Scope:
    return Scope(
        start=DAY_START,
        end=DAY_START + timedelta(days=days),
        line_id=day.line_id if line else None,
        timezone="Asia/Shanghai",
    )


def test_call_figures_of_the_day(db: Database, day: Day) -> None:
    with db.session() as session:
        t = metrics.totals(session=session, scope=scope(day))
    # A B C D E F G H J reached the line (I is the next day); G never reached the queue.
    assert (t.offered, t.entered_queue, t.answered) == (9, 8, 5)
    assert (t.abandoned, t.abandoned_short, t.abandoned_ivr, t.overflow) == (2, 1, 1, 1)
    # answered / (offered - abandoned within 5 s) = 5 / (9 - 1)
    assert t.answer_rate == pytest.approx(0.625)
    # A (20.000 s), H (20 s), J (10 s) within 20 s; B (20.5 s) and C (60.000 s) within 60 s.
    assert (t.answered_20, t.answered_60) == (3, 5)
    assert t.service_level_20 == pytest.approx(3 / 8)
    assert t.service_level_60 == pytest.approx(5 / 8)
    assert t.asa_s == pytest.approx((20 + 20.5 + 60 + 20 + 10) / 5)
    assert t.abandonment_rate == pytest.approx(2 / 8)
    assert t.overflow_rate == pytest.approx(1 / 8)
    # Handle time: A 360, B 720, H 660, J 120; C is still in wrap-up.
    assert t.handled == 4
    assert t.aht_s == pytest.approx((360 + 720 + 660 + 120) / 4)
    assert t.talk_sum_s == pytest.approx(300 + 600 + 600 + 100)
    assert (t.repeat, t.in_danger) == (2, 0)


def test_other_line_and_all_lines(db: Database, day: Day) -> None:
    with db.session() as session:
        other = Scope(start=DAY_START, end=DAY_START + timedelta(days=1), line_id=day.other_line_id)
        assert metrics.totals(session=session, scope=other).offered == 0
        assert metrics.totals(session=session, scope=scope(day, line=False)).offered == 9


def test_a_call_belongs_to_the_local_day_it_entered_the_queue(db: Database, day: Day) -> None:
    with db.session() as session:
        days = metrics.call_figures(session=session, scope=scope(day, days=2), bucket=Bucket.day)
        hours = metrics.call_figures(session=session, scope=scope(day, days=2), bucket=Bucket.hour)
        weekdays = metrics.call_figures(
            session=session, scope=scope(day, days=2), bucket=Bucket.weekday
        )
        weeks = metrics.call_figures(session=session, scope=scope(day, days=2), bucket=Bucket.week)
        months = metrics.call_figures(
            session=session, scope=scope(day, days=2), bucket=Bucket.month
        )
        quarters = metrics.call_figures(
            session=session, scope=scope(day, days=2), bucket=Bucket.quarter
        )
    assert [(f.key, f.offered, f.answered) for f in days] == [
        ("2026-03-10", 9, 5),  # H answered after midnight still counts here; so does J
        ("2026-03-11", 1, 1),  # I
    ]
    by_hour = {f.key: f.offered for f in hours}
    assert by_hour == {0: 2, 8: 7, 23: 1}  # J and I at 00h, H at 23h, the rest at 08h
    assert [(f.key, f.offered) for f in weekdays] == [(2, 9), (3, 1)]  # Tuesday, Wednesday
    assert [(f.key, f.offered) for f in weeks] == [("2026-03-09", 10)]  # the week's Monday
    assert [(f.key, f.offered) for f in months] == [("2026-03", 10)]
    assert [(f.key, f.offered) for f in quarters] == [("2026-Q1", 10)]


def test_an_empty_period_divides_by_nothing(db: Database, day: Day) -> None:
    # A month earlier: before any call, and before anyone came on duty.
    empty = Scope(
        start=DAY_START - timedelta(days=30), end=DAY_START - timedelta(days=29), line_id=None
    )
    with db.session() as session:
        t = metrics.totals(session=session, scope=empty)
        assert metrics.call_figures(session=session, scope=empty, bucket=Bucket.day) == []
        e = metrics.escalation_figures(session=session, scope=empty)
        n = metrics.note_figures(session=session, scope=empty)
        assert metrics.counts_by(session=session, scope=empty, dimension=Dimension.category) == {}
        assert metrics.staff_on_duty(session=session, scope=empty) == 0
        assert all(
            c == 0
            for _label, c in metrics.distribution(session=session, scope=empty, measure="wait")
        )
    assert t.offered == 0
    for rate in (
        t.answer_rate,
        t.asa_s,
        t.service_level_20,
        t.service_level_60,
        t.abandonment_rate,
        t.overflow_rate,
        t.aht_s,
        e.mean_ack_s,
        e.mean_join_s,
        e.ack_max_s,
    ):
        assert rate is None
    assert n.notes == 0


def test_note_figures_count_submitted_notes_only(db: Database, day: Day) -> None:
    s = scope(day)
    with db.session() as session:
        n = metrics.note_figures(session=session, scope=s)
        levels = metrics.counts_by(session=session, scope=s, dimension=Dimension.crisis_level)
        types = metrics.counts_by(session=session, scope=s, dimension=Dimension.call_type)
        categories = metrics.counts_by(session=session, scope=s, dimension=Dimension.category)
        groups = metrics.counts_by(session=session, scope=s, dimension=Dimension.population_group)
        areas = metrics.counts_by(session=session, scope=s, dimension=Dimension.caller_area)
    # A B H J are submitted; C is a draft and I is on the next day.
    assert (n.notes, n.high_risk, n.imminent, n.difficult, n.follow_up_wanted) == (4, 2, 1, 1, 1)
    assert n.counselling == 3
    assert levels == {"high": 1, "imminent": 1, "low": 1, "unset": 1}
    assert types == {"self": 2, "silent": 1, "third_party": 1}
    first, second = (str(c) for c in day.categories)
    assert categories == {first: 2, second: 1}
    assert groups == {"student": 2, "elderly": 1}
    assert areas == {"local": 1, "out_of_area": 1, "unknown": 7}


def test_escalation_times(db: Database, day: Day) -> None:
    with db.session() as session:
        e = metrics.escalation_figures(session=session, scope=scope(day))
    # A: acknowledged after 45 s, joined after 120 s; B: acknowledged after 75 s;
    # C: nobody acknowledged; H's escalation began after midnight.
    assert (e.count, e.acknowledged, e.joined, e.unacknowledged) == (3, 2, 1, 1)
    assert e.mean_ack_s == pytest.approx(60)
    assert e.ack_max_s == pytest.approx(75)
    assert e.mean_join_s == pytest.approx(120)
    assert e.join_max_s == pytest.approx(120)


def test_staff_on_duty(db: Database, day: Day) -> None:
    with db.session() as session:
        # u1 was available when the day began, u2 came on; u3 left before; u4 is another line's.
        assert metrics.staff_on_duty(session=session, scope=scope(day)) == 2
        assert metrics.staff_on_duty(session=session, scope=scope(day, line=False)) == 3


def test_distributions(db: Database, day: Day) -> None:
    with db.session() as session:
        waits = dict(metrics.distribution(session=session, scope=scope(day), measure="wait"))
        handles = dict(metrics.distribution(session=session, scope=scope(day), measure="handle"))
    # Waits 20, 20.5, 60, 20, 10: [10, 20) holds J; [20, 30) A B H; [60, 120) C.
    assert waits == {
        "0-10": 0,
        "10-20": 1,
        "20-30": 3,
        "30-60": 0,
        "60-120": 1,
        "120-300": 0,
        "300+": 0,
    }
    # Handle times of completed calls: 360, 720, 660, 120.
    assert handles["0-300"] == 1 and handles["300-600"] == 1 and handles["600-1200"] == 2
    assert sum(handles.values()) == 4


def test_month_scope_follows_the_line_zone(db: Database, day: Day) -> None:
    with db.session() as session:
        s = stats.month_scope(session=session, line_id=day.line_id, month="2026-03")
        assert s.start == DAY_START - timedelta(days=9)  # 1 March 00:00 local
        assert (s.end - s.start).days == 31
        assert metrics.totals(session=session, scope=s).offered == 10
        with pytest.raises(stats.StatsError):
            stats.month_scope(session=session, line_id=day.line_id, month="2026-13")
        with pytest.raises(stats.StatsError):
            stats.period_scope(
                session=session,
                line_id=None,
                first_day=date(2026, 3, 2),
                last_day=date(2026, 3, 1),
            )


def test_the_page_overview_agrees_with_the_single_figures(db: Database, day: Day) -> None:
    s = scope(day, days=2)
    with db.session() as session:
        data = stats.overview(session=session, scope=s, bucket=Bucket.day)
        totals = metrics.totals(session=session, scope=s)
        hours = metrics.call_figures(session=session, scope=s, bucket=Bucket.hour)
        notes = metrics.note_figures(session=session, scope=s)
        levels = metrics.counts_by(session=session, scope=s, dimension=Dimension.crisis_level)
        types = metrics.counts_by(session=session, scope=s, dimension=Dimension.call_type)
        areas = metrics.counts_by(session=session, scope=s, dimension=Dimension.caller_area)
        waits = metrics.distribution(session=session, scope=s, measure="wait")
    assert data["totals"] == totals.public()
    assert data["totals"]["offered"] == 10 and data["totals"]["local"] == 1
    assert {r["key"]: r["offered"] for r in data["by_hour"] if r["offered"]} == {
        f.key: f.offered for f in hours
    }
    assert {r["key"]: r["offered"] for r in data["by_weekday"] if r["offered"]} == {2: 9, 3: 1}
    assert data["notes"] == notes.public()
    assert data["counts"]["crisis_level"] == levels
    assert data["counts"]["call_type"] == types
    assert data["counts"]["caller_area"] == areas
    assert data["wait_distribution"] == waits


def test_a_blocked_caller_is_not_an_offered_call(db: Database, day: Day) -> None:
    from hotline.blocklist.service import turn_away
    from hotline.lines.models import Line

    with db.session() as session:
        before = metrics.totals(session=session, scope=scope(day))
        line = session.get(Line, day.line_id)
        assert line is not None
        turn_away(
            session=session,
            line=line,
            call_sid="CA" + "b" * 32,
            caller_hash="blocked-caller",
            now=DAY_START + timedelta(hours=5),
        )
    with db.session() as session:
        after = metrics.totals(session=session, scope=scope(day))
    assert (after.offered, after.answer_rate) == (before.offered, before.answer_rate)
