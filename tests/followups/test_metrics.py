"""The follow-up figures against follow-ups worked out by hand, on SQLite and PostgreSQL; and the
statistics page's data and the monthly report carrying them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from hotline.db import Database
from hotline.followups.metrics import follow_up_figures
from hotline.followups.models import FollowUpStatus
from hotline.stats import report
from hotline.stats import service as stats
from hotline.stats.metrics import Bucket, Scope
from tests.factories import make_line, make_user
from tests.followups.drive import bare_follow_up

# Local 2026-03-10 in Asia/Shanghai (UTC+8) is [03-09 16:00, 03-10 16:00) UTC.
DAY_START = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
DAY_END = DAY_START + timedelta(days=1)
S = timedelta(seconds=1)
H = timedelta(hours=1)


@dataclass
class Fixture:
    line_id: int
    other_line_id: int


@pytest.fixture
def fixture(db: Database) -> Fixture:
    """Follow-ups around local 10 March, each worked out by hand below.

    line:  A due 02:00Z, completed 01:00Z (on time)
           B due 03:00Z, completed 05:00Z (late)
           C due exactly at the day's start, failed             (the start is in the period)
           D due one second before the day's end, still open
           E due 10:00Z, cancelled                                (not counted as due)
           F due exactly at the day's end, completed            (the next period)
           G due one second before the day's start, failed      (the period before)
           H due 08:00Z, completed exactly at its due time      (on time)
    other: I due 09:00Z, completed 08:00Z (on time)
    """
    line = make_line(db)
    other = make_line(db, number="+8601012356")
    alice = make_user(db, "alice")
    assert line.id is not None and other.id is not None
    day = datetime(2026, 3, 10, tzinfo=UTC)
    done, failed = FollowUpStatus.completed, FollowUpStatus.failed
    with db.session() as session:
        for name, due, status, closed in [
            ("A", day + 2 * H, done, day + 1 * H),
            ("B", day + 3 * H, done, day + 5 * H),
            ("C", DAY_START, failed, DAY_START + 30 * H),
            ("D", DAY_END - S, FollowUpStatus.scheduled, None),
            ("E", day + 10 * H, FollowUpStatus.cancelled, day + 9 * H),
            ("F", DAY_END, done, DAY_END - H),
            ("G", DAY_START - S, failed, DAY_START + H),
            ("H", day + 8 * H, done, day + 8 * H),
        ]:
            bare_follow_up(session, alice, line.id, name, due, status, closed)
        bare_follow_up(session, alice, other.id, "I", day + 9 * H, done, day + 8 * H)
    return Fixture(line_id=line.id, other_line_id=other.id)


def scope(line_id: int | None, start: datetime = DAY_START, end: datetime = DAY_END) -> Scope:
    return Scope(start=start, end=end, line_id=line_id, timezone="Asia/Shanghai")


def test_follow_ups_due_in_the_period_on_one_line(db: Database, fixture: Fixture) -> None:
    with db.session() as session:
        f = follow_up_figures(session=session, scope=scope(fixture.line_id))
    # Due: A B C D H (E cancelled; F and G fall due outside the period).
    assert (f.due, f.completed, f.completed_on_time, f.failed, f.open, f.cancelled) == (
        5,
        3,  # A B H
        2,  # A H (H exactly at its due time)
        1,  # C
        1,  # D
        1,  # E
    )
    assert f.completion_rate == pytest.approx(3 / 5)
    assert f.on_time_rate == pytest.approx(2 / 5)
    assert f.public()["completion_rate"] == pytest.approx(0.6)


def test_all_lines_other_line_and_an_empty_period(db: Database, fixture: Fixture) -> None:
    with db.session() as session:
        every = follow_up_figures(session=session, scope=scope(None))
        other = follow_up_figures(session=session, scope=scope(fixture.other_line_id))
        empty = follow_up_figures(
            session=session, scope=scope(None, DAY_END + 24 * H, DAY_END + 48 * H)
        )
        next_day = follow_up_figures(session=session, scope=scope(None, DAY_END, DAY_END + 24 * H))
    assert (every.due, every.completed, every.completed_on_time, every.failed) == (6, 4, 3, 1)
    assert (other.due, other.completed, other.completed_on_time) == (1, 1, 1)
    assert (empty.due, empty.completion_rate, empty.on_time_rate) == (0, None, None)
    assert (next_day.due, next_day.completed, next_day.completed_on_time) == (1, 1, 1)  # F


def test_the_statistics_and_the_monthly_report_carry_the_rate(
    db: Database, fixture: Fixture
) -> None:
    with db.session() as session:
        data = stats.overview(session=session, scope=scope(fixture.line_id), bucket=Bucket.day)
        month = stats.month_scope(session=session, line_id=fixture.line_id, month="2026-03")
        rows = report.build_rows(
            session=session, scope=month, month="2026-03", line_name="L", locale="en"
        )
    assert data["follow_ups"]["due"] == 5
    assert data["follow_ups"]["completion_rate"] == pytest.approx(0.6)
    values = {row.item: row for row in rows}
    # In March: A B C D F G H due (E cancelled): A B F H completed.
    assert values["Follow-up completion rate"].value == pytest.approx(4 / 7)
    assert values["Follow-up completion rate"].kind == "rate"
