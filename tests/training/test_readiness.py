"""`hotline check`: a line whose required qualifications no counselor of it holds is red."""

from __future__ import annotations

from datetime import date

from hotline.db import Database
from tests.factories import make_line, make_user
from tests.readiness.test_readiness import NOW, found, report
from tests.training.drive import admin, grant, qualification, require


def test_a_line_nobody_is_qualified_for_is_red(db: Database, database_url: str) -> None:
    line = make_line(db, number="+8612356")
    boss = admin(db)
    alice = make_user(db, "alice")
    crisis = qualification(db, boss, NOW)
    assert not found(report(db, database_url), "line_unqualified")
    require(db, boss, NOW, line.id or 0, [crisis])
    [red] = found(report(db, database_url), "line_unqualified", "+8612356")
    assert red.level == "red" and red.fix
    grant(db, boss, NOW, alice, crisis, date(2026, 11, 22))  # expired the day before NOW
    assert found(report(db, database_url), "line_unqualified")
    grant(db, boss, NOW, alice, crisis, date(2027, 11, 22))
    assert not found(report(db, database_url), "line_unqualified")
    assert found(report(db, database_url), "line_qualified", "+8612356")
