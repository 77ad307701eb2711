"""The statistics page, its API and the monthly report over real HTTP: who may see them, what
the audit log keeps, and the report's figures read back from the XLSX and CSV files."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from openpyxl import load_workbook
from sqlmodel import col, select

from hotline.audit.models import AuditAction, AuditEvent
from hotline.auth.models import Role
from hotline.i18n import gettext_for
from hotline.lines.models import Line
from hotline.notes.models import IssueCategory
from hotline.simulator.console_client import csrf_from
from tests.factories import PASSWORD, make_user
from tests.stack import Stack
from tests.stats.conftest import Day, build_day

PAGE = "/supervisor/stats?start=2026-03-10&end=2026-03-10"
API = "/api/stats/overview?start=2026-03-10&end=2026-03-10"
REPORT = "/supervisor/stats/report.xlsx?month=2026-03"


def sign_in(stack: Stack, username: str) -> httpx.Client:
    client = httpx.Client(base_url=stack.url, timeout=30)
    token = csrf_from(client.get("/login?lang=en").text)
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    return client


@pytest.fixture
def day(app_only: Stack) -> Day:
    return build_day(app_only.db)


def audit(stack: Stack) -> list[tuple[str, str, str | None, str | None]]:
    with stack.db.session() as session:
        events = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.action).in_([AuditAction.view, AuditAction.export]))
            .order_by(col(AuditEvent.id))
        ).all()
        return [(e.action.value, e.object_type, e.object_id, e.detail) for e in events]


def test_only_supervisors_and_admins_get_in(app_only: Stack, day: Day) -> None:
    anonymous = httpx.Client(base_url=app_only.url, timeout=30)
    assert anonymous.get(PAGE).status_code == 303
    assert anonymous.get(PAGE).headers["location"] == "/login"
    assert anonymous.get(API).status_code == 401
    assert anonymous.get(REPORT).status_code == 303
    for name, role in (("carol", Role.counselor), ("cris", Role.crisis)):
        make_user(app_only.db, name, role=role)
        client = sign_in(app_only, name)
        assert client.get(PAGE).status_code == 403
        assert client.get(API).status_code == 403
        assert client.get(REPORT).status_code == 403
        assert client.get("/supervisor/stats/report.csv?month=2026-03").status_code == 403
    assert audit(app_only) == []  # refusals read nothing
    for name, role in (("sue", Role.supervisor), ("ada", Role.admin)):
        make_user(app_only.db, name, role=role)
        client = sign_in(app_only, name)
        page = client.get(PAGE + f"&line={day.line_id}")
        assert page.status_code == 200
        assert 'data-testid="kpi-offered">9<' in page.text
        assert 'data-testid="kpi-answer-rate">62.5%<' in page.text
        assert "<svg" in page.text and "<script" not in page.text.split("</header>")[1]
        assert client.get(API).status_code == 200
        assert client.get(REPORT).status_code == 200
    line = f"line={day.line_id}"
    assert (
        audit(app_only)
        == [
            ("view", "statistics", "page", f"{line} 2026-03-10..2026-03-10 by day"),
            ("view", "statistics", "overview", "line=all 2026-03-10..2026-03-10 by day"),
            ("export", "monthly_report", "2026-03", "line=all xlsx"),
        ]
        * 2
    )
    with app_only.db.session() as session:
        users = session.exec(
            select(AuditEvent.username).where(AuditEvent.action == AuditAction.export)
        ).all()
    assert users == ["sue", "ada"]


def test_the_api_answers_with_the_day_figures(app_only: Stack, day: Day) -> None:
    make_user(app_only.db, "sue", role=Role.supervisor)
    client = sign_in(app_only, "sue")
    data = client.get(API + f"&line={day.line_id}").json()
    assert data["timezone"] == "Asia/Shanghai"
    assert data["totals"]["offered"] == 9
    assert data["totals"]["answer_rate"] == pytest.approx(0.625)
    assert data["escalations"]["mean_ack_s"] == pytest.approx(60)
    assert data["staff_on_duty"] == 2
    calls = client.get(
        f"/api/stats/calls?start=2026-03-10&end=2026-03-11&bucket=hour&line={day.line_id}"
    ).json()
    assert {row["key"]: row["offered"] for row in calls["series"]} == {0: 2, 8: 7, 23: 1}
    counts = client.get(
        f"/api/stats/counts/population_group?start=2026-03-10&end=2026-03-10&line={day.line_id}"
    ).json()
    assert counts["counts"] == {"student": 2, "elderly": 1}
    escalations = client.get("/api/stats/escalations?start=2026-03-10&end=2026-03-10").json()
    assert escalations["escalations"]["count"] == 3
    bad = client.get("/api/stats/overview?start=2026-03-10&end=2026-03-01")
    assert bad.status_code == 422 and bad.json()["code"] == "bad_period"
    assert client.get("/api/stats/overview?start=yesterday").status_code == 422
    assert client.get("/api/stats/overview?line=999").status_code == 404
    assert client.get("/supervisor/stats/report.csv?month=2026-3").status_code == 422
    assert client.get(PAGE + "&bucket=hour").status_code == 422  # not a page grouping


def test_the_monthly_report_files(app_only: Stack, day: Day) -> None:
    """March 2026 holds the day plus call I of 11 March (see conftest)."""
    make_user(app_only.db, "sue", role=Role.supervisor)
    with app_only.db.session() as session:  # a name a spreadsheet would run as a formula
        line = session.get(Line, day.line_id)
        assert line is not None
        line.name = "=1+1"
        session.add(line)
    client = sign_in(app_only, "sue")
    response = client.get(REPORT + f"&line={day.line_id}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ("Section", "Item", "Value")
    values = {item: value for _section, item, value in rows[1:]}
    assert values["Month"] == "2026-03"
    assert values["Line"] == "=1+1"
    assert {c.data_type for c in sheet["C"] if c.value == "=1+1"} == {"s"}  # text, not a formula
    assert values["Calls received"] == 10
    assert values["Calls handled"] == 6
    assert values["Answer rate"] == pytest.approx(6 / 9)
    assert values["Abandoned within 5 seconds"] == 1
    assert values["Sent to voicemail or a partner line"] == 1
    assert values["Local callers"] == 1
    assert values["Out-of-area callers"] == 1
    assert values["Area not known"] == 8
    assert values["High-crisis calls (high or imminent)"] == 3  # A, B and I
    assert values["Difficult calls"] == 2  # A and I
    assert values["Repeat callers"] == 2
    assert values["Escalations to the crisis team"] == 4
    assert values["Mean time to acknowledge (seconds)"] == pytest.approx(60)
    assert values["Staff on duty"] == 3  # u3 worked on 9 March; u4 is on the other line
    with app_only.db.session() as session:
        first, second = (session.get(IssueCategory, category_id) for category_id in day.categories)
    assert first is not None and second is not None
    assert values[first.label_en] == 2 and values[second.label_en] == 1
    assert values["Student"] == 2 and values["Elderly person"] == 1

    zh = sign_in(app_only, "sue")
    assert zh.get("/supervisor/stats?lang=zh_CN").status_code == 200  # the language switch
    body = zh.get(f"/supervisor/stats/report.csv?month=2026-03&line={day.line_id}").content
    assert body.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    _ = gettext_for("zh_CN")
    assert table[0] == [_("Section"), _("Item"), _("Value")] != ["Section", "Item", "Value"]
    assert [_("Line"), "'=1+1"] in [row[1:] for row in table]
    found = {row[1]: row[2] for row in table[1:]}
    assert found[_("Calls received")] == "10"
    assert found[_("Answer rate")] == "66.7%"
    assert found[first.label_zh] == "2"
