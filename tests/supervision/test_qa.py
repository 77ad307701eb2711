"""QA sampling and score trends on both databases with set times: a 5 % rule marks the calls
its hash chooses plus every high-risk one, the same ones every time; unreviewed samples past the
rule's days are overdue; each counselor's mean review score per month, hand-computed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hotline.auth.models import Role
from hotline.db import Database
from hotline.review import service as review
from hotline.supervision import qa
from hotline.supervision.models import QaSamplingRule
from tests.factories import make_line, make_user
from tests.supervision.drive import call_at_level

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")


def test_the_share_is_spread_evenly_and_never_changes() -> None:
    rule = QaSamplingRule(line_id=1, percent=5.0, every_high_risk=True, updated_at=NOW)
    picked = [i for i in range(1, 20_001) if qa.is_sampled(rule, i, None)]
    assert 900 <= len(picked) <= 1100  # 5 % of 20,000 is 1,000
    assert picked == [i for i in range(1, 20_001) if qa.is_sampled(rule, i, "moderate")]
    # Every high-risk contact, whatever its hash.
    assert all(
        qa.is_sampled(rule, i, level) for i in range(1, 500) for level in ("high", "imminent")
    )
    rule.every_high_risk = False
    assert [i for i in range(1, 20_001) if qa.is_sampled(rule, i, "high")] == picked
    rule.percent = 0
    assert not any(qa.is_sampled(rule, i, None) for i in range(1, 20_001))
    rule.percent = 100
    assert all(qa.is_sampled(rule, i, None) for i in range(1, 2_001))


def test_a_rule_marks_its_share_and_every_high_risk_call_then_overdue(db: Database) -> None:
    line = make_line(db)
    other = make_line(db, number="+8657712356")
    alice = make_user(db, "alice")
    boss = make_user(db, "boss", role=Role.supervisor)
    levels = ["none"] * 9 + ["high", "moderate", "imminent"]
    calls = {
        call_at_level(db, line, alice, NOW - timedelta(days=11) + timedelta(hours=i), level): level
        for i, level in enumerate(levels)
    }
    unsampled_line = call_at_level(db, other, alice, NOW - timedelta(days=10), "high")
    with db.session() as session:
        assert qa.sampled(session=session, now=NOW) == []  # no rule yet: nothing marked
        before, rule = qa.set_rule(
            session=session,
            line_id=line.id or 0,
            percent="5",
            every_high_risk=True,
            review_within_days="7",
            actor=boss,
            now=NOW,
        )
        assert before == "none"
        seed = rule.seed
    # Expected by hand from the hash: the calls in the lowest 5 % of buckets, and the high ones.
    by_hash = {c for c in calls if qa.bucket(seed, c) < 500}
    expected = by_hash | {c for c, level in calls.items() if level in ("high", "imminent")}
    with db.session() as session:
        marked = qa.sampled(session=session, now=NOW)
        assert {s.call_id for s in marked} == expected
        assert unsampled_line not in {s.call_id for s in marked}
        assert all(
            s.overdue and not s.reviewed for s in marked
        )  # ended 10-11 days ago, 7 to review
        assert qa.sampled(session=session, now=NOW) == marked  # the same ones every time
    high = next(c for c, level in calls.items() if level == "high")
    with db.session() as session:
        review.save_review(
            session=session,
            call_id=high,
            reviewer=boss,
            scores={
                "rapport": 4,
                "risk_assessment": None,
                "intervention": None,
                "documentation": None,
            },
            marked_for_review=False,
            comment="",
            now=NOW,
        )
    with db.session() as session:
        marked = {s.call_id: s for s in qa.sampled(session=session, now=NOW)}
        assert marked[high].reviewed and not marked[high].overdue
        # Three days earlier nothing was past its seven days yet.
        early = qa.sampled(session=session, now=NOW - timedelta(days=4))
        assert not any(s.overdue for s in early)


def test_a_bad_rule_is_refused_field_by_field(db: Database) -> None:
    line = make_line(db)
    boss = make_user(db, "boss", role=Role.supervisor)
    with db.session() as session, pytest.raises(qa.QaError) as refused:
        qa.set_rule(
            session=session,
            line_id=line.id or 0,
            percent="120",
            every_high_risk=True,
            review_within_days="0",
            actor=boss,
            now=NOW,
        )
    assert refused.value.errors == {"percent": "bad_percent", "days": "bad_days"}


def test_scores_by_month_and_the_trend(db: Database) -> None:
    line = make_line(db)
    alice, bob = make_user(db, "alice"), make_user(db, "bob")
    boss = make_user(db, "boss", role=Role.supervisor)

    def reviewed(counselor: object, at: datetime, scores: list[int | None]) -> None:
        call_id = call_at_level(db, line, counselor, at - timedelta(hours=1), "none")  # type: ignore[arg-type]
        with db.session() as session:
            review.save_review(
                session=session,
                call_id=call_id,
                reviewer=boss,
                scores=dict(zip(qa.QA_CRITERIA, scores, strict=True)),
                marked_for_review=False,
                comment="",
                now=at,
            )

    # Alice, October: (4+4+3+3)/4 = 3.5 and (2+2+2+2)/4 = 2 -> 2.75; November: (5+4)/2 = 4.5.
    reviewed(alice, datetime(2026, 10, 10, 4, tzinfo=UTC), [4, 4, 3, 3])
    reviewed(alice, datetime(2026, 10, 20, 4, tzinfo=UTC), [2, 2, 2, 2])
    reviewed(alice, datetime(2026, 11, 5, 4, tzinfo=UTC), [5, 4, None, None])
    # Bob, 31 Oct 18:00 UTC is 1 Nov in Shanghai: November 3.0; 15 Nov: 2.0 -> mean 2.5.
    reviewed(bob, datetime(2026, 10, 31, 18, tzinfo=UTC), [3, 3, 3, 3])
    reviewed(bob, datetime(2026, 11, 15, 4, tzinfo=UTC), [2, 2, 2, 2])
    with db.session() as session:
        trends = {t.user_id: t for t in qa.trends(session=session, now=NOW, tz=TZ)}
    months = [m for m, _, _ in trends[alice.id or 0].months]
    assert months[-2:] == [datetime(2026, 10, 1).date(), datetime(2026, 11, 1).date()]
    assert len(months) == qa.TREND_MONTHS
    assert trends[alice.id or 0].months[-2:] == [(months[-2], 2.75, 2), (months[-1], 4.5, 1)]
    assert trends[alice.id or 0].direction == "up"
    assert trends[bob.id or 0].months[-2:] == [(months[-2], None, 0), (months[-1], 2.5, 2)]
    assert trends[bob.id or 0].direction == ""
