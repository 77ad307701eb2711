"""In Chromium: a supervisor opens the statistics, reads the day's figures and downloads the
monthly report; the downloaded file holds the month's figures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from hotline.auth.models import Role
from tests.browser import chromium
from tests.factories import PASSWORD, make_user
from tests.stack import Stack
from tests.stats.conftest import build_day


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_supervisor_reads_statistics_and_downloads_the_monthly_report(
    app_only: Stack, tmp_path: Path
) -> None:
    day = build_day(app_only.db)
    make_user(app_only.db, "sue", role=Role.supervisor)
    with chromium() as browser:
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(app_only.url + "/login?lang=en")
        page.get_by_label(re.compile("user", re.I)).fill("sue")
        page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
        page.get_by_role("button", name=re.compile("sign in", re.I)).click()
        page.wait_for_url(re.compile(r"/supervisor/board"))  # where a supervisor lands

        page.get_by_test_id("nav-stats").click()
        page.wait_for_url(re.compile(r"/supervisor/stats"))
        page.get_by_label("Line", exact=True).first.select_option(str(day.line_id))
        page.get_by_label("From").fill("2026-03-10")
        page.get_by_label("To (inclusive)").fill("2026-03-10")
        page.get_by_test_id("filter-apply").click()
        expect(page.get_by_test_id("kpi-offered")).to_have_text("9")
        expect(page.get_by_test_id("kpi-answer-rate")).to_have_text("62.5%")
        expect(page.get_by_test_id("kpi-sl20")).to_have_text("37.5%")
        expect(page.get_by_test_id("kpi-difficult")).to_have_text("1")
        expect(page.locator("svg.chart")).to_have_count(6)
        expect(page.locator("svg.chart rect.bar").first).to_be_visible()

        page.get_by_test_id("report-month").fill("2026-03")
        page.get_by_test_id("report-line").select_option(str(day.line_id))
        with page.expect_download() as info:
            page.get_by_test_id("report-xlsx").click()
        download = info.value
        assert download.suggested_filename == f"hotline-report-2026-03-line{day.line_id}.xlsx"
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        page.screenshot(path=str(tmp_path / "stats.png"), full_page=True)
        context.close()
    assert errors == []  # nothing refused by the CSP, no script errors
    sheet = load_workbook(target).active
    values = {row[1]: row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["Calls received"] == 10
    assert values["Calls handled"] == 6
    assert values["Answer rate"] == pytest.approx(6 / 9)
    assert values["High-crisis calls (high or imminent)"] == 3
    assert values["Staff on duty"] == 3
