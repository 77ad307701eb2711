"""The report archive (立卷归档): periods, figures beside the previous period's, the hash chain
and its signature, the database refusing edits, the hourly filing, and the pages and downloads
over real HTTP. The figures are those of the hand-made day of March 2026 (see conftest)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import col, func, select

from hotline.audit.models import AuditAction, AuditEvent
from hotline.auth.models import Role
from hotline.clock import FakeClock
from hotline.db import Database
from hotline.i18n import gettext_for
from hotline.simulator.console_client import csrf_from
from hotline.stats import archive
from hotline.stats.jobs import file_reports
from hotline.stats.models import FiledReport
from hotline.stats.periods import PeriodKind, last_ended, parse_period
from hotline.stats.report import Row
from tests.factories import make_user
from tests.stack import Stack
from tests.stats.conftest import Day, build_day
from tests.stats.test_pages import sign_in

KEY = archive.signing_key("test-secret-key-that-is-long-enough-000")
APRIL = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 April in Shanghai


@pytest.mark.parametrize(
    ("written", "label", "first", "last", "previous"),
    [
        ("2026-03", "2026-03", date(2026, 3, 1), date(2026, 3, 31), "2026-02"),
        ("2026-01", "2026-01", date(2026, 1, 1), date(2026, 1, 31), "2025-12"),
        ("2026-Q1", "2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "2025-Q4"),
        ("2026-Q4", "2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "2026-Q3"),
        ("2026-H1", "2026-H1", date(2026, 1, 1), date(2026, 6, 30), "2025-H2"),
        ("2024-02", "2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024-01"),
    ],
)
def test_periods(written: str, label: str, first: date, last: date, previous: str) -> None:
    period = parse_period(written)
    assert period is not None
    assert (period.label, period.first_day, period.last_day) == (label, first, last)
    assert period.previous().label == previous
    assert period.previous().following() == period


@pytest.mark.parametrize("written", ["2026-13", "2026-Q5", "2026-H3", "26-03", "2026-3", ""])
def test_periods_refused(written: str) -> None:
    assert parse_period(written) is None


def test_the_last_period_over() -> None:
    today = date(2026, 4, 1)
    assert last_ended(PeriodKind.month, today).label == "2026-03"
    assert last_ended(PeriodKind.quarter, today).label == "2026-Q1"
    assert last_ended(PeriodKind.half, today).label == "2025-H2"
    assert last_ended(PeriodKind.half, date(2026, 7, 1)).label == "2026-H1"


def values(rows: list[Row]) -> dict[str, Row]:
    return {row.item: row for row in rows}


def file(db: Database, period: str, line_id: int | None, today: date = date(2026, 7, 1)) -> int:
    with db.session() as session:
        record = archive.file_report(
            session=session,
            period=archive.parse(period),
            line_id=line_id,
            now=APRIL,
            today=today,
            key=KEY,
            filed_by="Sue",
        )
        assert record.id is not None
        return record.id


def test_a_quarter_beside_the_one_before(db: Database) -> None:
    """Q1 2026 holds the ten calls of March (8 of them handled or not, see conftest); Q4 2025
    had none, so each change is the figure itself."""
    day = build_day(db)
    filed = file(db, "2026-Q1", day.line_id)
    with db.session() as session:
        record = session.get(FiledReport, filed)
        assert record is not None
        rows = values(archive.rows_of(record, "en"))
    assert rows["Quarter"].value == "2026-Q1"
    assert rows["Calls received"].value == 10
    assert rows["Calls received"].previous == 0
    assert rows["Calls received"].change == 10
    assert rows["Calls handled"].value == 6
    assert rows["Connection rate (calls handled / calls received)"].value == pytest.approx(0.6)
    assert rows["Answer rate"].value == pytest.approx(6 / 9)  # the 5-second hang-up left out
    assert rows["Connection rate (calls handled / calls received)"].previous is None

    # April beside March: everything fell to nothing, and the change says so.
    april_id = file(db, "2026-04", day.line_id)
    with db.session() as session:
        april = session.get(FiledReport, april_id)
        assert april is not None
        rows = values(archive.rows_of(april, "en"))
    assert rows["Month"].value == "2026-04"
    assert (rows["Calls received"].value, rows["Calls received"].previous) == (0, 10)
    assert rows["Calls received"].change == -10
    # Filed in both languages at once.
    _ = gettext_for("zh_CN")
    with db.session() as session:
        april = session.get(FiledReport, april_id)
        assert april is not None
        zh = values(archive.rows_of(april, "zh_CN"))
    assert zh[_("Calls received")].previous == 10 and _("Calls received") != "Calls received"


def test_only_a_period_that_is_over_is_filed_and_only_once(db: Database) -> None:
    day = build_day(db)
    with pytest.raises(archive.ArchiveError) as refused:
        file(db, "2026-Q2", day.line_id, today=date(2026, 6, 30))
    assert refused.value.code == "not_over"
    file(db, "2026-Q2", day.line_id, today=date(2026, 7, 1))
    with pytest.raises(archive.ArchiveError) as again:
        file(db, "2026-Q2", day.line_id)
    assert again.value.code == "filed"
    file(db, "2026-Q2", None)  # the whole service's is another report
    with pytest.raises(archive.ArchiveError) as bad:
        archive.parse("2026-Q7")
    assert bad.value.code == "bad_period"


def chain(db: Database) -> list[tuple[int, str, str]]:
    with db.session() as session:
        records = session.exec(select(FiledReport).order_by(col(FiledReport.seq))).all()
        return [(r.seq, r.prev_digest, r.digest) for r in records]


def tamper(db: Database, statement: str) -> None:
    """Change the archive as someone with the database could, past its append-only triggers."""
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            connection.execute(text("DROP TRIGGER IF EXISTS filed_reports_no_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS filed_reports_no_delete"))
        connection.execute(text(statement))


def verdict(db: Database, key: bytes = KEY) -> archive.Verdict:
    with db.session() as session:
        return archive.verify(session=session, key=key)


def test_the_chain_holds_and_any_change_breaks_it(db: Database) -> None:
    day = build_day(db)
    for period in ("2026-01", "2026-02", "2026-03"):
        file(db, period, day.line_id)
    links = chain(db)
    assert [seq for seq, _prev, _digest in links] == [1, 2, 3]
    assert links[0][1] == archive.GENESIS
    assert links[1][1] == links[0][2] and links[2][1] == links[1][2]
    assert verdict(db) == archive.Verdict(3, None)
    assert verdict(db, archive.signing_key("another key")).broken_at == 1

    # A figure changed: the record's own content no longer gives its digest.
    tamper(db, "UPDATE filed_reports SET figures = replace(figures, '10', '11') WHERE seq = 3")
    assert (verdict(db).broken_at, verdict(db).reason) == (3, "content")


def test_removing_a_record_breaks_the_chain(db: Database) -> None:
    day = build_day(db)
    for period in ("2026-01", "2026-02", "2026-03"):
        file(db, period, day.line_id)
    tamper(db, "DELETE FROM filed_reports WHERE seq = 2")
    assert (verdict(db).broken_at, verdict(db).reason) == (2, "missing")


def test_the_database_refuses_to_change_a_filed_report(db: Database) -> None:
    day = build_day(db)
    file(db, "2026-03", day.line_id)
    for statement in (
        "UPDATE filed_reports SET line_name = 'x'",
        "DELETE FROM filed_reports",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with db.engine.begin() as connection:
                connection.execute(text(statement))
    assert verdict(db) == archive.Verdict(1, None)


def test_the_hourly_run_files_what_is_due_once(quiet_app: Stack) -> None:
    """On 1 April: March, the first quarter and the second half of 2025, for both lines and
    for the whole service; a second run (or another instance's) finds nothing due."""
    day = build_day(quiet_app.db)
    clock = quiet_app.clock
    assert isinstance(clock, FakeClock)
    clock.advance((APRIL - clock.now()).total_seconds())
    context = quiet_app.dispatcher.context()
    assert file_reports(context) == 9
    assert file_reports(context) == 0
    with quiet_app.db.session() as session:
        filed = session.exec(
            select(FiledReport.period, FiledReport.line_key, FiledReport.filed_by)
        ).all()
    assert sorted({(period, key) for period, key, _by in filed}) == sorted(
        (period, key)
        for period in ("2026-03", "2026-Q1", "2025-H2")
        for key in (0, day.line_id, day.other_line_id)
    )
    assert {by for _period, _key, by in filed} == {None}  # on schedule
    assert verdict(quiet_app.db).intact


def test_the_archive_pages_file_and_download(app_only: Stack) -> None:
    day: Day = build_day(app_only.db)
    make_user(app_only.db, "sue", role=Role.supervisor)
    client = sign_in(app_only, "sue")
    page = client.get("/supervisor/reports")
    assert page.status_code == 200 and 'data-testid="no-reports"' in page.text
    token = csrf_from(page.text)

    # 2026-11 is not over on 23 November (the stack's clock): refused with the reason.
    early = client.post(
        "/supervisor/reports", data={"period": "2026-11", "line": "", "csrf_token": token}
    )
    assert early.status_code == 422 and "once its period is over" in early.text
    bad = client.post("/supervisor/reports", data={"period": "Q1", "csrf_token": token})
    assert bad.status_code == 422 and 'data-testid="file-error"' in bad.text

    filed = client.post(
        "/supervisor/reports",
        data={"period": "2026-Q1", "line": str(day.line_id), "csrf_token": token},
    )
    assert filed.status_code == 200 and 'data-testid="chain-intact"' in filed.text
    assert 'data-period="2026-Q1"' in filed.text
    with app_only.db.session() as session:
        record_id = session.exec(select(FiledReport.id)).one()

    sheet = load_workbook(
        io.BytesIO(client.get(f"/supervisor/reports/{record_id}.xlsx?lang=en").content)
    ).active
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ("Section", "Item", "Value", "Previous period", "Change")
    found = {item: (value, previous, change) for _s, item, value, previous, change in rows[1:]}
    assert found["Calls received"] == (10, 0, 10)

    body = client.get(f"/supervisor/reports/{record_id}.csv?lang=zh_CN").content
    _ = gettext_for("zh_CN")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert table[0][3] == _("Previous period") != "Previous period"
    assert {row[1]: row[2] for row in table[1:]}[_("Calls received")] == "10"

    document = client.get(f"/supervisor/reports/{record_id}.pdf?lang=zh_CN")
    assert document.headers["content-type"] == "application/pdf"
    assert document.content.startswith(b"%PDF-") and b"STSong-Light" in document.content
    assert client.get(f"/supervisor/reports/{record_id}.doc").status_code == 422
    assert client.get("/supervisor/reports/9999.pdf").status_code == 422

    with app_only.db.session() as session:
        logged = session.exec(
            select(AuditEvent.action, AuditEvent.detail)
            .where(AuditEvent.object_type == "filed_report")
            .order_by(col(AuditEvent.id))
        ).all()
    assert logged == [
        (AuditAction.edit, f"2026-Q1 line={day.line_id}"),
        (AuditAction.export, "2026-Q1 xlsx en"),
        (AuditAction.export, "2026-Q1 csv zh_CN"),
        (AuditAction.export, "2026-Q1 pdf zh_CN"),
    ]
    with app_only.db.session() as session:
        assert session.exec(select(func.count()).select_from(FiledReport)).one() == 1


def test_a_quarter_or_half_year_report_on_demand(app_only: Stack) -> None:
    day: Day = build_day(app_only.db)
    make_user(app_only.db, "sue", role=Role.supervisor)
    client = sign_in(app_only, "sue")
    body = client.get(f"/supervisor/stats/report.csv?period=2026-H1&line={day.line_id}")
    assert body.status_code == 200
    table = list(csv.reader(io.StringIO(body.content.decode("utf-8-sig"))))
    assert table[0] == ["Section", "Item", "Value", "Previous period", "Change"]
    found = {row[1]: row[2:] for row in table[1:]}
    assert found["Half-year"][0] == "2026-H1"
    assert found["Calls received"] == ["10", "0", "10"]
    assert found["Connection rate (calls handled / calls received)"][0] == "60.0%"
    assert client.get("/supervisor/stats/report.csv").status_code == 422
    assert client.get("/supervisor/stats/report.csv?period=2026-Q9").status_code == 422


def test_counselors_cannot_reach_the_archive(app_only: Stack) -> None:
    make_user(app_only.db, "carol")
    client = sign_in(app_only, "carol")
    assert client.get("/supervisor/reports").status_code == 403
    anonymous = httpx.Client(base_url=app_only.url, timeout=30)
    assert anonymous.get("/supervisor/reports").status_code == 303
